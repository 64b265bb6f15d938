#!/usr/bin/env bash
# `iotmap db migrate|check` as a user runs them: create a database, check it, damage it, and
# point it at files that are not databases. Usage: db_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: db_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: db_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/sub/dir/iotmap.db"

run --db "$db" db migrate
check "migrate creates the database and its directory" 0 "iotmap.db: schema version 0 -> [1-9]"
[ -f "$db" ] && ok "the file exists" || bad "no file at $db"

run --db "$db" db migrate
check "a second migrate has nothing to do" 0 "up to date"

run --db "$db" db check
check "check passes on a fresh database" 0 "^check: ok$"
check "check prints the schema version" 0 "^schema version: [1-9]"
check "check counts the resolutions" 0 "^  resolutions +0$"
check "check counts the TLS observations" 0 "^  tls_observations +0$"

# Rows written outside iotmap are counted too.
sqlite3 "$db" "INSERT INTO names(name) VALUES ('mqtt.example.com.'), ('amqp.example.com.')"
run --db "$db" db check
check "check counts rows" 0 "^  names +2$"

# A dangling reference written behind iotmap's back (foreign keys are off in the sqlite3 shell).
sqlite3 "$db" "INSERT INTO name_sources(name_id, source, first_seen, last_seen) VALUES (99, 'cli', 1, 1)"
run --db "$db" db check
check "check reports a foreign-key violation" 1 "problem: foreign key: name_sources"
check "and says it failed" 1 "^check: FAILED$"

echo "this is not a database, just some text long enough to fill a header or two ......" >"$tmp/garbage.db"
run --db "$tmp/garbage.db" db check
check "a file that is not SQLite fails, naming the file" 1 "garbage.db: .*file is not a database"
run --db "$tmp/garbage.db" db migrate
check "migrate refuses it too" 1 "garbage.db: .*file is not a database"

run --db "$tmp/missing.db" db check
check "check on a missing file fails, naming it" 1 "missing.db: no such database file"
[ ! -e "$tmp/missing.db" ] && ok "check created nothing" || bad "check created $tmp/missing.db"

touch "$tmp/plainfile"
run --db "$tmp/plainfile/x.db" db migrate
check "a path under a plain file fails, naming it" 1 "plainfile/x.db: "

sqlite3 "$db" "DELETE FROM name_sources; PRAGMA user_version = 999"
run --db "$db" db check
check "a database newer than iotmap is refused" 1 "schema version 999 is newer than this iotmap"

run --db "$db" db
check "no subcommand is a usage error" 2 "usage: iotmap db"
run --db "$db" db vacuum
check "an unknown subcommand is a usage error" 2 "unknown subcommand vacuum"

echo
ops_summary db_test
