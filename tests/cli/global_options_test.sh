#!/usr/bin/env bash
# The global options before the command: --config and --db as "--opt VALUE" and "--opt=VALUE";
# a misspelt one ("--dbx", "--config-file") is a usage error, not taken for --db or --config,
# and after the command name they belong to the command. Usage: global_options_test.sh
# IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: global_options_test.sh IOTMAP_BINARY SOURCE_DIR}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# check DESCRIPTION EXPECTED_EXIT PATTERN: the last run's exit code and output
check() {
  if [ "$rc" = "$2" ] && grep -qE -- "$3" <<<"$out"; then
    ok "$1"
  else
    bad "$1 (exit $rc, want $2; want output matching '$3')"$'\n'"$out"
  fi
}
run() { out=$("$IOTMAP" "$@" 2>&1); rc=$?; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[database]\npath = "%s/from-config.db"\n' "$tmp" >"$tmp/c.toml"

run --config "$tmp/c.toml" config
check "--config FILE is read" 0 "loaded from: <embedded default> $tmp/c.toml"
run --config="$tmp/c.toml" config
check "--config=FILE is read" 0 "database: $tmp/from-config.db"
run --db "$tmp/a.db" db migrate
check "--db FILE names the database" 0 "a.db: schema version"
run --db="$tmp/b.db" db migrate
check "--db=FILE names the database" 0 "b.db: schema version"
[ -f "$tmp/a.db" ] && [ -f "$tmp/b.db" ] && ok "both files exist" || bad "a.db or b.db missing"

run --dbx "$tmp/c.db" db migrate
check "--dbx is an unknown global option" 2 "unknown global option --dbx"
[ -e "$tmp/c.db" ] && bad "--dbx created $tmp/c.db" || ok "--dbx created no database"
run --config-file "$tmp/c.toml" config
check "--config-file is an unknown global option" 2 "unknown global option --config-file"
run --config
check "--config without a value" 2 "--config needs a value"
run db migrate --db "$tmp/d.db"
check "after the command, --db is the command's (db has none)" 2 "iotmap db: unknown option --db"

echo "global_options_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
