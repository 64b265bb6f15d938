#!/usr/bin/env bash
# Lab test: a resolver that is down comes back within the hour (needs the lab up: tests/lab/up).
# vp-a is the lab's unbound-a; vp-back is our own unbound, configured like the lab's unbound-b
# (so its answers are vp-b's in lab.json) but listening on faults.dns_drop, which this test
# starts, stops by pid, and starts again.
#  1. With vp-back's resolver stopped: vp-a's rows are answered, vp-back's end without a reply
#     (NETWORK_ERROR, NO_RESOLVER or TIMEOUT) and the run fails (exit 1).
#  2. Resolver back, same hour: the rerun asks only vp-back's jobs (its row count is theirs, no
#     name is "already resolved"), and every (hour, name, type, vantage point) has one row,
#     vp-back's now equal to lab.json.
#  3. A third run in the hour: every name already resolved, nothing asked.
#   bash tests/lab/resolver_outage_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail  # no -e: every check runs and reports
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" resolver-outage "$1" "$2"

unbound_pid=
stop_unbound() {
  [ -n "$unbound_pid" ] || return 0
  kill "$unbound_pid" 2>/dev/null
  wait "$unbound_pid" 2>/dev/null
  unbound_pid=
  rm -f "$LAB_DIR/run/resolver_outage_test.pid"
}
cleanup() {
  stop_unbound
  rm -rf "$work"
}
trap cleanup EXIT
expect() { if [ "$2" -eq 0 ]; then ok "$1"; else bad "$1"; fi; }  # expect DESCRIPTION STATUS

back_ip=$(lab_json 'd["faults"]["dns_drop"]["addresses"][0]')
# unbound-b's configuration on another address, with its state in our directory.
sed -e '/^  interface:/d' -e "s|^  port: 53|  interface: $back_ip\n  port: 53|" \
  -e "s|$LAB_DIR/unbound-b|$work|g" "$LAB_DIR/unbound-b/unbound.conf" >"$work/unbound.conf"
cp "$LAB_DIR/unbound-b/root.hints" "$work/"
start_unbound() {
  # Not through in_lab: `ip netns exec` execs unbound, so $! is unbound's own pid.
  ip netns exec "$LAB_NS" unbound -d -p -c "$work/unbound.conf" >>"$work/unbound.log" 2>&1 &
  unbound_pid=$!
  echo "$unbound_pid" >"$LAB_DIR/run/resolver_outage_test.pid" 2>/dev/null || true
  for _ in $(seq 100); do
    in_lab dig +short +time=1 +tries=1 @"$back_ip" mqtt.googleapis.com A 2>/dev/null | grep -q . &&
      return 0
    sleep 0.1
  done
  return 1
}

vp_a=$(lab_json '[v for v in d["vantage_points"] if v["name"] == "vp-a"][0]["resolvers"][0]["address"]')
cat >"$work/lab.toml" <<EOF
[[vantage_point]]
name = "vp-a"
location = "lab-a"
resolvers = ["$vp_a:53"]
[[vantage_point]]
name = "vp-back"
location = "lab-b"
resolvers = ["$back_ip:53"]
[resolver]
timeout_ms = 400
retries = 1
EOF
lab_json '"\n".join(n["name"] for n in d["names"])' >"$work/names.txt"
n=$(grep -c . "$work/names.txt")
db=$work/outage.db
resolve_lab() {  # resolve_lab NAME: resolve the lab's names inside the namespace; rc, stderr in $work/NAME.err
  rc=0
  in_lab "$IOTMAP" --config "$work/lab.toml" --db "$db" resolve --once - <"$work/names.txt" \
    2>"$work/$1.err" || rc=$?
}
sql() { sqlite3 -separator ' ' "$db" "$@"; }
last_run() { sql "SELECT id, covers FROM runs WHERE kind = 'resolve' ORDER BY id DESC LIMIT 1"; }

# The resolver answered, then went down: stopped by its pid.
start_unbound
expect "our unbound answers on $back_ip" $?
stop_unbound

