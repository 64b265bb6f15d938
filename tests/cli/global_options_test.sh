#!/usr/bin/env bash
# The global options before the command: --config and --db as "--opt VALUE" and "--opt=VALUE";
# a misspelt one ("--dbx", "--config-file") is a usage error, not taken for --db or --config,
# and after the command name they belong to the command. Usage: global_options_test.sh
# IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: global_options_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: global_options_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[database]\npath = "%s/from-config.db"\n' "$tmp" >"$tmp/c.toml"

run --config "$tmp/c.toml" config
check "--config FILE is read" 0 "loaded from: <embedded default> $tmp/c.toml"
run --config="$tmp/c.toml" config
check "--config=FILE is read" 0 "^path = '$tmp/from-config.db'$"
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

ops_summary global_options_test
