#!/usr/bin/env bash
# The README's first command (scripts/first-run.sh) on a machine where it cannot work: as a user
# other than root, and as root where no network namespace can be made (a container without
# CAP_SYS_ADMIN, imitated by an unshare that fails as it does there). Each time: a message that
# says why and what to do, exit 2, and nothing done: no output directory, no namespace, no lab
# state, no build started.
set -uo pipefail
IOTMAP=${1:?usage: first_run_refusal_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=$(cd "${2:?usage: first_run_refusal_test.sh IOTMAP_BINARY SOURCE_DIR}" && pwd)
. "$SRC/tests/cli/ops_common.bash"
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
export IOTMAP_LAB_NS=iotmap-refusal-$$ IOTMAP_LAB_DIR=$tmp/lab IOTMAP_FIRST_RUN_DIR=$tmp/out
export IOTMAP_BUILD_DIR=$tmp/build

nothing_done() {
  [ ! -e "$tmp/out" ] && [ ! -e "$tmp/lab" ] && [ ! -e "$tmp/build" ] &&
    ! ip netns list 2>/dev/null | grep -q "^$IOTMAP_LAB_NS\\b" && ok "$1: nothing done" ||
    bad "$1: something was started: $(ls "$tmp")"
}

# 1. Not root. As root, the test drops to nobody; run as another user, it is that user.
if [ "$(id -u)" = 0 ]; then
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$tmp" \
    bash "$SRC/scripts/first-run.sh" 2>&1)
else
  out=$(bash "$SRC/scripts/first-run.sh" 2>&1)
fi
rc=$?
check "not root: exit 2 with why" 2 "^first-run: needs root\\. The lab it runs against lives in a network namespace"
has "not root: it says how to run it" "sudo bash scripts/first-run.sh"
has "not root: it says nothing was done" "^Nothing was installed, built or started\\."
nothing_done "not root"

# 2. Root, but no network namespace can be made.
if [ "$(id -u)" = 0 ]; then
  mkdir "$tmp/bin"
  printf '#!/bin/sh\necho "unshare: unshare failed: Operation not permitted" >&2\nexit 1\n' >"$tmp/bin/unshare"
  chmod 755 "$tmp/bin/unshare"
  out=$(PATH="$tmp/bin:$PATH" bash "$SRC/scripts/first-run.sh" 2>&1)
  rc=$?
  check "no namespaces: exit 2 with why" 2 \
    "^first-run: this machine cannot create a network namespace \\(unshare --net: unshare: unshare failed: Operation not permitted\\)"
  has "no namespaces: it says what to do" "run it with CAP_SYS_ADMIN"
  has "no namespaces: it says nothing was done" "^Nothing was installed, built or started\\."
  nothing_done "no namespaces"
else
  echo "skip: not root, so the no-namespace case cannot be reached"
fi
ops_summary first_run_refusal_test