# --- 1. the resolver is down ---
resolve_lab first
read -r run1 hour1 < <(last_run)
expect "with vp-back's resolver down the run fails (rc $rc)" "$([ "$rc" -eq 1 ]; echo $?)"
read -r a_rows a_answered < <(sql "SELECT count(*), sum(status NOT IN ('TIMEOUT','NETWORK_ERROR','NO_RESOLVER'))
  FROM resolutions r JOIN vantage_points v ON v.id = r.vantage_id WHERE v.name = 'vp-a'")
read -r b_rows b_failed < <(sql "SELECT count(*), sum(status IN ('TIMEOUT','NETWORK_ERROR','NO_RESOLVER'))
  FROM resolutions r JOIN vantage_points v ON v.id = r.vantage_id WHERE v.name = 'vp-back'")
expect "vp-a: $a_answered of $a_rows rows answered; vp-back: $b_failed of $b_rows without a reply ($((2 * n)) each)" \
  "$([ "$a_rows" -eq $((2 * n)) ] && [ "$a_answered" -eq $((2 * n)) ] &&
     [ "$b_rows" -eq $((2 * n)) ] && [ "$b_failed" -eq $((2 * n)) ]; echo $?)"

# --- 2. back within the hour ---
start_unbound
expect "our unbound answers again" $?
resolve_lab second
read -r run2 hour2 < <(last_run)
if [ "$hour2" != "$hour1" ]; then
  echo "skipped: the rerun started in the next hour ($hour1 -> $hour2)"
  ops_summary resolver_outage_test
  exit
fi
rows2=$(sql "SELECT json_extract(counts, '\$.rows') FROM runs WHERE id = $run2")
expect "the rerun exits 0 (rc $rc) and stores only vp-back's $((2 * n)) jobs ($rows2 rows)" \
  "$([ "$rc" -eq 0 ] && [ "$rows2" = $((2 * n)) ] &&
     grep -q "less $((2 * n)) answered earlier = $((2 * n)) rows ($((2 * n)) new)" "$work/second.err" &&
     ! grep -q 'already resolved' "$work/second.err"; echo $?)"
read -r keys most < <(sql "SELECT count(*), max(c) FROM (SELECT count(*) AS c FROM resolutions
  GROUP BY hour, name_id, qtype, vantage_id)")
expect "one row per (hour, name, type, vantage point): $keys keys, at most $most rows each" \
  "$([ "$keys" -eq $((4 * n)) ] && [ "$most" -eq 1 ]; echo $?)"
a_runs=$(sql "SELECT group_concat(DISTINCT run_id) FROM resolutions r JOIN vantage_points v
  ON v.id = r.vantage_id WHERE v.name = 'vp-a'")
b_runs=$(sql "SELECT group_concat(DISTINCT run_id) FROM resolutions r JOIN vantage_points v
  ON v.id = r.vantage_id WHERE v.name = 'vp-back'")
expect "vp-a's rows are the first run's ($a_runs), vp-back's the rerun's ($b_runs)" \
  "$([ "$a_runs" = "$run1" ] && [ "$b_runs" = "$run2" ]; echo $?)"
"$IOTMAP" --db "$db" export resolutions --hour "$hour2" --format jsonl >"$work/rows.jsonl"
"$LAB_PYTHON" - "$LAB_JSON" "$work/rows.jsonl" <<'EOF'
import json, sys, ipaddress
d = json.load(open(sys.argv[1]))
rows = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    rows[(r["name"], r["qtype"], r["vantage"])] = r
bad = checked = 0
for n in d["names"]:
    for vp, want_vp in (("vp-a", "vp-a"), ("vp-back", "vp-b")):
        for qtype, exp in n["answers"][want_vp].items():
            r = rows.get((n["name"], qtype, vp))
            want = ({"ANSWER": "NOERROR"}.get(exp["status"], exp["status"]), exp["cname_chain"],
                    sorted(exp["addresses"]))
            have = r and (r["status"], r["cname_chain"],
                          sorted(str(ipaddress.ip_address(a["ip"])) for a in r["answers"]))
            checked += 1
            if have != want:
                print(f"FAIL: {n['name']} {qtype} {vp}: stored {have}, lab.json {want}"); bad += 1
print(f"{'ok' if bad == 0 else 'FAIL'}: {checked} rows compared with lab.json, {bad} differences")
sys.exit(1 if bad or checked == 0 else 0)
EOF
expect "every row equals lab.json (vp-back as vp-b)" $?

# --- 3. everything answered ---
resolve_lab third
read -r run3 hour3 < <(last_run)
rows3=$(sql "SELECT json_extract(counts, '\$.rows') FROM runs WHERE id = $run3")
if [ "$hour3" = "$hour1" ]; then
  expect "a third run asks nothing (rc $rc, $rows3 rows)" \
    "$([ "$rc" -eq 0 ] && [ "$rows3" = 0 ] &&
       grep -q "$n of $n names already resolved" "$work/third.err"; echo $?)"
fi

ops_summary resolver_outage_test
