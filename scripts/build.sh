#!/usr/bin/env bash
# Installs what the build needs (scripts/install-deps.sh build: no test servers or tools), then
# configures and builds iotmap into ./build (or $IOTMAP_BUILD_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh build
build=${IOTMAP_BUILD_DIR:-build}
werror=OFF
[ "${CI:-}" = "true" ] || [ "${IOTMAP_WERROR:-}" = "ON" ] && werror=ON
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOTMAP_WERROR="$werror" >/dev/null
cmake --build "$build" -j "$(nproc)"
