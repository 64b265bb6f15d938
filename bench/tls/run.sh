#!/usr/bin/env bash
# TLS certificate-grab benchmark (run by hand, not in CI) against the lab's nginx (tests/lab,
# must be up: tests/lab/up). In one run, each client pinned to the same core while nginx runs
# where the kernel puts it:
#   - iotmap scan --grab-only: TCP connect, TLS handshake stopped once the server's Certificate
#     message has arrived (--tls-mode cert, the default of --grab-only), chain kept, certificate
#     parsed once per fingerprint, one row per grab stored in SQLite; 1 worker, output none;
#   - the same with --tls-mode full: every handshake completed;
#   - iotmap scan with the HTTP HEAD probe (what a catalogue scan of 443 does);
#   - openssl s_time -new: full handshakes one after the other (the handshake limit);
#   - nmap -sT --script ssl-cert: a peer that grabs the certificate of each host once.
# Figures: grabs/s (wall) and CPU (user+sys) per grab; "per core" = grabs per CPU-second.
# Every lab address is reached from inside the namespace (ip netns exec); nothing else is
# contacted. Every process this script starts ends by itself (no servers are started).
#   bash bench/tls/run.sh IOTMAP_BINARY [GRABS]
# Environment: BENCH_DIR (default /tmp/iotmap-bench-tls), BENCH_CORE (default 0),
# BENCH_IN_FLIGHT (default 64), BENCH_STIME_SECONDS (default 5), BENCH_NMAP_ROUNDS (default 3).
set -euo pipefail
IOTMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
GRABS=${2:-20000}
DIR=${BENCH_DIR:-/tmp/iotmap-bench-tls}
CORE=${BENCH_CORE:-0}
IN_FLIGHT=${BENCH_IN_FLIGHT:-64}
STIME_SECONDS=${BENCH_STIME_SECONDS:-5}
NMAP_ROUNDS=${BENCH_NMAP_ROUNDS:-3}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
. "$SRC/tests/lab/env.sh"
lab_is_up || { echo "bench/tls: the lab is not up (tests/lab/up)" >&2; exit 1; }
mkdir -p "$DIR"
cd "$DIR"

# The lab's nginx addresses (port 443), IPv4 and IPv6, from lab.json.
mapfile -t ADDRS < <("$LAB_PYTHON" -c '
import json,sys
d=json.load(open(sys.argv[1]))
seen=[]
for e in d["endpoints"]:
    if e["port"]==443 and e["protocol"]=="https" and e["address"] not in seen: seen.append(e["address"])
print("\n".join(seen))' "$LAB_JSON")
V4=(); for a in "${ADDRS[@]}"; do [[ $a == *:* ]] || V4+=("$a"); done
echo "bench/tls: ${#ADDRS[@]} nginx addresses (${#V4[@]} IPv4), $GRABS grabs, core $CORE, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Distinct (ip, 443, SNI) tasks: every address with names n<i>.bench.test (nginx's default
# server answers unknown names with the address's certificate).
per=$(( (GRABS + ${#ADDRS[@]} - 1) / ${#ADDRS[@]} ))
"$LAB_PYTHON" - "$per" "${ADDRS[@]}" >targets.txt <<'PY'
import sys
per = int(sys.argv[1])
for a in sys.argv[2:]:
    print(a + "," + ",".join(f"n{i}.bench.test" for i in range(per - 1)))
PY
printf '192.0.2.203/32\n' >blocklist.txt
cat >iotmap.toml <<EOT
[scan]
rate = 100000
max_in_flight = $IN_FLIGHT
timeout_ms = 5000
per_ip_spacing_ms = 0
per_prefix_spacing_ms = 0
workers = 1
[ethics]
# lab addresses are IANA documentation prefixes: the default blocklist is overridden here
default_blocklist = false
blocklist_file = "$DIR/blocklist.txt"
contact = "bench@example.org"
max_rate = 100000
EOT

# measure LABEL COMMAND...: runs the command pinned to $CORE; prints "wall user sys" to $LABEL.time.
measure() {
  local label=$1; shift
  /usr/bin/time -f "%e %U %S" -o "$label.time" taskset -c "$CORE" "$@"
}
report() {  # LABEL GRABS [NOTE]
  read -r wall user sys <"$1.time"
  python3 - "$1" "$2" "$wall" "$user" "$sys" "${3:-}" <<'PY'
import sys
label, n, wall, user, sys_, note = sys.argv[1], int(sys.argv[2]), *map(float, sys.argv[3:6]), sys.argv[6]
cpu = user + sys_
print(f"{label:<24} {n:>7} grabs  {wall:7.2f} s wall  {n / wall:8.0f} grabs/s  "
      f"{cpu / n * 1e6:7.1f} us CPU/grab (user {user / n * 1e6:.1f})  {n / cpu if cpu else 0:8.0f} grabs/CPU-s  {note}")
PY
}

run_iotmap() {  # LABEL EXTRA-ARGS...
  local label=$1; shift
  rm -f "$label.db" "$label.db-wal" "$label.db-shm"
  measure "$label" ip netns exec "$LAB_NS" "$IOTMAP" --config iotmap.toml --db "$label.db" \
    scan targets.txt --ports 443 --output none --fresh "$@" 2>"$label.err"
  local ok n
  n=$(sqlite3 "$label.db" "SELECT count(*) FROM tls_observations")
  ok=$(sqlite3 "$label.db" "SELECT count(*) FROM tls_observations WHERE status IN ('ok', 'cert_only') AND leaf_sha256 IS NOT NULL")
  report "$label" "$n" "$ok ok with certificate"
}

echo
run_iotmap iotmap-grab-only --grab-only
run_iotmap iotmap-grab-full --grab-only --tls-mode full
run_iotmap iotmap-https-probe

# openssl s_time: new handshakes back to back for a fixed time, one address (no SNI).
measure s_time ip netns exec "$LAB_NS" openssl s_time -connect "${V4[0]}:443" -new \
  -time "$STIME_SECONDS" >s_time.out 2>&1 || true
n=$(sed -n 's/^\([0-9]*\) connections in .*/\1/p' s_time.out | head -1)
report s_time "${n:-0}" "($(grep -m1 'connections/user sec' s_time.out | sed 's/.*; //'))"

# nmap ssl-cert: each IPv4 address once per round (a TCP connect scan of 443, then the script).
n=0
: >nmap.out
for _ in $(seq "$NMAP_ROUNDS"); do n=$(( n + ${#V4[@]} )); done
measure nmap bash -c "for r in \$(seq $NMAP_ROUNDS); do ip netns exec '$LAB_NS' nmap -n -Pn -sT -p 443 --script ssl-cert ${V4[*]} >>nmap.out; done"
got=$(grep -c 'ssl-cert: Subject' nmap.out || true)
report nmap "$n" "$got certificates printed"
