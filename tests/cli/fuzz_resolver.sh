#!/usr/bin/env bash
# Fuzzes the DNS reply parser (resolver/fuzz_reply.cpp) for a bounded time: configures a clang
# build with libFuzzer, ASan and UBSan in its own directory (cmake/Fuzz.cmake), builds only the
# fuzz target and what it links, writes a few seed replies and runs the fuzzer. Exits non-zero
# on a finding; the input is left in the findings folder.
#   bash tests/cli/fuzz_resolver.sh IOTMAP_BINARY SOURCE_DIR
# IOTMAP_FUZZ_SECONDS (default 60) bounds the run; IOTMAP_FUZZ_BUILD_DIR (default: fuzz-resolver
# beside the build that holds IOTMAP_BINARY) keeps the build and the grown corpus between runs.
set -euo pipefail
binary=$1
src=$(cd "$2" && pwd)
seconds=${IOTMAP_FUZZ_SECONDS:-60}
build=${IOTMAP_FUZZ_BUILD_DIR:-$(cd "$(dirname "$binary")/.." && pwd)/fuzz-resolver}
mkdir -p "$build"
build=$(cd "$build" && pwd)

flags=$(sed -n 's/^set(IOTMAP_FUZZ_INSTRUMENT "\(.*\)")$/\1/p' "$src/cmake/Fuzz.cmake")
[ -n "$flags" ] || { echo "fuzz_resolver: no IOTMAP_FUZZ_INSTRUMENT in cmake/Fuzz.cmake" >&2; exit 1; }
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DIOTMAP_FUZZ=ON \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_reply

# Seeds: replies with CNAME chains and compression, A/AAAA answers, NXDOMAIN with an SOA, an
# OPT record carrying a client-subnet option, and a truncated one.
seeds="$build/reply-seeds"
mkdir -p "$seeds"
q='\x01a\x07example\x00'
printf "\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00${q}\x00\x01\x00\x01\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x64\x00\x04\x01b\xc0\x0e\xc0\x25\x00\x01\x00\x01\x00\x00\x00\x32\x00\x04\xc0\x00\x02\x01" >"$seeds/cname_a"
printf "\x00\x01\x81\x80\x00\x01\x00\x01\x00\x00\x00\x01${q}\x00\x1c\x00\x01\xc0\x0c\x00\x1c\x00\x01\x00\x00\x0e\x10\x00\x10\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x0b\x00\x08\x00\x07\x00\x01\x18\x18\xc6\x33\x64" >"$seeds/aaaa_ecs"
printf "\x00\x02\x81\x83\x00\x01\x00\x00\x00\x01\x00\x00${q}\x00\x01\x00\x01\xc0\x0e\x00\x06\x00\x01\x00\x00\x00\x3c\x00\x16\x02ns\xc0\x0e\x04host\xc0\x0e\x00\x00\x00\x01\x00\x00\x00\x3c" >"$seeds/nxdomain"
printf "\x00\x03\x83\x80\x00\x01\x00\x00\x00\x00\x00\x00${q}\x00\x01\x00\x01" >"$seeds/truncated"

corpus="$build/reply-corpus"
findings="$build/reply-findings"
mkdir -p "$corpus" "$findings"
echo "fuzz_resolver: fuzzing for ${seconds}s (corpus $corpus)"
status=0
"$build/resolver/fuzz_reply" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=4096 -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$seeds" \
  2>"$build/fuzz.log" || status=$?
grep -E '^(stat::|#[0-9]+ *DONE|Done )' "$build/fuzz.log" || true
if [ "$status" -ne 0 ]; then
  tail -n 60 "$build/fuzz.log" >&2
  echo "fuzz_resolver: FINDING (exit $status); inputs in $findings" >&2
  exit 1
fi
echo "fuzz_resolver: no finding in ${seconds}s"
