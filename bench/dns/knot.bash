# The DNS benches' server (sourced by run.sh and hourly_cost.sh in the bench's directory, with
# ADDR, DIR, CORE_KNOT, IN_FLIGHT and TIMEOUT_MS set): a zone with one distinct A record per
# name, knot serving it on loopback, and iotmap's configuration for it.
knot_pid=""
stop_knot() { [ -n "$knot_pid" ] && kill "$knot_pid" 2>/dev/null || true; }

# make_zone N: bench.zone, names.txt and dnsperf.txt (n<i>.bench. A 10.<i>), kept for the next
# run with the same N.
make_zone() {
  [ -f "zone.$1.done" ] && return
  rm -f zone.*.done
  python3 - "$1" <<'EOF'
import sys
n = int(sys.argv[1])
with open("bench.zone", "w") as z, open("names.txt", "w") as names, open("dnsperf.txt", "w") as q:
    z.write("$ORIGIN bench.\n$TTL 3600\n@ SOA ns.bench. host.bench. 1 3600 600 86400 60\n"
            "@ NS ns.bench.\nns A 127.0.1.53\n")
    for i in range(n):
        z.write(f"n{i} A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n")
        names.write(f"n{i}.bench\n")
        q.write(f"n{i}.bench A\n")
EOF
  touch "zone.$1.done"
}

# start_knot N: knot on loopback, on its own core, until the zone's last name answers.
start_knot() {
  cat >knot.conf <<EOF
server:
    listen: $ADDR@53
    rundir: $DIR
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: $DIR/knot.log
    any: warning
database:
    storage: $DIR/knotdb
zone:
  - domain: bench.
    file: $DIR/bench.zone
    zonefile-sync: -1
    journal-content: none
EOF
  rm -rf knotdb
  taskset -c "$CORE_KNOT" knotd -c knot.conf >knot.out 2>&1 &
  knot_pid=$!
  local last="n$(($1 - 1)).bench"
  for _ in $(seq 600); do
    kdig +short +timeout=1 +retry=0 @"$ADDR" "$last" A 2>/dev/null | grep -q . && break
    sleep 0.5
  done
  kdig +short @"$ADDR" "$last" A | grep -q . || { echo "knot did not load the zone" >&2; exit 1; }
  echo "knot up (pid $knot_pid), $1 names"
}

# write_config: iotmap.toml, one vantage point whose resolver is the bench's knot.
write_config() {
  cat >iotmap.toml <<EOF
[[vantage_point]]
name = "bench"
location = "loopback"
resolvers = ["$ADDR:53"]
[resolver]
max_in_flight = $IN_FLIGHT
qps = 10000000
timeout_ms = $TIMEOUT_MS
retries = 3
EOF
}

# bench_server N: all of the above, knot stopped when the bench exits.
bench_server() {
  trap stop_knot EXIT
  make_zone "$1"
  start_knot "$1"
  write_config
}
