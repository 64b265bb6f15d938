#!/usr/bin/env bash
# The whole test suite: installs what is missing (scripts/install-deps.sh test: the lab's servers,
# lint tools, benchmark peers, browser), builds with warnings as errors, runs every test (unit,
# CLI, format check, and the lab's integration tests, which need root for network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh test
IOTMAP_WERROR=ON bash scripts/build.sh
build=${IOTMAP_BUILD_DIR:-build}
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 900 "$@"
