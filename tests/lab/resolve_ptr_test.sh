#!/usr/bin/env bash
# resolve --ptr in the lab (tests/lab/up first; issue #12, item 4): the PTR names of candidate
# addresses, asked through the vantage point's resolver from the lab's reverse zones
# (zones/113.0.203.in-addr.arpa.zone, zones/8.b.d.0.1.0.0.2.ip6.arpa.zone; lab.json `ptr`).
#   1. resolve without --ptr: the provider names' addresses, no PTR row;
#   2. resolve --ptr, with the CDN edge's IPv6 address on the blocklist: a PTR row (kind ptr,
#      source vp-a) for each address lab.json `ptr` names but the blocklisted one, none for
#      the addresses without a reverse name; the run counts what it asked and left out;
#   3. classify: PTR names are no served names, so they change no verdict and no sharing count;
#   4. `iotmap daily` asks them in its resolve stage ([resolver] daily_ptr, default true), and
#      not with daily_ptr = false; hourly never does.
#   bash tests/lab/resolve_ptr_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" resolve_ptr_test "$@"  # IOTMAP, SRC, work; lab up
trap '[ -n "${IOTMAP_OPS_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT
ops_lab_config
db=$work/ptr.db
blocked=2001:db8:cd::200
echo "$blocked/128" >>"$work/blocklist.txt"
names=(x9y8z7w6v5u4t3-ats.iot.ap-northeast-1.amazonaws.com
       d3cdnabc-ats.iot.eu-west-1.amazonaws.com
       a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com)
ptr_rows() { sqlite3 -separator ' ' "$db" \
  "SELECT ip, name, kind, source FROM address_names WHERE rrtype = 'PTR' ORDER BY ip, name"; }

# --- 1. without --ptr ---
out=$(lab_iotmap resolve --vantage vp-a "${names[@]}" 2>&1); rc=$?
same "resolve without --ptr exits 0" "$rc" 0
same "no PTR rows without --ptr" "$(ptr_rows)" ""

# --- 2. with --ptr ---
out=$(lab_iotmap resolve --vantage vp-a --ptr "${names[@]}" 2>&1); rc=$?
same "resolve --ptr exits 0" "$rc" 0
want=$("$LAB_PYTHON" - "$LAB_JSON" "$blocked" <<'PY'
import ipaddress, json, sys
lab = json.load(open(sys.argv[1]))
rows = sorted((str(ipaddress.ip_address(ip)), name + ".") for ip, name in lab["ptr"]["names"].items()
              if ipaddress.ip_address(ip) != ipaddress.ip_address(sys.argv[2]))
print("\n".join(f"{ip} {name} ptr vp-a" for ip, name in rows))
PY
)
same "PTR rows: lab.json ptr names of the candidate addresses, but the blocklisted one" \
  "$(ptr_rows)" "$want"
same "no PTR row for the blocklisted $blocked" \
  "$(sqlite3 "$db" "SELECT count(*) FROM address_names WHERE rrtype = 'PTR' AND ip = '$blocked'")" 0
if grep -qE 'PTR: [0-9]+ candidate addresses asked from 1 vantage points \(1 blocklisted, not asked\) in [0-9]+ queries at <= 20/s per resolver: 3 answers with 3 names' <<<"$out"
then ok "the run says what it asked, left out and found"
else bad "no PTR summary line in: $(grep -i ptr <<<"$out")"; fi
counts=$(sqlite3 "$db" "SELECT counts FROM runs WHERE kind = 'resolve' ORDER BY id DESC LIMIT 1")
if grep -qE '"ptr_blocked": ?1[,}]' <<<"$counts" && grep -qE '"ptr_names": ?3[,}]' <<<"$counts"; then
  ok "the run's counts hold ptr_blocked 1 and ptr_names 3"
else bad "run counts: $counts"; fi

# --- 3. PTR names are no served names ---
out=$(lab_iotmap classify --date "$(date -u +%F)" 2>&1); rc=$?
same "classify exits 0" "$rc" 0
same "the EC2 host stays dedicated: its PTR name is no other site" \
  "$(sqlite3 "$db" "SELECT verdict_exclusive FROM ip_verdicts WHERE ip = '203.0.113.30'")" dedicated

# --- 4. the daily job: PTR names once a day ---
# day CONFIG DB JOB...: the job's resolve stage alone on a fresh database; ptr_ips: its PTR rows' addresses.
day() {
  db=$2
  out=$(in_lab "$IOTMAP" --config "$1" --db "$db" "${@:3}" 2>&1); rc=$?
}
ptr_ips() { sqlite3 "$db" "SELECT count(DISTINCT ip) FROM address_names WHERE rrtype = 'PTR'"; }
only_resolve=(--skip fetch,scan,classify,export,report --out "$work/out")
day "$work/lab.toml" "$work/daily.db" daily "${only_resolve[@]}"
same "daily exits 0" "$rc" 0
grep -q -- "--- resolve: iotmap resolve --once --ptr$" <<<"$out" && ok "daily runs resolve with --ptr" ||
  bad "daily's resolve stage: $(grep -- '--- resolve' <<<"$out")"
same "daily stored the PTR names of lab.json ptr's addresses (the blocklisted one aside)" \
  "$(ptr_ips)" "$(($(lab_json 'len(d["ptr"]["names"])') - 1))"
counts=$(sqlite3 "$db" "SELECT counts FROM runs WHERE kind = 'daily'")
grep -qE '"resolve.ptr_names": ?[1-9]' <<<"$counts" && ok "the daily's record holds resolve.ptr_names" ||
  bad "daily run counts: $counts"
day "$work/lab.toml" "$work/hourly.db" hourly
same "hourly exits 0" "$rc" 0
same "hourly asks no PTR name" "$(ptr_ips)" 0
sed 's/^\[resolver\]$/[resolver]\ndaily_ptr = false/' "$work/lab.toml" >"$work/noptr.toml"
day "$work/noptr.toml" "$work/noptr.db" daily "${only_resolve[@]}"
same "daily with daily_ptr = false exits 0" "$rc" 0
same "daily with daily_ptr = false asks no PTR name" "$(ptr_ips)" 0
ops_summary resolve_ptr_test
