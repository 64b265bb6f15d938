#!/usr/bin/env bash
# CI's format check: every tracked .cpp/.h is as .clang-format writes it (scripts/lint.sh
# --format-only; the fix is `clang-format -i FILE`). Usage: format_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
SRC=${2:?usage: format_test.sh IOTMAP_BINARY SOURCE_DIR}
cd "$SRC" || exit 1
git rev-parse --git-dir >/dev/null 2>&1 || { echo "SKIP: not a git checkout (lint.sh reads the tracked files)"; exit 0; }
command -v clang-format >/dev/null || { echo "FAIL clang-format is not installed (scripts/install-deps.sh test)"; exit 1; }
bash scripts/lint.sh --format-only
