#!/usr/bin/env bash
# `iotmap db size` and `iotmap db prune --keep-days N` as a user runs them: a database with
# measurements of two days, one old; dry run, prune, vacuum, usage errors, a missing file.
# Usage: ops_prune_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: ops_prune_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: ops_prune_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

q() { sqlite3 "$db" "$1"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/p.db"

run --db "$tmp/missing.db" db size
check "size of a missing file fails" 1 "missing.db"
[ ! -e "$tmp/missing.db" ] && ok "size creates no file" || bad "size created missing.db"
run --db "$tmp/missing.db" db prune --keep-days 3
check "prune of a missing file fails" 1 "missing.db"

"$IOTMAP" --db "$db" db migrate >/dev/null || bad "migrate"
now=$(date +%s)
old=$((now - 40 * 86400))
old_date=$(date -u -d "@$old" +%F)
today=$(date -u +%F)
q "INSERT INTO vantage_points(id, name) VALUES (1, 'local');
   INSERT INTO names(id, name) VALUES (1, 'a.example.com.');
   INSERT INTO runs(id, kind, started_at, status) VALUES (1, 'scan', $old, 'ok'), (2, 'scan', $now, 'ok');
   INSERT INTO resolutions(id, hour, name_id, qtype, vantage_id, status, resolved_at)
     VALUES (1, $old - $old % 3600, 1, 'A', 1, 'NOERROR', $old), (2, $now - $now % 3600, 1, 'A', 1, 'NOERROR', $now);
   INSERT INTO resolution_answers VALUES (1, '192.0.2.1', 60), (2, '192.0.2.2', 60);
   INSERT INTO certificates(sha256, first_seen) VALUES (printf('%064d', 1), $old), (printf('%064d', 2), $old);
   INSERT INTO tls_observations(run_id, ip, port, observed_at, status, leaf_sha256, chain)
     VALUES (1, '192.0.2.1', 8883, $old, 'ok', printf('%064d', 1), '[]'),
            (2, '192.0.2.2', 8883, $now, 'ok', printf('%064d', 2), '[]');
   INSERT INTO hitlist(date, provider, domain, ip, port, protocol, infrastructure)
     VALUES ('$old_date', 'aws', 'x', '192.0.2.1', 8883, 'mqtt', 'dedicated'),
            ('$today', 'aws', 'x', '192.0.2.2', 8883, 'mqtt', 'dedicated');"

run --db "$db" db size
check "size prints the file size" 0 "^file: .*bytes"
check "size prints rows per table" 0 "^resolutions +2 "
check "size prints every table" 0 "^tls_observations +2 "

run --db "$db" db prune
check "prune without --keep-days is a usage error" 2 "needs --keep-days"
run --db "$db" db prune --keep-days seven
check "a non-number is a usage error" 2 "number of days"
run --db "$db" db size --keep-days 3
check "--keep-days belongs to prune" 2 "belong to db prune"

run --db "$db" db prune --keep-days 30 --dry-run
check "a dry run says what it would delete" 0 "would delete rows from before"
check "a dry run counts the old resolution" 0 "^  resolutions +1$"
check "a dry run deletes nothing" 0 "dry run: nothing was deleted"
[ "$(q 'SELECT count(*) FROM resolutions')" = 2 ] && ok "dry run: still 2 resolutions" || bad "dry run deleted"

run --db "$db" db prune --keep-days 30 --vacuum
check "prune deletes the old day" 0 "^  resolutions +1$"
[ "$(q 'SELECT count(*) FROM resolutions')" = 1 ] && ok "one resolution left" || bad "resolutions: $(q 'SELECT count(*) FROM resolutions')"
[ "$(q 'SELECT count(*) FROM resolution_answers')" = 1 ] && ok "its answers went with it" || bad "answers left"
[ "$(q 'SELECT count(*) FROM tls_observations')" = 1 ] && ok "one observation left" || bad "observations"
[ "$(q "SELECT count(*) FROM certificates WHERE sha256 = printf('%064d', 2)")" = 1 ] &&
  ok "the certificate still referenced stays" || bad "referenced certificate deleted"
[ "$(q 'SELECT count(*) FROM certificates')" = 1 ] && ok "the unreferenced old certificate went" || bad "certs: $(q 'SELECT count(*) FROM certificates')"
[ "$(q 'SELECT date FROM hitlist')" = "$today" ] && ok "today's hitlist stays" || bad "hitlist: $(q 'SELECT date FROM hitlist')"
[ "$(q 'SELECT count(*) FROM runs')" = 2 ] && ok "runs stay" || bad "runs deleted"
check "vacuum reports the new size" 0 "^vacuumed: the file is now"
run --db "$db" db check
check "the pruned database passes db check" 0 "^check: ok$"
run --db "$db" db prune --keep-days 3
check "keep-days shorter than the classify window warns" 0 "shorter than classify.window_days"
check "a second prune finds nothing old" 0 "^total: 0 rows$"

ops_summary ops_prune_test
