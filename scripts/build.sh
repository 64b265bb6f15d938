#!/usr/bin/env bash
# Installs what the build needs (scripts/install-deps.sh build: no test servers or tools), then
# configures and builds into ./build (or $IOTMAP_BUILD_DIR): everything, or the targets named
# (`bash scripts/build.sh iotmap`: the binary alone, without tests and benchmarks).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build
build=${IOTMAP_BUILD_DIR:-build}
werror=OFF
[ "${CI:-}" = "true" ] || [ "${IOTMAP_WERROR:-}" = "ON" ] && werror=ON
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOTMAP_WERROR="$werror" >/dev/null
targets=()
[ $# -eq 0 ] || targets=(--target "$@")
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
