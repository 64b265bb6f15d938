#!/usr/bin/env bash
# Builds bench_bulk, writes a synthetic Sonar FDNS gzip file (5M lines; --lines N to change) and
# measures in the same run: `zcat FILE | wc -l` (the floor: decompression and line counting)
# and one pass of `iotmap resolve --bulk`'s reader (decompression, parsing, address evidence),
# alternately, IOTMAP_BENCH_ROUNDS times (default 3): on the shared machine one round's CPU time
# varies by half, so compare the best round of each.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${IOTMAP_BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target bench_bulk >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/bench/bulk/bench_bulk" --write "$tmp/fdns.json.gz" "$@"
ls -l "$tmp/fdns.json.gz" | awk '{print "file: " $5 " bytes gzip"}'
for _ in $(seq "${IOTMAP_BENCH_ROUNDS:-3}"); do
  /usr/bin/time -f "zcat | wc -l: %e s wall, %U+%S s CPU (zcat and wc together)" \
    bash -c "zcat '$tmp/fdns.json.gz' | wc -l"
  /usr/bin/time -f "bench_bulk --read: %e s wall, %U+%S s CPU" \
    "$build/bench/bulk/bench_bulk" --read "$tmp/fdns.json.gz"
done
