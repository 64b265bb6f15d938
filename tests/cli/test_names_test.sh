#!/usr/bin/env bash
# Catch2 case names become ctest entries through a CMake list: a ';' in a name splits it into
# entries that each run nothing, and a leading '-' reads as an option. Both drop a case from the
# suite (caught late by the full suite's "No tests ran" guard); this check catches them in a
# second. Usage: test_names_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
SRC=${2:?usage: test_names_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
cd "$SRC" || exit 1
names=$(grep -rhoE 'TEST_CASE\(\s*"[^"]*"' tests/unit tests/integration | sed -E 's/^TEST_CASE\(\s*"//; s/"$//')
count=$(grep -c . <<<"$names")
[ "$count" -gt 100 ] && ok "$count case names read" || bad "only $count case names read"
same "no case name holds a ';'" "$(grep ';' <<<"$names")" ""
same "no case name starts with '-'" "$(grep -E '^-' <<<"$names")" ""
ops_summary test_names
