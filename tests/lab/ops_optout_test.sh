#!/usr/bin/env bash
# The opt-out promise of the info page, in the lab (tests/lab/up first): an address added with
# `iotmap optout add` receives no connection from the next scan.
#   1. our own listeners on the lab's reserved silent_tcp addresses (IPv4 and IPv6), ports 443,
#      1883 and 8883, log every connection they accept; a scan of both addresses reaches both;
#   2. `optout add <the IPv4 address>/32 --reason ...`; `optout list` shows it;
#   3. the next scan: the IPv4 listener accepts nothing, the IPv6 one still gets its three
#      connections; the scan counts the skipped connections as opt-out;
#   4. the daily job: with a lab endpoint (AWS us-east-1, 198.51.100.10) opted out after a
#      daily, the next daily's scan (--redo: the same date again) stores no observation of it
#      and counts it as opt-out, while the other endpoints are scanned.
#   bash tests/lab/ops_optout_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" ops_optout_test "$@"  # IOTMAP, SRC, work; the lab is up
listener=
cleanup() {
  [ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null
  rm -f "$LAB_DIR/run/ops_optout_test.pid"
  [ -n "${IOTMAP_OPS_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
ops_lab_config
q() { sqlite3 "$1" "$2"; }
v4=$(lab_json 'd["faults"]["silent_tcp"]["addresses"][0]')
v6=$(lab_json 'd["faults"]["silent_tcp"]["addresses"][1]')

# --- 1. listeners that log every accepted connection ---
. "$SRC/tests/lab/listeners.bash"
if ! start_counting_listeners "$LAB_NS" "$LAB_PYTHON" "$work/accepted.log" 443,1883,8883 "$v4" "$v6"; then
  ops_summary ops_optout_test
  exit 1
fi
echo "$listener" >"$LAB_DIR/run/ops_optout_test.pid"
ok "listeners on $v4 and $v6 (443, 1883, 8883)"
printf '%s\n%s\n' "$v4" "$v6" >"$work/targets.txt"
db=$work/scan.db
accepted() { grep -c "^$1 " "$work/accepted.log" 2>/dev/null || true; }

out=$(lab_iotmap scan --ports 443,1883,8883 "$work/targets.txt" 2>&1); rc=$?
check "a scan before the opt-out" 0 "iotmap scan: run #[0-9]+: 6 connections"
sync_listeners
same "... reaches the IPv4 address on its 3 ports" "$(accepted "$v4")" 3
same "... and the IPv6 address on its 3 ports" "$(accepted "$v6")" 3

# --- 2. the operator of the IPv4 address asks to be left out ---
out=$("$IOTMAP" --config "$work/lab.toml" optout add "$v4/32" --reason "lab operator asked" 2>&1); rc=$?
check "optout add" 0 "opted out $v4/32"
out=$("$IOTMAP" --config "$work/lab.toml" optout list 2>&1); rc=$?
check "optout list shows it with the reason" 0 "^$v4/32	lab operator asked"

# --- 3. the next scan ---
: >"$work/accepted.log"
out=$(lab_iotmap scan --ports 443,1883,8883 "$work/targets.txt" 2>&1); rc=$?
check "the next scan runs" 0 "iotmap scan: run #[0-9]+:"
sync_listeners
same "the opted-out address accepted no connection" "$(accepted "$v4")" 0
same "the other address still got its 3 connections" "$(accepted "$v6")" 3
run2=$(q "$db" "SELECT max(id) FROM runs WHERE kind = 'scan'")
same "the scan counts 3 connections skipped for the opt-out" \
  "$(q "$db" "SELECT json_extract(counts, '\$.optout') FROM runs WHERE id = $run2")" 3
same "no observation of the opted-out address in that scan" \
  "$(q "$db" "SELECT count(*) FROM tls_observations WHERE run_id = $run2 AND ip = '$v4'")" 0

# --- 4. the same through the daily job, on a real lab endpoint ---
db=$work/daily.db
endpoint=198.51.100.10
out=$(lab_iotmap daily --out "$work/out1" 2>&1); rc=$?
check "a daily before the opt-out" 0 "^scan +ok "
n=$(q "$db" "SELECT count(*) FROM tls_observations WHERE ip = '$endpoint'")
[ "$n" -gt 0 ] && ok "... observed $endpoint ($n connections)" || bad "the first daily did not scan $endpoint"
out=$("$IOTMAP" --config "$work/lab.toml" optout add "$endpoint" --reason "lab operator of AWS us-east-1" 2>&1); rc=$?
check "optout add $endpoint" 0 "opted out $endpoint/32"
# The next scan: tomorrow's daily, or today's run again with --redo (today's scan is not
# repeated for the date otherwise).
out=$(lab_iotmap daily --redo --out "$work/out2" 2>&1); rc=$?
check "the next daily (--redo)" 0 "^scan +ok .*optout [1-9]"
run2=$(q "$db" "SELECT max(id) FROM runs WHERE kind = 'scan'")
same "its scan is a new run" "$(q "$db" "SELECT count(*) FROM runs WHERE kind = 'scan'")" 2
same "no observation of $endpoint in it" \
  "$(q "$db" "SELECT count(*) FROM tls_observations WHERE run_id = $run2 AND ip = '$endpoint'")" 0
n=$(q "$db" "SELECT count(DISTINCT ip) FROM tls_observations WHERE run_id = $run2")
[ "$n" -gt 5 ] && ok "the other endpoints were scanned ($n addresses)" || bad "only $n addresses scanned"
ops_summary ops_optout_test
