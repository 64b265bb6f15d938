# Sourced by the lab tests that count a scan's connections (ethics_listeners_test.sh,
# ops_optout_test.sh); needs ok/bad from tests/cli/ops_common.bash.
# start_counting_listeners NS PYTHON LOG PORTS ADDRESS...: starts tests/lab/count_connections.py
# in namespace NS and waits for it to listen. Sets $listener to its pid (the caller kills it);
# returns 1, with the listener's own message, when it did not start within 30 seconds.
start_counting_listeners() {
  local ns=$1 py=$2 log=$3 ports=$4
  shift 4
  counting_py=$py counting_log=$log
  ip netns exec "$ns" "$py" "$SRC/tests/lab/count_connections.py" "$log" "$ports" "$@" \
    >"$log.out" 2>&1 &
  listener=$!
  wait_for "$log.out" ready && return 0
  bad "listeners did not start: $(cat "$log.out")"
  return 1
}
# sync_listeners: returns once the listener has logged every connection made so far (a scan's
# connections are in the kernel's queue when it exits, not yet in the log; a fixed sleep was
# too short when the listener was descheduled on a loaded machine).
sync_listeners() {
  "$counting_py" "$SRC/tests/lab/count_connections.py" --sync "$counting_log" ||
    bad "the listener did not sync"
}
