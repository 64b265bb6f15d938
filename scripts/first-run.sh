#!/usr/bin/env bash
# The README's first command: builds iotmap and runs a whole day (resolve from the lab's vantage
# points, scan, classify, export, report) against the bundled test lab, a mini-Internet of IoT
# backends in a network namespace that this script starts and stops itself. No Internet needed;
# root is (the namespace). Ends by printing where the hitlist and the HTML report are and what
# they hold.
#
#   bash scripts/first-run.sh        (as root)
#
# IOTMAP_FIRST_RUN_DIR (default ./first-run) receives the configuration, database and outputs;
# IOTMAP_LAB_NS / IOTMAP_LAB_DIR name the lab's namespace and state (defaults iotmap-first-run,
# /tmp/iotmap-first-run-lab). Exit: 0 done, 1 a step failed (its output says which, and the lab is stopped), 2 not root
# or no network namespaces (nothing done).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$PWD

if [ "$(id -u)" != 0 ]; then
  cat >&2 <<EOF
first-run: needs root. The lab it runs against lives in a network namespace (ip netns), and
installing missing packages needs root too. Run it as root:

    sudo bash scripts/first-run.sh

Nothing was installed, built or started. Without root you can still build iotmap
(bash scripts/build.sh, once its packages are installed: scripts/install-deps.sh --list build)
and run it against real resolvers: see "Running it for real" in README.md.
EOF
  exit 2
fi
# Root is not enough in a container without CAP_SYS_ADMIN: try a throwaway network namespace
# (unshare leaves nothing behind) before installing, building or starting anything.
if ! err=$(unshare --net true 2>&1); then
  cat >&2 <<EOF
first-run: this machine cannot create a network namespace (unshare --net: ${err:-failed}).
The lab it runs against lives in one. In a container, run it with CAP_SYS_ADMIN (docker run
--privileged), or on a machine or VM of your own.

Nothing was installed, built or started. You can still build iotmap (bash scripts/build.sh)
and run it against real resolvers: see "Running it for real" in README.md.
EOF
  exit 2
fi

export IOTMAP_LAB_NS=${IOTMAP_LAB_NS:-iotmap-first-run}
export IOTMAP_LAB_DIR=${IOTMAP_LAB_DIR:-/tmp/iotmap-first-run-lab}
export IOTMAP_LAB_UP_TIMEOUT=${IOTMAP_LAB_UP_TIMEOUT:-300}
out=$(mkdir -p "${IOTMAP_FIRST_RUN_DIR:-$src/first-run}" && cd "${IOTMAP_FIRST_RUN_DIR:-$src/first-run}" && pwd)
step() { printf '\n==== first-run: %s\n' "$*" >&2; }
started=$(date +%s)

step "installing what is missing (scripts/install-deps.sh lab), building the binary (scripts/build.sh iotmap)"
bash scripts/install-deps.sh lab >&2
bash scripts/build.sh iotmap >&2

step "starting the lab (namespace $IOTMAP_LAB_NS): DNS, three resolvers, MQTT, AMQP and HTTPS servers"
trap 'tests/lab/down --quiet || true' EXIT
tests/lab/up >&2

# The lab's configuration (tests/lab/ops_lab.bash): its vantage points and candidate names, a
# blocklist and contact (a scan refuses without them), the lab's prefix-to-AS table.
set --
IOTMAP=$src/build/src/iotmap SRC=$src work=$out
. tests/lab/ops_lab.bash
# A first impression must not depend on how busy the machine is: the lab's resolvers (one thread
# each, no cache) get a modest query rate, 3 s per try and 3 more tries, where the lab tests use
# 2000/s, 1 s and 1.
OPS_RESOLVER_QPS=100 OPS_RESOLVER_TIMEOUT_MS=3000 OPS_RESOLVER_RETRIES=3 \
  OPS_VANTAGE_POINTS=$(lab_json '" ".join(d["expected_hitlist"]["vantage_points"])') ops_lab_config
