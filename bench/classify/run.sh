#!/usr/bin/env bash
# Builds bench_classify and classifies 10 million synthetic resolution rows (1M names, 300k
# addresses, 7 days); prints wall and CPU time per phase and the peak RSS. Extra arguments go
# to the driver (bench/classify/bench_classify.cpp lists them), e.g. --rows 1000000.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${IOTMAP_BUILD_DIR:-build}
[ -f "$build/build.ninja" ] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target bench_classify >/dev/null
/usr/bin/time -f "process: %e s wall, %U s user, %S s system, max RSS %M KiB" \
  "$build/bench/classify/bench_classify" "$@"
