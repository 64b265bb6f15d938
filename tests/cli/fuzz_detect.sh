#!/usr/bin/env bash
# Fuzzes the IPFIX reader (detect/fuzz_ipfix.cpp: detect/ipfix.h and libfixbuf under it) for a
# bounded time: configures a clang build with libFuzzer, ASan and UBSan in its own directory
# (cmake/Fuzz.cmake), builds only the fuzz target and what it links, writes a seed corpus with
# tests/cli/flows_to_ipfix.py (IPv4 and IPv6 records, options records, several messages) and
# runs the fuzzer. libfixbuf itself is the system's, not instrumented: the coverage feedback
# comes from iotmap's side, and a crash inside libfixbuf is still found. Exits non-zero on a
# finding; the input is left in the findings folder.
#   bash tests/cli/fuzz_detect.sh IOTMAP_BINARY SOURCE_DIR
# IOTMAP_FUZZ_SECONDS (default 60) bounds the run; IOTMAP_FUZZ_BUILD_DIR (default: fuzz-detect
# beside the build that holds IOTMAP_BINARY) keeps the build and the grown corpus between runs.
set -euo pipefail
binary=$1
src=$(cd "$2" && pwd)
seconds=${IOTMAP_FUZZ_SECONDS:-60}
build=${IOTMAP_FUZZ_BUILD_DIR:-$(cd "$(dirname "$binary")/.." && pwd)/fuzz-detect}
mkdir -p "$build"
build=$(cd "$build" && pwd)

flags=$(sed -n 's/^set(IOTMAP_FUZZ_INSTRUMENT "\(.*\)")$/\1/p' "$src/cmake/Fuzz.cmake")
[ -n "$flags" ] || { echo "fuzz_detect: no IOTMAP_FUZZ_INSTRUMENT in cmake/Fuzz.cmake" >&2; exit 1; }
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DIOTMAP_FUZZ=ON \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_ipfix

seeds="$build/seeds-ipfix"
mkdir -p "$seeds"
cat >"$build/seed.csv" <<'CSV'
ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt
2026-03-01 10:00:01,2026-03-01 10:00:02,1.0,10.0.0.2,198.51.100.10,40001,8883,TCP,.AP.SF,0,0,10,1500,0,0
2026-03-01 10:05:01,2026-03-01 10:05:02,1.0,2001:db8::5,2001:db8:1::9,40002,443,TCP,.AP.SF,0,0,10,900,0,0
2026-03-01 11:05:01,2026-03-01 11:05:02,1.0,198.51.100.51,10.0.0.2,443,40003,UDP,......,0,0,10,4000,0,0
CSV
python3 "$src/tests/cli/flows_to_ipfix.py" "$build/seed.csv" ipfix "$seeds/three-flows.ipfix"
head -c 200 "$seeds/three-flows.ipfix" >"$seeds/cut.ipfix"
cat "$seeds/three-flows.ipfix" "$seeds/three-flows.ipfix" >"$seeds/twice.ipfix"

corpus="$build/corpus-ipfix"
findings="$build/findings-ipfix"
mkdir -p "$corpus" "$findings"
echo "fuzz_detect: fuzz_ipfix for ${seconds}s (corpus $corpus)"
status=0
"$build/detect/fuzz_ipfix" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$seeds" \
  2>"$build/fuzz.log" || status=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE|Done )' "$build/fuzz.log" || true
if [ "$status" -ne 0 ]; then
  tail -n 60 "$build/fuzz.log" >&2
  echo "fuzz_detect: FINDING (exit $status); inputs in $findings" >&2
  exit 1
fi
echo "fuzz_detect: no finding"
