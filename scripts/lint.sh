#!/usr/bin/env bash
# Style and static checks: clang-format (.clang-format, nothing rewritten) and clang-tidy
# (.clang-tidy) with the build's compile_commands.json. Exit 1 when either finds something.
#
#   bash scripts/lint.sh [--format-only | --tidy-only] [FILE...]
#
# Without FILEs: the format check reads every tracked .cpp/.h, clang-tidy every tracked .cpp the
# build compiles outside tests/ and bench/ (headers are checked through them, .clang-tidy's
# HeaderFilterRegex). Run scripts/build.sh first; IOTMAP_BUILD_DIR names the build (default
# build), IOTMAP_LINT_JOBS the parallel clang-tidy processes (default: the cores).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${IOTMAP_BUILD_DIR:-build}
jobs=${IOTMAP_LINT_JOBS:-$(nproc)}
format=1
tidy=1
case "${1:-}" in
  --format-only) tidy=0; shift ;;
  --tidy-only) format=0; shift ;;
esac
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(git ls-files '*.cpp' '*.h')
  default_set=1
else
  default_set=0
fi
rc=0

if [ $format = 1 ]; then
  off=()
  for f in "${files[@]}"; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || off+=("$f")
  done
  if [ ${#off[@]} -gt 0 ]; then
    echo "clang-format: ${#off[@]} file(s) differ from .clang-format (fix: clang-format -i FILE):"
    printf '  %s\n' "${off[@]}"
    rc=1
  else
    echo "clang-format: ${#files[@]} file(s) conform"
  fi
fi

if [ $tidy = 1 ]; then
  db="$build/compile_commands.json"
  if [ ! -f "$db" ]; then
    echo "clang-tidy: no $db (run scripts/build.sh with IOTMAP_BUILD_DIR=$build first)" >&2
    exit 2
  fi
  # Only what the build compiles: fuzz targets are missing from a normal build's database.
  mapfile -t tus < <(for f in "${files[@]}"; do
    case "$f" in *.cpp) ;; *) continue ;; esac
    if [ $default_set = 1 ]; then
      case "$f" in tests/* | bench/*) continue ;; esac
    fi
    grep -qF "\"file\": \"$PWD/$f\"" "$db" && echo "$f"
  done)
  out=$(mktemp)
  trap 'rm -f "$out"' EXIT
  printf '%s\n' "${tus[@]}" | xargs -r -P "$jobs" -n 1 clang-tidy -p "$build" --quiet >"$out" 2>&1 || true
  # A header's finding comes once per file that includes it: count each place once.
  findings=$(grep -E '^[^ ].*: (warning|error): ' "$out" | sort -u | wc -l)
  if [ "$findings" -gt 0 ]; then
    grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Use -system-headers' "$out"
    echo "clang-tidy: $findings finding(s) in ${#tus[@]} file(s)"
    rc=1
  else
    echo "clang-tidy: ${#tus[@]} file(s), no findings"
  fi
fi
exit $rc
