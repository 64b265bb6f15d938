#!/usr/bin/env bash
# Scale-out in the lab (tests/lab/up first): 4 scan shards as 4 processes, each writing its own
# database, merged with `iotmap merge`, give the same hitlist as one process.
#   1. resolve the lab's names into main.db (`resolve --once`); write the day's targets
#      (ip,name,... lines) as a shard job would receive them;
#   2. one process: a copy of main.db, `scan TARGETS`, then classify/export/report through
#      `daily --skip fetch,resolve,scan`;
#   3. four processes at once: `scan --shard I/4 TARGETS` into shard-I.db (same seed from the
#      configuration); their (ip, port, SNI) sets are disjoint and together equal the single
#      run's; `merge shard-*.db --into` a copy of main.db, then the same daily: the hitlist
#      equals the single run's, and a second merge adds nothing.
#   bash tests/lab/ops_shards_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" ops_shards_test "$@"  # IOTMAP, SRC, work; the lab is up
trap '[ -n "${IOTMAP_OPS_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT
ops_lab_config
today=$(date -u +%F)
q() { sqlite3 "$1" "$2"; }
N=4

# --- 1. resolve once, and the targets a shard job gets ---
db=$work/main.db
out=$(lab_iotmap resolve --once 2>&1); rc=$?
check "resolving into main.db" 0 "rows \\([0-9]+ new\\)"
q "$db" "SELECT a.ip || ',' || group_concat(rtrim(n.name, '.'), ',')
         FROM resolutions r JOIN names n ON n.id = r.name_id
         JOIN resolution_answers a ON a.resolution_id = r.id
         WHERE r.hour >= unixepoch('$today') GROUP BY a.ip ORDER BY a.ip" >"$work/targets.txt"
n=$(wc -l <"$work/targets.txt")
[ "$n" -ge 10 ] && ok "$n targets" || bad "only $n targets"

# --- 2. one process ---
cp "$work/main.db" "$work/one.db"
db=$work/one.db
out=$(lab_iotmap scan "$work/targets.txt" 2>&1); rc=$?
check "one process scans every target" 0 "iotmap scan: run #[0-9]+: [0-9]+ connections"
out=$(lab_iotmap daily --skip fetch,resolve,scan --out "$work/one-out" 2>&1); rc=$?
check "classify, export and report on it" 0 "^export +ok "
hitlist_of "$work/one.db" >"$work/one.csv"
rows=$(($(wc -l <"$work/one.csv") - 1))
[ "$rows" -ge 5 ] && ok "single-process hitlist: $rows rows" || bad "single-process hitlist: $rows rows"

# --- 3. four processes, four databases, one merge ---
pids=()
for i in $(seq 0 $((N - 1))); do
  ip netns exec "$LAB_NS" "$IOTMAP" --config "$work/lab.toml" --db "$work/shard-$i.db" \
    scan --shard "$i/$N" "$work/targets.txt" >"$work/shard-$i.log" 2>&1 &
  pids+=($!)
done
for i in $(seq 0 $((N - 1))); do
  wait "${pids[$i]}"
  same "shard $i/$N exits 0" "$?" 0
done
key="SELECT ip || ' ' || port || ' ' || sni FROM tls_observations"
q "$work/one.db" "$key" | sort >"$work/one.keys"
: >"$work/shards.keys"
for i in $(seq 0 $((N - 1))); do q "$work/shard-$i.db" "$key" >>"$work/shards.keys"; done
same "the shards together made as many connections as one process" \
  "$(wc -l <"$work/shards.keys")" "$(wc -l <"$work/one.keys")"
same "no (ip, port, SNI) in two shards" "$(sort "$work/shards.keys" | uniq -d | wc -l)" 0
sort -o "$work/shards.keys" "$work/shards.keys"
cmp -s "$work/one.keys" "$work/shards.keys" && ok "the shards cover exactly the single run's connections" ||
  { bad "shard coverage differs:"; diff "$work/one.keys" "$work/shards.keys" | head; }
for i in $(seq 0 $((N - 1))); do
  s=$(q "$work/shard-$i.db" "SELECT shard || ' ' || seed FROM runs WHERE kind = 'scan'")
  same "shard $i recorded as $i/$N with the configured seed" "$s" "$i/$N 4242"
done

cp "$work/main.db" "$work/merged.db"
db=$work/merged.db
shards=()
for i in $(seq 0 $((N - 1))); do shards+=("$work/shard-$i.db"); done
out=$("$IOTMAP" --config "$work/lab.toml" merge "${shards[@]}" --into "$db" 2>&1); rc=$?
check "merge of the 4 shard databases" 0 "iotmap merge"
out=$(lab_iotmap daily --skip fetch,resolve,scan --out "$work/merged-out" 2>&1); rc=$?
check "classify, export and report on the merged database" 0 "^export +ok "
same "the merged database holds the single run's connections" \
  "$(q "$db" "SELECT count(DISTINCT ip || ' ' || port || ' ' || sni) FROM tls_observations")" \
  "$(wc -l <"$work/one.keys")"
hitlist_of "$db" >"$work/merged.csv"
cmp -s "$work/one.csv" "$work/merged.csv" && ok "the merged hitlist equals one process's" ||
  { bad "the hitlists differ:"; diff "$work/one.csv" "$work/merged.csv" | head -20; }
before=$(q "$db" "SELECT count(*) FROM tls_observations")
out=$("$IOTMAP" --config "$work/lab.toml" merge "${shards[@]}" --into "$db" 2>&1); rc=$?
same "a second merge exits 0" "$rc" 0
same "... and adds no observation" "$(q "$db" "SELECT count(*) FROM tls_observations")" "$before"
ops_summary ops_shards_test
