# Shared by the operations lab tests (tests/lab/ops_*_test.sh): a lab configuration for
# `iotmap daily` and helpers. Not a test itself (ctest runs *_test.sh). Source it as
#   . "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" TEST_NAME IOTMAP_BINARY SOURCE_DIR
# to get IOTMAP and SRC (absolute), a scratch directory $work, tests/lab/env.sh and
# tests/cli/ops_common.bash; it exits 1 when the lab is not up.
#
# The configuration: vantage points vp-a and vp-b; the lab's provider names as candidates from
# a passive DNS file whose records are from 2001 (so they name candidates without adding
# passive DNS evidence to today's classification); a blocklist holding the lab's "blocked"
# addresses; the lab's documentation prefixes allowed (default_blocklist = false); a contact;
# an opt-out file; the lab's prefix-to-AS table; a fast scan (the lab answers at once).
if [ $# -ge 3 ]; then
  IOTMAP=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
  SRC=$(cd "$3" && pwd)
fi
. "$SRC/tests/lab/env.sh"
. "$SRC/tests/cli/ops_common.bash"
if [ $# -ge 3 ]; then
  lab_is_up || { echo "$1: the lab is not up (tests/lab/up)" >&2; exit 1; }
  work=$(mktemp -d "/tmp/iotmap-$1.XXXXXX")
fi

# ops_lab_config [EXTRA-TOML]: writes $work/lab.toml and its files. OPS_RESOLVER_QPS and
# OPS_SCAN_RATE (defaults 2000 and 1000) slow the measurement stages down; OPS_RESOLVER_TIMEOUT_MS
# and OPS_RESOLVER_RETRIES (defaults 1000 and 1) give a loaded machine's resolvers more time;
# OPS_VANTAGE_POINTS (default "vp-a vp-b") picks the lab's vantage points, with their client subnets.
ops_lab_config() {
  "$LAB_PYTHON" - "$LAB_JSON" "$work" "$SRC" "${1:-}" <<'PY'
import json, os, sys
d = json.load(open(sys.argv[1]))
qps = os.environ.get("OPS_RESOLVER_QPS", "2000")    # slower runs give kills more to hit
rate = os.environ.get("OPS_SCAN_RATE", "1000")
timeout_ms = os.environ.get("OPS_RESOLVER_TIMEOUT_MS", "1000")
retries = os.environ.get("OPS_RESOLVER_RETRIES", "1")
work, src, extra = sys.argv[2], sys.argv[3], sys.argv[4]
vps = os.environ.get("OPS_VANTAGE_POINTS", "vp-a vp-b").split()
with open(f"{work}/names.jsonl", "w") as f:
    for n in d["names"]:
        if n.get("provider"):
            f.write(json.dumps({"rrname": n["name"], "rrtype": "A", "rdata": ["192.0.2.250"],
                                "time_first": 978307200, "time_last": 978393600}) + "\n")
open(f"{work}/optout.txt", "a").close()  # a configured opt-out file must exist for a scan
with open(f"{work}/blocklist.txt", "w") as f:
    f.write("# the lab's address that must never see a packet\n")
    for a in d["faults"]["blocked"]["addresses"]:
        f.write(a + ("/128" if ":" in a else "/32") + "\n")
def ep(r):
    a = r["address"]
    return (f"[{a}]" if ":" in a else a) + f":{r['port']}"
with open(f"{work}/lab.toml", "w") as f:
    for v in d["vantage_points"]:
        if v["name"] not in vps:
            continue
        f.write(f'[[vantage_point]]\nname = "{v["name"]}"\nlocation = "{v["location"]}"\n')
        if v.get("client_subnet"):
            f.write(f'client_subnet = "{v["client_subnet"]}"\n')
        f.write("resolvers = [" + ", ".join(f'"{ep(r)}"' for r in v["resolvers"]) + "]\n\n")
    f.write(f"[resolver]\ntimeout_ms = {timeout_ms}\nretries = {retries}\nqps = {qps}\n\n")
    f.write(f"[scan]\nrate = {rate}\nmax_in_flight = 200\ntimeout_ms = 2000\n"
            "per_ip_spacing_ms = 0\nper_prefix_spacing_ms = 0\nseed = 4242\n\n")
    f.write("[ethics]\n# the lab's documentation prefixes are IANA special-purpose: allowed here only\n"
            f'default_blocklist = false\nblocklist_file = "{work}/blocklist.txt"\n'
            f'optout_file = "{work}/optout.txt"\ncontact = "lab-ops@example.org"\n\n')
    f.write(f'[sources]\npassive_dns = ["{work}/names.jsonl"]\npfx2as = "{src}/tests/lab/pfx2as.txt"\n')
    f.write(extra + "\n")
PY
}

# lab_iotmap ARGS...: iotmap inside the namespace with the lab configuration and $db
lab_iotmap() { in_lab "$IOTMAP" --config "$work/lab.toml" --db "$db" "$@"; }

# hitlist_of DB: the date's hitlist as the export writes it (CSV), for comparisons
hitlist_of() {
  "$IOTMAP" --config "$work/lab.toml" --db "$1" export hitlist --date "$(date -u +%F)" --format csv 2>/dev/null
}

# pcap_stop PID RAW OUT MARKER: stops tcpdump PID, which writes RAW, once RAW holds a packet of
# host MARKER, then writes RAW without MARKER's packets to OUT. The caller sends MARKER's packet
# (matching tcpdump's filter) after all the traffic it captures: tcpdump writes late on a loaded
# machine (up to 1 s late, in blocks, without --immediate-mode) and what it has not written when
# stopped is lost, so no fixed sleep before the kill is long enough. Returns 1 when the marker
# did not show within 30 s (tcpdump is stopped all the same).
pcap_stop() {
  local pid=$1 raw=$2 out=$3 marker=$4 seen=1
  for _ in $(seq 300); do
    [ -n "$(tcpdump -r "$raw" -n "host $marker" 2>/dev/null)" ] && { seen=0; break; }
    sleep 0.1
  done
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  tcpdump -r "$raw" -w "$out" "not host $marker" 2>/dev/null
  return $seen
}
