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
# wait_for FILE PATTERN: waits up to 30 s for a line matching PATTERN in FILE (a server's log
# saying it listens); returns 1 when none came.
wait_for() {
  for _ in $(seq 1 300); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
# udp_queue PORT [NETNS]: the receive queue (bytes) of the UDP socket on PORT (in network
# namespace NETNS); empty when no socket is bound there.
udp_queue() { ss ${2:+-N "$2"} -Huan "sport = :$1" | awk '{print $2; exit}'; }
# udp_read_all PORT [NETNS]: waits up to 30 s until the socket on PORT has read all that was sent
# to it, for a collector about to be stopped (the senders have exited; on lo a datagram is in the
# receiver's queue when sendto returns). Returns 1 when datagrams stayed unread.
udp_read_all() {
  for _ in $(seq 300); do [ "$(udp_queue "$@")" = 0 ] && return 0; sleep 0.1; done
  return 1
}
# serve_info_page CONFIG DIR: starts `iotmap --config CONFIG info-page --serve 127.0.0.1:0` in
# the background, its stderr in DIR/serve.log, and waits up to 30 s for the address it prints:
# $server is its pid, $url its address ("" when it printed none).
serve_info_page() {
  "$IOTMAP" --config "$1" info-page --serve 127.0.0.1:0 2>"$2/serve.log" &
  server=$!
  url=
  for _ in $(seq 1 300); do
    url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$2/serve.log" | head -1)
    [ -n "$url" ] && break
    sleep 0.1
  done
}
# stop_server: stops the server serve_info_page started, if it still runs.
stop_server() {
  [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  server=
}
# tally NAME EXIT < LINES: a Python check's "ok ..." / "FAIL ..." lines counted as this
# script's own (not in a pipeline: the counters live in this shell); a crash is a failure.
tally() {
  local line status msg
  while IFS= read -r line; do
    status=${line%% *} msg=${line#* }
    case $status in ok) ok "$msg" ;; FAIL) bad "$msg" ;; *) echo "$line" ;; esac
  done
  [ "$2" = 0 ] || bad "$1: the Python check exited $2"
}
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
