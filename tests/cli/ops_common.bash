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

# in_private_netns NAME SCRIPT ARGS...: unless already there, runs `bash SCRIPT ARGS` again in a
# private network namespace (unshare -n) and brings its loopback up: nothing the test sends can
# leave the machine, whatever a configuration says. Without root or unshare the test fails.
in_private_netns() {
  local name=$1
  shift
  if [ -z "${OPS_IN_NETNS:-}" ]; then
    if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
      echo "$name: needs root and unshare -n (a private network namespace); not run"
      exit 1
    fi
    exec unshare -n env OPS_IN_NETNS=1 bash "$@"
  fi
  ip link set lo up
}