# Passive DNS of today (lab.json's evidence): other sites on provider addresses, which make
# Google's address shared, as they would with a real passive DNS feed.
"$LAB_PYTHON" - "$LAB_JSON" >>"$out/names.jsonl" <<'PY'
import json, sys, time
now = int(time.time())
for name, rrtype, rdata in json.load(open(sys.argv[1]))["evidence"]["passive_dns"]:
    print(json.dumps({"rrname": name, "rrtype": rrtype, "rdata": [rdata],
                      "time_first": now - now % 86400, "time_last": now}))
PY
db=$out/iotmap.db
rm -f "$db" "$db-wal" "$db-shm" "$db.lock"
today=$(date -u +%F)

# Jobs (name x type x vantage point) of the latest hour that got no reply at all.
unanswered() {
  "$LAB_PYTHON" - "$db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute("SELECT count(*) FROM resolutions WHERE hour = (SELECT max(hour) FROM resolutions)"
                " AND status IN ('TIMEOUT', 'NETWORK_ERROR', 'NO_RESOLVER')").fetchone()[0])
PY
}

step "iotmap daily: resolve, scan, classify, export, report (configuration $out/lab.toml)"
day() { rc=0; in_lab "$IOTMAP" --config "$out/lab.toml" --db "$db" daily "$@" --out "$out/out" || rc=$?; }
day
# A resolver that stalls (a loaded machine, a lab server slow to start) leaves jobs without a
# reply and fails the resolve stage; a rerun of the day asks only those jobs again
# (docs/resolver.md) and redoes scan and classify.
for attempt in 2 3; do
  left=$(unanswered)
  [ "$left" = 0 ] && break
  step "$left resolutions got no reply: iotmap daily --redo (attempt $attempt of 3) asks them again"
  sleep 10
  day --redo
done
if [ "$rc" != 0 ]; then
  step "iotmap daily failed (exit $rc; $(unanswered) resolutions without a reply): read its summary above"
  exit 1
fi
left=$(unanswered)
[ "$left" = 0 ] || step "warning: $left resolutions still got no reply; the hitlist may lack rows"
hitlist=$out/out/hitlist-$today.csv
report=$out/out/footprint-$today.html
"$IOTMAP" --config "$out/lab.toml" --db "$db" export hitlist --date "$today" --format csv \
  --include-shared --output "$out/all.csv"

step "done in $(($(date +%s) - started)) s; the lab is stopped on exit"
"$LAB_PYTHON" - "$hitlist" "$out/all.csv" "$report" "$db" <<'PY'
import csv, sys
hitlist, everything, report, db = sys.argv[1:]
rows = list(csv.DictReader(open(hitlist, newline="")))
all_rows = list(csv.DictReader(open(everything, newline="")))
def family(ip): return "IPv6" if ":" in ip else "IPv4"
ips = {r["ip"] for r in rows}
providers = sorted({r["provider"] for r in rows})
shared = sorted({r["ip"] for r in all_rows if r["infrastructure"] != "dedicated"})
print(f"Hitlist (the dedicated IoT servers a traffic detector loads): {hitlist}")
print(f"  {len(rows)} rows: {len(providers)} providers, {len(ips)} addresses "
      f"({sum(family(i) == 'IPv4' for i in ips)} IPv4, {sum(family(i) == 'IPv6' for i in ips)} IPv6)")
for p in providers:
    mine = [r for r in rows if r["provider"] == p]
    print(f"  {p}: {len({r['ip'] for r in mine})} addresses, {len({r['domain'] for r in mine})} domains, "
          f"ports {' '.join(sorted({r['port'] + '/' + r['protocol'] for r in mine}))}")
print()
fmt = "  {:<10} {:<54} {:<20} {:>5}  {}"
print(fmt.format("provider", "domain", "ip", "port", "protocol"))
for r in rows:
    print(fmt.format(r["provider"], r["domain"], r["ip"], r["port"], r["protocol"]))
print()
print(f"Classification: {len(ips)} addresses dedicated to one provider, {len(shared)} shared "
      f"(left out of the hitlist: {' '.join(shared) or 'none'})")
print(f"HTML report (per provider: addresses, ASes, prefixes, locations, ports): {report}")
print(f"Database (every resolution, certificate and verdict, SQLite): {db}")
PY
