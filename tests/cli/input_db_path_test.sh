#!/usr/bin/env bash
# The database path (issue 14, items 8 and 10). An empty --db (an unset variable in a crontab) or
# ":memory:" would keep a run's work in a database that vanishes at exit: a usage error before
# anything is sent. Commands that only read (export, report, classify) never create a database: a
# mistyped --db is an error naming the path and leaves no file and no directory behind.
# Usage: input_db_path_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=$(realpath "${1:?usage: input_db_path_test.sh IOTMAP_BINARY SOURCE_DIR}")
SRC=${2:?usage: input_db_path_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

# Item 8: "" and ":memory:" are refused for every command, before the command runs.
for db in "" ":memory:"; do
  run --db "$db" resolve example.com
  check "resolve --db '$db' is a usage error" 2 "--db wants a database file, not '$db'"
  run --db="$db" scan --target 192.0.2.1
  check "scan --db='$db' is a usage error" 2 "--db wants a database file"
  run --db "$db" classify --date 2026-01-01
  check "classify --db '$db' is a usage error" 2 "--db wants a database file"
done
printf '[database]\npath = ":memory:"\n' >"$tmp/mem.toml"
run --config "$tmp/mem.toml" resolve example.com
check "database.path = ':memory:' is a configuration error" 3 "database.path: ':memory:'"
IOTMAP_DB=:memory: run resolve example.com
check "IOTMAP_DB=:memory: is a configuration error" 3 "':memory:' keeps nothing"
same "no file was created by the refused runs" "$(ls -A "$tmp" | grep -v mem.toml)" ""

# Item 10: read-only commands with a missing database.
missing="$tmp/no/such/dir/typo.db"
run --db "$missing" export resolutions --date 2026-01-01
check "export resolutions: missing database named" 1 "$missing: no such database file"
run --db "$missing" export hitlist --date 2026-01-01
check "export hitlist: missing database named" 1 "$missing: no such database file"
run --db "$missing" report footprint --date 2026-01-01 --format md
check "report: missing database named" 1 "$missing: no such database file"
run --db "$missing" classify --date 2026-01-01
check "classify: missing database named" 1 "$missing: no such database file"
run --db "$tmp/typo.db" export resolutions --date 2026-01-01 --output "$tmp/out.jsonl"
check "export into a file: missing database named" 1 "typo.db: no such database file"
[ -e "$tmp/no" ] && bad "a read-only command created $tmp/no" || ok "no directory was created"
[ -e "$tmp/typo.db" ] && bad "a read-only command created typo.db" || ok "no database was created"
[ -e "$tmp/out.jsonl" ] && bad "export created its output" || ok "no output file was created"

# An existing database still works.
run --db "$tmp/real.db" db migrate
run --db "$tmp/real.db" export resolutions --date 2026-01-01
check "export from an existing database" 0 "0 resolutions"

ops_summary input_db_path_test
