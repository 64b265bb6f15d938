#!/usr/bin/env bash
# Lab test: `iotmap daily` with no configuration on a host whose resolv.conf points at lab
# resolvers (needs the lab up: tests/lab/up). `ip netns exec` bind-mounts
# /etc/netns/NAMESPACE/resolv.conf over /etc/resolv.conf, so the lab's namespace is that host:
# its resolv.conf names unbound-a by IPv4, unbound-b by IPv6, and a scoped link-local address.
#  - the embedded default's vantage point, "system", asks the two lab resolvers (the scoped one
#    is skipped with a note) and the day gets rows with answers equal to lab.json;
#  - the runs and vantage_points tables name it "system" with those resolvers;
#  - the scan is refused and the summary says in one line what to set.
#   bash tests/lab/default_resolver_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail  # no -e: every check runs and reports
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" default-resolver "$1" "$2"

netns_etc=/etc/netns/$LAB_NS
made_etc=
cleanup() {
  [ -n "$made_etc" ] && rm -rf "$netns_etc"
  rm -rf "$work"
}
trap cleanup EXIT
if [ -e "$netns_etc" ]; then
  bad "$netns_etc exists already: not ours to replace"
  ops_summary default_resolver_test
  exit
fi
mkdir -p "$netns_etc" && made_etc=1
v4=$(lab_json '[r for r in d["resolvers"] if r["id"] == "unbound-a"][0]["listen"][0]')
v6=$(lab_json '[a for a in [r for r in d["resolvers"] if r["id"] == "unbound-b"][0]["listen"] if ":" in a][0]')
cat >"$netns_etc/resolv.conf" <<EOF2
# the lab host's resolvers
nameserver $v4
nameserver $v6
nameserver fe80::1%lo
options edns0
EOF2
same "inside the namespace /etc/resolv.conf is the lab host's" \
  "$(in_lab grep -c '^nameserver' /etc/resolv.conf)" 3

cd "$work" || exit 1
out=$(in_lab env -u IOTMAP_DB "$IOTMAP" --db "$work/iotmap.db" daily 2>&1)
rc=$?
db=$work/iotmap.db
q() { sqlite3 -separator ' ' "$db" "$@"; }
check "daily with no --config: partial (exit 7), the scan refused" 7 "^result: partial \(exit 7\)"
has "the scan's one line says what to set" \
  "^scan +refused \(exit 6\) +[0-9.]+s +ethics preconditions not met: set ethics.blocklist_file and ethics.contact in a file given with --config \(ETHICS.md\)$"
has "resolve says it skipped the scoped address" \
  "vantage point system: /etc/resolv.conf:4: nameserver fe80::1%lo: an IPv6 address with a scope"
has "resolve ended ok" "^resolve +ok "
same "runs: the resolve run's vantage point is system" \
  "$(q "SELECT vantage FROM runs WHERE kind = 'resolve'")" system
same "vantage_points: system with the lab host's two resolvers" \
  "$(q "SELECT name, location, resolvers FROM vantage_points")" \
  "system this host [\"$v4:53\",\"[$v6]:53\"]"
same "both resolvers answered (IPv4 and IPv6)" \
  "$(q "SELECT group_concat(resolver, ' ') FROM (SELECT DISTINCT resolver FROM resolutions
        WHERE rcode IS NOT NULL ORDER BY resolver)")" "$v4:53 [$v6]:53"
rows=$(q "SELECT count(*) FROM resolutions")
names=$(q "SELECT count(*) FROM names")
same "a row per name and type ($rows rows, $names names)" "$rows" "$((2 * names))"
# Every lab name the catalogue lists has the answers lab.json gives unbound-a's vantage point.
"$IOTMAP" --db "$db" export resolutions --date "$(date -u +%F)" --format jsonl \
  >"$work/rows.jsonl" 2>/dev/null
"$LAB_PYTHON" - "$LAB_JSON" "$work/rows.jsonl" <<'PY'
import json, sys, ipaddress
d = json.load(open(sys.argv[1]))
rows = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    rows[(r["name"], r["qtype"])] = r
checked = bad = 0
for n in d["names"]:
    for qtype, exp in n["answers"]["vp-a"].items():
        r = rows.get((n["name"], qtype))
        if r is None:
            continue  # not a catalogue name
        want = ({"ANSWER": "NOERROR"}.get(exp["status"], exp["status"]), sorted(exp["addresses"]))
        have = (r["status"], sorted(str(ipaddress.ip_address(a["ip"])) for a in r["answers"]))
        checked += 1
        # unbound-b's answers differ for the geo names: either lab resolver's answer is right.
        alt = n["answers"]["vp-b"].get(qtype, exp)
        want_b = ({"ANSWER": "NOERROR"}.get(alt["status"], alt["status"]), sorted(alt["addresses"]))
        if have not in (want, want_b):
            print(f"FAIL {n['name']} {qtype}: {have}, lab.json {want}"); bad += 1
answered = sum(1 for r in rows.values() if r["answers"])
print(f"{'ok  ' if bad == 0 and checked > 0 and answered > 0 else 'FAIL'} {checked} lab names "
      f"compared with lab.json, {bad} differ; {answered} rows with addresses")
sys.exit(0 if bad == 0 and checked > 0 and answered > 0 else 1)
PY
[ $? -eq 0 ] && ok "the day's rows match lab.json" || bad "the day's rows differ from lab.json"

ops_summary default_resolver_test
