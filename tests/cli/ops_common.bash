# Shared by the CLI and operations tests (tests/cli/*.sh, tests/lab/ops_*_test.sh): counters and
# checks. Not a test itself (ctest runs *.sh). Source it, then end with `ops_summary NAME`.
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# run ARGS...: runs $IOTMAP ARGS, output (stdout and stderr) in $out, exit code in $rc
run() { out=$("$IOTMAP" "$@" 2>&1); rc=$?; }
# check DESCRIPTION EXPECTED_EXIT PATTERN: the last run exited so and its output matches
check() {
  if [ "$rc" = "$2" ] && grep -qE -- "$3" <<<"$out"; then ok "$1"; else
    bad "$1 (exit $rc, want $2; want output matching '$3')"$'\n'"$(tail -40 <<<"$out")"; fi
}
# has DESCRIPTION PATTERN: the last output matches
has() {
  if grep -qE -- "$2" <<<"$out"; then ok "$1"; else
    bad "$1 (no '$2' in:)"$'\n'"$(tail -40 <<<"$out")"; fi
}
# same DESCRIPTION ACTUAL EXPECTED
same() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi; }
ops_summary() {
  echo "$1: $passed passed, $failed failed"
  [ "$failed" = 0 ]
}
