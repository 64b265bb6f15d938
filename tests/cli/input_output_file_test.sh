#!/usr/bin/env bash
# Output files are replaced whole or not at all (issue 14, item 9): every --output (export
# resolutions, export hitlist, report) and info-page --write goes through a temporary file in
# the same directory that is renamed over the target once complete. A write that fails half way
# (here: a file size limit, as a full disk would) leaves the previous file as it was and no
# temporary file behind. The limit (40 KiB) is above what opening the database writes (its
# 32 KiB WAL index), so it is the output that fails; `report` writes through the same
# write_output as `export hitlist` but its page is too small here to fail apart from the
# database. Usage: input_output_file_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: input_output_file_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: input_output_file_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/o.db"
day=2024-05-01
"$IOTMAP" --db "$db" db migrate >/dev/null || bad "migrate"
# 2000 hitlist rows and 2000 resolutions: every output is well over the 40 KiB limit below.
sqlite3 "$db" "
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO hitlist(date, provider, domain, ip, port, protocol, infrastructure, sources)
SELECT '$day', 'aws-iot', 'mqtt' || i || '.example.com.', '192.0.2.' || (i % 250), 8883 + i,
       'mqtt', 'dedicated', 'active_dns' FROM n;
INSERT INTO vantage_points(name) VALUES ('vp');
INSERT INTO runs(kind, started_at) VALUES ('resolve', 1);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO names(name) SELECT 'name' || i || '.example.com.' FROM n;
INSERT INTO resolutions(hour, name_id, qtype, vantage_id, status, rcode, resolved_at, run_id)
SELECT strftime('%s', '$day'), id, 'A', 1, 'NXDOMAIN', 3, strftime('%s', '$day') + 5, 1 FROM names;
" || bad "insert"
printf '[ethics]\ncontact = "iot-scan@example.org"\n' >"$tmp/c.toml"

# limited KIB ARGS...: runs iotmap with writes capped at KIB KiB; SIGXFSZ ignored, so a write
# past the cap fails with EFBIG as on a full disk instead of killing the process.
limited() {
  local kib=$1
  shift
  out=$(trap '' XFSZ; ulimit -f "$kib"; "$IOTMAP" --config "$tmp/c.toml" --db "$db" "$@" 2>&1)
  rc=$?
}

# one NAME FILE KIB ARGS...: a good write, then the same write failing half way.
one() {
  local name=$1 file=$2 kib=$3
  shift 3
  run --config "$tmp/c.toml" --db "$db" "$@"
  [ "$rc" = 0 ] && [ "$(stat -c %s "$file")" -gt $((2 * kib * 1024)) ] && ok "$name: first write" ||
    bad "$name: first write (exit $rc, $(stat -c %s "$file" 2>&1) bytes): $out"
  cp "$file" "$tmp/good"
  limited "$kib" "$@"
  check "$name: a failed write is an error naming the file" 1 "$(basename "$file")"
  cmp -s "$file" "$tmp/good" && ok "$name: the previous file is intact" ||
    bad "$name: the previous file was damaged ($(stat -c %s "$file") bytes left)"
  same "$name: no temporary file left" "$(ls -A "$(dirname "$file")" | grep -c part)" 0
}

mkdir -p "$tmp/out"
one "export hitlist" "$tmp/out/hitlist.csv" 40 export hitlist --date $day --output "$tmp/out/hitlist.csv"
one "export resolutions" "$tmp/out/res.jsonl" 40 export resolutions --date $day --output "$tmp/out/res.jsonl"
one "export resolutions csv" "$tmp/out/res.csv" 40 export resolutions --date $day --format csv --output "$tmp/out/res.csv"
one "info-page" "$tmp/out/index.html" 1 info-page --write "$tmp/out/index.html"

run --db "$db" export hitlist --date $day --output "$tmp/nodir/hitlist.csv"
check "an output in a missing directory is an error" 1 "cannot write .*nodir/hitlist.csv"
[ -e "$tmp/nodir" ] && bad "the missing directory was created" || ok "no directory created"

ops_summary input_output_file_test
