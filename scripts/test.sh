#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with warnings as errors, runs every
# test (unit, CLI, and the lab's integration tests, which need root for network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
IOTMAP_WERROR=ON bash scripts/build.sh
build=${IOTMAP_BUILD_DIR:-build}
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@"
