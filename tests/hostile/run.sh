#!/usr/bin/env bash
# Runs the hostile-input corpus (tests/hostile/cases/*/case; the format is in README.md).
# Usage: run.sh IOTMAP_BINARY SOURCE_DIR [CASE...]
# With no CASE, every case that needs no lab. Prints "ok   NAME" or "FAIL NAME: why" per case
# and exits 1 when any failed.
set -uo pipefail
export LC_ALL=C
IOTMAP=$(realpath "${1:?usage: run.sh IOTMAP_BINARY SOURCE_DIR [CASE...]}")
SRC=$(realpath "${2:?usage: run.sh IOTMAP_BINARY SOURCE_DIR [CASE...]}")
shift 2
CASES=$SRC/tests/hostile/cases
export IOTMAP SRC

# field FILE KEY: every value of "KEY: value" lines, one per line, in file order
field() { sed -n "s/^$2: //p" "$1"; }

# run_case NAME: runs one case in a scratch copy of its directory; prints why it failed.
run_case() {
  local dir=$CASES/$1 scratch out rc want line
  [ -f "$dir/case" ] || { echo "no such case: $dir/case"; return 1; }
  scratch=$(mktemp -d "/tmp/iotmap-hostile-$1.XXXXXX")
  # The scratch copy is left behind when the case fails, to look at.
  cp -a "$dir/." "$scratch/"
  # A misspelt key ("expects:") would make a case that cannot fail.
  local unknown
  unknown=$(grep -vnE '^(#|$|(setup|run|exit|expect|reject|check|needs): )' "$dir/case")
  [ -z "$unknown" ] || { echo "case has lines that are no 'KEY: value' the runner knows:"$'\n'"$unknown"; return 1; }
  local cmd
  cmd=$(field "$dir/case" run)
  [ "$(wc -l <<<"$cmd")" = 1 ] && [ -n "$cmd" ] || { echo "case needs exactly one 'run:' line"; return 1; }
  want=$(field "$dir/case" exit)
  [[ "$want" =~ ^[0-9]+$ ]] || { echo "case needs one 'exit:' line with a number"; return 1; }
  # Setup, run and checks share one shell in the scratch directory, with `iotmap` a function,
  # so that nothing from the caller's environment (IOTMAP_DB, XDG_DATA_HOME, HOME) is used.
  # lab_iotmap runs iotmap inside the lab's namespace (cases with "needs: lab").
  local prelude='iotmap() { timeout 120 "$IOTMAP" "$@"; }
    lab_iotmap() { . "$SRC/tests/lab/env.sh" && in_lab timeout 120 "$IOTMAP" "$@"; }
    cd "$CASE_DIR" || exit 99; export HOME=$CASE_DIR XDG_DATA_HOME=$CASE_DIR; unset IOTMAP_DB'
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    out=$(CASE_DIR=$scratch bash -c "$prelude"$'\n'"$line" 2>&1) ||
      { echo "setup failed: $line"$'\n'"$out"; return 1; }
  done < <(field "$dir/case" setup)
  out=$(CASE_DIR=$scratch bash -c "$prelude"$'\n'"$cmd" 2>&1)
  rc=$?
  local why=""
  [ "$rc" = "$want" ] || why+="exit $rc, want $want"$'\n'
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    grep -qF -- "$line" <<<"$out" || why+="output lacks: $line"$'\n'
  done < <(field "$dir/case" expect)
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    grep -qF -- "$line" <<<"$out" && why+="output has: $line"$'\n'
  done < <(field "$dir/case" reject)
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    local got
    got=$(CASE_DIR=$scratch bash -c "$prelude"$'\n'"$line" 2>&1) || why+="check failed: $line"$'\n'"$got"$'\n'
  done < <(field "$dir/case" check)
  if [ -n "$why" ]; then
    printf '%s(scratch: %s)\n--- output of: %s\n%s\n' "$why" "$scratch" "$cmd" "$(head -c 4000 <<<"$out")"
    return 1
  fi
  rm -rf "$scratch"
}

if [ $# = 0 ]; then
  for d in "$CASES"/*/; do
    n=$(basename "$d")
    grep -q '^needs: lab' "$d/case" 2>/dev/null || set -- "$@" "$n"
  done
fi
passed=0
failed=0
for n in "$@"; do
  if why=$(run_case "$n"); then
    passed=$((passed + 1)); echo "ok   $n"
  else
    failed=$((failed + 1)); echo "FAIL $n: $why"
  fi
done
echo "hostile corpus: $passed passed, $failed failed"
[ "$failed" = 0 ]
