#!/usr/bin/env bash
# The hourly `resolve --once`'s user-space instructions per name (valgrind's callgrind count, the
# whole command, every thread: the same on a loaded machine as on an idle one) for one or more
# iotmap binaries, one after the other against the same knot and names: the before and after of
# a change. Each binary first imports the names (not counted), then its hourly run is counted.
#   bash bench/dns/hourly_cost.sh IOTMAP_BINARY [IOTMAP_BINARY...]
# Environment: BENCH_N (names, default 20000), BENCH_DIR (default /tmp/iotmap-bench-hourly),
# BENCH_ADDR (knot's loopback address, default 127.0.1.53), BENCH_KNOT_CORE (default 1).
set -euo pipefail
N=${BENCH_N:-20000}
DIR=${BENCH_DIR:-/tmp/iotmap-bench-hourly}
ADDR=${BENCH_ADDR:-127.0.1.53}
CORE_KNOT=${BENCH_KNOT_CORE:-1}
IN_FLIGHT=200
TIMEOUT_MS=500
SRC=$(cd "$(dirname "$0")/../.." && pwd)
bins=()
for b in "$@"; do bins+=("$(cd "$(dirname "$b")" && pwd)/$(basename "$b")"); done
mkdir -p "$DIR"
cd "$DIR"
# shellcheck source=bench/dns/knot.bash
. "$SRC/bench/dns/knot.bash"
bench_server "$N"
for bin in "${bins[@]}"; do
  rm -f cost.db cost.db-wal cost.db-shm
  "$bin" --config iotmap.toml --db cost.db resolve --once --types A - <names.txt 2>/dev/null || true
  sqlite3 cost.db "DELETE FROM resolution_answers; DELETE FROM resolutions;"
  valgrind --tool=callgrind --callgrind-out-file=callgrind.out "$bin" --config iotmap.toml \
    --db cost.db resolve --once --types A --no-catalogue 2>cost.err || true
  ir=$(sed -n 's/.*Collected : *//p' cost.err | tr -d ,)
  rows=$(sqlite3 cost.db "SELECT count(*) FROM resolutions r JOIN resolution_answers a
    ON a.resolution_id = r.id WHERE r.status = 'NOERROR'")
  queries=$(sed -n 's/.* from \([0-9]*\) queries .*/\1/p' cost.err | tail -1)
  python3 -c "import sys; ir, n = int(sys.argv[1]), int(sys.argv[2]); print(f'{sys.argv[3]}: {ir / n:,.0f} instructions/name ({ir:,} for {n} names; {sys.argv[4]} answered rows, {sys.argv[5]} queries)')" \
    "$ir" "$N" "$bin" "$rows" "$queries"
done
