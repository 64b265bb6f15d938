#!/usr/bin/env bash
# The crash test of the daily job (issue 7), in the lab (tests/lab/up first):
#   1. an uninterrupted `iotmap daily` on a fresh database: the reference hitlist;
#   2. on another fresh database, `iotmap daily` started again and again and killed with
#      SIGKILL at a random moment, until it has been killed IOTMAP_OPS_KILLS times (default
#      20) while running; then one last run to completion;
#   3. the result: exit 0, PRAGMA integrity_check ok, no foreign-key problem, the same hitlist
#      (export and the file in --out) as the reference, every (ip, port, SNI) observed exactly
#      once, every (name, type, vantage point) resolved, no daily run left 'running', no
#      process of the test left.
# Kill moments are uniform over the length of the last complete run (the first runs take as
# long as the reference; once resolve and scan are done, reruns are shorter), so kills land in
# every stage; the test prints which stage each kill hit. The lab's rates are lowered so that
# resolve and scan take a few seconds and several kills land in them.
#   bash tests/lab/ops_crash_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" ops_crash_test "$@"  # IOTMAP, SRC, work; the lab is up
KILLS=${IOTMAP_OPS_KILLS:-20}
cleanup() {
  [ -n "${pid:-}" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "${IOTMAP_OPS_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
# Slow measurement stages (about 1.5 s of resolving, 2.5 s of scanning), so that kills land
# in them often and each killed run leaves part of the work done for the next to resume.
OPS_RESOLVER_QPS=300 OPS_SCAN_RATE=40 ops_lab_config
today=$(date -u +%F)
now_ms() { echo $(($(date +%s%N) / 1000000)); }
q() { sqlite3 "$1" "$2"; }

# --- 1. the reference ---
db=$work/ref.db
t0=$(now_ms)
lab_iotmap daily --out "$work/ref-out" >"$work/ref.log" 2>&1
rc=$?
ref_ms=$(($(now_ms) - t0))
same "uninterrupted daily exits 0 (in $ref_ms ms)" "$rc" 0
hitlist_of "$work/ref.db" >"$work/ref.csv"
n=$(($(wc -l <"$work/ref.csv") - 1))
[ "$n" -ge 5 ] && ok "reference hitlist: $n rows" || { bad "reference hitlist has $n rows"; cat "$work/ref.log"; }

# --- 2. kill, restart, kill ... ---
db=$work/crash.db
killed=0 attempts=0 last_ms=$ref_ms
hits=""
while [ $killed -lt "$KILLS" ] && [ $attempts -lt $((KILLS * 3)) ]; do
  attempts=$((attempts + 1))
  delay=$((RANDOM % (last_ms > 50 ? last_ms : 50)))
  log=$work/crash-$attempts.log
  t0=$(now_ms)
  # ip netns exec execs iotmap in place: $! is the daily itself
  ip netns exec "$LAB_NS" "$IOTMAP" --config "$work/lab.toml" --db "$db" daily \
    --out "$work/crash-out" --lock-wait 60 >"$log" 2>&1 &
  pid=$!
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  if kill -KILL "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    killed=$((killed + 1))
    stage=$(grep -oE -- '--- [a-z]+:' "$log" | tail -1 | tr -d ':-' | tr -d ' ')
    hits="$hits ${delay}ms:${stage:-start}"
  else
    wait "$pid"
    last_ms=$(($(now_ms) - t0))
    hits="$hits ${delay}ms:(finished, exit $?)"
  fi
  pid=
  # the killed daily's stage dies with it (PR_SET_PDEATHSIG); wait for that before the restart
  for _ in $(seq 1 300); do pgrep -f -- "--db $db " >/dev/null || break; sleep 0.1; done
done
echo "    kills (delay:stage):$hits"
same "the daily was killed $KILLS times while running ($attempts attempts)" "$killed" "$KILLS"
for s in resolve scan classify; do
  grep -q ":$s" <<<"$hits" && ok "a kill hit the $s stage" || echo "    (no kill landed in $s this time)"
done
lab_iotmap daily --out "$work/crash-out" >"$work/final.log" 2>&1
rc=$?
same "the last run completes with exit 0" "$rc" 0
[ "$rc" = 0 ] || tail -30 "$work/final.log"

# --- 3. the result ---
same "PRAGMA integrity_check" "$(q "$db" 'PRAGMA integrity_check')" ok
same "no foreign-key problem" "$(q "$db" 'PRAGMA foreign_key_check' | wc -l)" 0
out=$("$IOTMAP" --db "$db" db check 2>&1); rc=$?
check "iotmap db check passes" 0 "^check: ok$"
hitlist_of "$db" >"$work/crash.csv"
if cmp -s "$work/ref.csv" "$work/crash.csv"; then ok "the hitlist equals the uninterrupted run's"; else
  bad "the hitlists differ:"; diff "$work/ref.csv" "$work/crash.csv" | head -20; fi
cmp -s "$work/ref-out/hitlist-$today.csv" "$work/crash-out/hitlist-$today.csv" &&
  ok "the exported hitlist files are identical" || bad "hitlist files differ"
obs="SELECT count(*) FROM tls_observations"
dist="SELECT count(*) FROM (SELECT DISTINCT ip, port, sni FROM tls_observations)"
same "every (ip, port, SNI) observed, as in the reference" "$(q "$db" "$dist")" "$(q "$work/ref.db" "$dist")"
same "... and each exactly once" "$(q "$db" "$obs")" "$(q "$db" "$dist")"
res="SELECT count(*) FROM (SELECT DISTINCT name_id, qtype, vantage_id FROM resolutions)"
same "every (name, type, vantage point) resolved, as in the reference" "$(q "$db" "$res")" "$(q "$work/ref.db" "$res")"
same "one scan run for the day (a killed scan resumed)" \
  "$(q "$db" "SELECT count(*) FROM runs WHERE kind = 'scan' AND status = 'ok'")" 1
same "no daily run left 'running'" "$(q "$db" "SELECT count(*) FROM runs WHERE kind = 'daily' AND status = 'running'")" 0
# A kill can land after the run recorded its end (while it prints the summary): such a run is
# 'ok'. Every other killed run must have been found and closed by the next one.
n=$(q "$db" "SELECT count(*) FROM runs WHERE kind = 'daily' AND message LIKE 'interrupted%'")
same "killed runs closed as interrupted ($n), no other failure" \
  "$(q "$db" "SELECT count(*) FROM runs WHERE kind = 'daily' AND status <> 'ok' AND message NOT LIKE 'interrupted%'")" 0
[ "$n" -ge 1 ] && [ "$n" -le "$killed" ] && ok "$n of $killed kills interrupted a run before it recorded its end" ||
  bad "$n runs interrupted for $killed kills"
pgrep -f -- "--db $db " >/dev/null && bad "a process of the test is still running" || ok "no process left"
ops_summary ops_crash_test
