#!/usr/bin/env bash
# DNS throughput benchmark (run by hand, not in CI): A look-ups of N generated names (default
# 1,000,000) against a knot authoritative server that this script starts on loopback
# (127.0.1.53:53, a zone with one distinct A record per name), in the same run:
#   - dnsperf: the server's limit (queries/s it answers, no client-side work);
#   - iotmap resolve: every answer parsed and stored in SQLite; names/s, CPU seconds per name,
#     completeness (rows with the expected address / N), pinned to one core;
#   - adnshost (GNU adns): a peer that resolves from stdin;
#   - massdns, when BENCH_MASSDNS names its binary (GPL-3.0, not part of iotmap: build it from
#     its own source with `make`, then BENCH_MASSDNS=/path/to/massdns/bin/massdns), with -s 200
#     and -s 2000 in flight, simple text output to a file, on iotmap's core. The last lines give
#     each iotmap figure as a ratio to massdns's (issue #18's goals: engine CPU/name <= 1.0x,
#     hourly <= 2.0x, first run <= 3.0x, hourly names/s >= 0.8x).
# knot runs on the other core. Everything talks to loopback only; every process this script
# starts is stopped by its pid at the end.
#   bash bench/dns/run.sh IOTMAP_BINARY [N]
# Environment: BENCH_DIR (default /tmp/iotmap-bench-dns), BENCH_ADNS_N (names for adnshost,
# default min(N, 200000): it runs at a few thousand names/s), BENCH_IOTMAP_CORE /
# BENCH_KNOT_CORE (defaults 0 and 1), BENCH_IN_FLIGHT (iotmap max_in_flight, default 200),
# BENCH_TIMEOUT_MS (default 500), BENCH_BASELINE (another iotmap binary whose hourly runs are
# measured in the same run, to compare a change with the build before it).
set -euo pipefail
IOTMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
N=${2:-1000000}
ADNS_N=${BENCH_ADNS_N:-$(( N < 200000 ? N : 200000 ))}
DIR=${BENCH_DIR:-/tmp/iotmap-bench-dns}
ADDR=127.0.1.53
CORE_IOTMAP=${BENCH_IOTMAP_CORE:-0}
CORE_KNOT=${BENCH_KNOT_CORE:-1}
# knot with one UDP worker drops queries from bursts of more than a few hundred (its socket
# buffer): a few hundred in flight and a short timeout keep the retries cheap.
IN_FLIGHT=${BENCH_IN_FLIGHT:-200}
TIMEOUT_MS=${BENCH_TIMEOUT_MS:-500}
BUILD=$(cd "$(dirname "$IOTMAP")/.." && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$DIR"
cd "$DIR"
# shellcheck source=bench/dns/knot.bash
. "$SRC/bench/dns/knot.bash"
bench_server "$N"

# --- dnsperf: what the server can answer ---
# On iotmap's core and timed like it: its CPU per query is what sending one datagram and
# receiving one costs here with nothing done with the reply, the floor of any UDP client.
/usr/bin/time -f "%e %U %S" -o dnsperf.time taskset -c "$CORE_IOTMAP" \
  dnsperf -s "$ADDR" -p 53 -d dnsperf.txt -n 1 -c 1 -T 1 -q 2000 -t 2 >dnsperf.out 2>&1 || true
dnsperf_qps=$(awk '/Queries per second/ {print $4}' dnsperf.out)
dnsperf_lost=$(awk '/Queries lost/ {print $3, $4}' dnsperf.out)
read -r dwall duser dsys < <(tail -n 1 dnsperf.time)
echo "dnsperf: $dnsperf_qps queries/s, lost $dnsperf_lost; CPU $(python3 -c \
  "print(f'{($duser + $dsys) / $N * 1e6:.1f} us/query (user $duser s, sys $dsys s)')")"

# --- the engine alone (no database), then iotmap resolve with the store ---
g++ -O2 -std=c++20 -I"$SRC" "$SRC/bench/dns/engine_only.cpp" -o engine_only \
  "$BUILD/resolver/libiotmap_resolver.a" "$BUILD/db/libiotmap_db.a" \
  "$BUILD/config/libiotmap_config.a" "$BUILD/lib/libiotmap_lib.a" \
  -lcares -lldns -levent_core -lsqlite3 -lre2 -ltomlplusplus
/usr/bin/time -f "%e %U %S" -o engine.time taskset -c "$CORE_IOTMAP" \
  ./engine_only names.txt "$ADDR" 53 "$IN_FLIGHT" "$TIMEOUT_MS" >engine.out || true
read -r ewall euser esys < <(tail -n 1 engine.time)
echo "$(cat engine.out); CPU $(python3 -c "print(f'{($euser + $esys) / $N * 1e6:.1f}')") us/name"
echo "engine $(python3 -c "print($N / $ewall, ($euser + $esys) / $N * 1e6)")" >figures.txt

good_sql="SELECT count(*) FROM resolutions r JOIN names n ON n.id = r.name_id
  JOIN resolution_answers a ON a.resolution_id = r.id
  WHERE r.status = 'NOERROR' AND
  a.ip = '10.' || ((CAST(substr(n.name, 2, instr(n.name, '.') - 2) AS INTEGER) >> 16) & 255) || '.' ||
         ((CAST(substr(n.name, 2, instr(n.name, '.') - 2) AS INTEGER) >> 8) & 255) || '.' ||
         (CAST(substr(n.name, 2, instr(n.name, '.') - 2) AS INTEGER) & 255)"
# run_iotmap LABEL TAG ARGS...: one timed `iotmap resolve` on iotmap's core (stdin passed on),
# then its rates, CPU per name and completeness, checked in SQL. RUN_CORES and RUN_IOTMAP, when
# set, give other cores and another binary.
run_iotmap() {
  local label=$1 tag=$2
  shift 2
  /usr/bin/time -f "%e %U %S" -o "$tag.time" taskset -c "${RUN_CORES:-$CORE_IOTMAP}" \
    "${RUN_IOTMAP:-$IOTMAP}" --config iotmap.toml --db bench.db resolve --once --types A "$@" \
    2>"$tag.err" || true
  local wall user sys summary engine_s rows good
  read -r wall user sys < <(tail -n 1 "$tag.time")
  summary=$(grep 'rows/s' "$tag.err" | tail -1)
  engine_s=$(sed -n 's/.* queries in \([0-9.]*\) s .*/\1/p' <<<"$summary")
  rows=$(sqlite3 bench.db "SELECT count(*) FROM resolutions")
  good=$(sqlite3 bench.db "$good_sql")
  echo "$label: $summary"
  python3 - "$label" "$N" "$wall" "$user" "$sys" "$engine_s" "$rows" "$good" "$tag" <<'EOF'
import sys
label, tag = sys.argv[1], sys.argv[9]
n, wall, user, sys_, engine, rows, good = sys.argv[2:9]
n, wall, user, sys_, engine, rows, good = int(n), float(wall), float(user), float(sys_), float(engine or 0), int(rows), int(good)
print(f"{label}: {n / engine:,.0f} names/s while resolving and storing ({engine:.1f} s); "
      f"whole command {wall:.1f} s ({n / wall:,.0f} names/s)")
print(f"{label}: CPU {user + sys_:.1f} s = {(user + sys_) / n * 1e6:.1f} us/name "
      f"(user {user:.1f}, sys {sys_:.1f}); rows {rows}/{n} = {rows / n:.2%}, "
      f"with the expected address {good}/{n} = {good / n:.2%}")
with open("figures.txt", "a") as f:
    f.write(f"{tag} {n / engine if engine else 0} {(user + sys_) / n * 1e6}\n")
EOF
}

# --- the first run: names from stdin, imported with their catalogue match, then resolved ---
rm -f bench.db bench.db-wal bench.db-shm
run_iotmap "iotmap first run (names imported)" iotmap - <names.txt

# --- the hourly run: the same names already known, as cron's next hour finds them ---
# The first run imported the names; the next hour's `resolve --once` (no names on the command
# line) resolves every stored candidate. Deleting this hour's rows stands in for the clock
# moving on: that run would find no row for its new hour either.
sqlite3 bench.db "DELETE FROM resolution_answers; DELETE FROM resolutions;"
run_iotmap "iotmap hourly (names known)" hourly --no-catalogue
# The same with the second core allowed too (knot's): the store writes on a thread of its own.
sqlite3 bench.db "DELETE FROM resolution_answers; DELETE FROM resolutions;"
RUN_CORES="$CORE_IOTMAP,$CORE_KNOT" run_iotmap "iotmap hourly, two cores" hourly-2cores \
  --no-catalogue
# BENCH_BASELINE: another iotmap binary (the build before a change) on the same hourly runs.
if [ -n "${BENCH_BASELINE:-}" ]; then
  for cores in "$CORE_IOTMAP" "$CORE_IOTMAP,$CORE_KNOT"; do
    sqlite3 bench.db "DELETE FROM resolution_answers; DELETE FROM resolutions;"
    RUN_CORES=$cores RUN_IOTMAP=$BENCH_BASELINE run_iotmap "baseline hourly, cores $cores" \
      "baseline-hourly-${cores/,/-}" --no-catalogue
  done
fi

# peer_report LABEL N TIMEFILE OUTFILE PATTERN [TAG]: a peer's names/s, CPU per name and the
# names answered with their address (output lines matching PATTERN); TAG also files the figures
# for ratios.py.
peer_report() {
  local wall user sys answered
  read -r wall user sys < <(tail -n 1 "$3")
  answered=$(grep -c "$5" "$4" || true)
  python3 - "$1" "$2" "$wall" "$user" "$sys" "$answered" "${6:-}" <<'EOF'
import sys
label, n, wall, user, sys_, ok, tag = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
print(f"{label}: {n} names in {wall:.1f} s = {n / wall:,.0f} names/s, "
      f"CPU {(user + sys_) / n * 1e6:.1f} us/name, answered {ok}/{n} = {ok / n:.2%} (not stored)")
if tag:
    with open("figures.txt", "a") as f:
        f.write(f"{tag} {n / wall} {(user + sys_) / n * 1e6} {ok / n}\n")
EOF
}

# --- massdns: the peer issue #18 measures against, on the same names, server and core ---
if [ -n "${BENCH_MASSDNS:-}" ]; then
  echo "$ADDR" >massdns-resolvers.txt
  for s in 200 2000; do
    /usr/bin/time -f "%e %U %S" -o "massdns-$s.time" taskset -c "$CORE_IOTMAP" \
      "$BENCH_MASSDNS" --root -q -r massdns-resolvers.txt -t A -o S -s "$s" \
      -w "massdns-$s.out" names.txt 2>"massdns-$s.err" || true
    peer_report "massdns -s $s" "$N" "massdns-$s.time" "massdns-$s.out" \
      '^n[0-9]*\.bench\. A 10\.' "massdns-$s"
  done
  python3 "$SRC/bench/dns/ratios.py" figures.txt
else
  echo "massdns: skipped (set BENCH_MASSDNS to a massdns binary built from its source)"
fi

# --- adnshost: a peer ---
# adnshost -f submits every name of its input at once; fed everything it floods the server, so
# it also runs on chunks of 200 names, one process after the other (bounded in flight).
head -n "$ADNS_N" names.txt >adns-names.txt
/usr/bin/time -f "%e %U %S" -o adns.time taskset -c "$CORE_IOTMAP" \
  adnshost --config "nameserver $ADDR" -a -t a -f <adns-names.txt >adns.out 2>adns.err || true
peer_report "adnshost (all at once)" "$ADNS_N" adns.time adns.out '^n[0-9]*\.bench A 10\.'
rm -rf adns-chunks && mkdir adns-chunks && split -l 200 adns-names.txt adns-chunks/c
/usr/bin/time -f "%e %U %S" -o adns-chunks.time taskset -c "$CORE_IOTMAP" bash -c \
  'for f in adns-chunks/c*; do adnshost --config "nameserver '"$ADDR"'" -a -t a -f <"$f"; done' \
  >adns-chunks.out 2>/dev/null || true
peer_report "adnshost (200 at a time)" "$ADNS_N" adns-chunks.time adns-chunks.out \
  '^n[0-9]*\.bench A 10\.'
