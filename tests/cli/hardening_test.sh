#!/usr/bin/env bash
# The binary parses hostile input, so it is built hardened (CMakeLists.txt): position-independent
# (ASLR), full RELRO (-z relro -z now: the GOT read-only after start), a stack protector and
# _FORTIFY_SOURCE. readelf reads each property from the binary itself: the last two show as the
# C library functions the binary imports (__stack_chk_fail; the checked __*_chk copies).
# And one version number: `iotmap --version` prints project(VERSION) of CMakeLists.txt.
# Usage: hardening_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: hardening_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: hardening_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
command -v readelf >/dev/null || { echo "FAIL readelf (binutils) is not installed"; exit 1; }

header=$(readelf -h "$IOTMAP")
grep -qE 'Type: +DYN' <<<"$header" && ok "PIE (ELF type DYN)" || bad "not PIE: $(grep Type: <<<"$header")"
readelf -lW "$IOTMAP" | grep -q GNU_RELRO && ok "RELRO segment" || bad "no GNU_RELRO segment"
dynamic=$(readelf -dW "$IOTMAP")
grep -qE 'BIND_NOW|FLAGS.*NOW' <<<"$dynamic" && ok "bind now (full RELRO)" || bad "no BIND_NOW: lazy binding"
symbols=$(readelf --dyn-syms -W "$IOTMAP")
grep -q '__stack_chk_fail' <<<"$symbols" && ok "stack protector (imports __stack_chk_fail)" ||
  bad "no stack protector: __stack_chk_fail is not imported"
checked=$(grep -oE '__[a-z0-9_]+_chk' <<<"$symbols" | grep -v stack_chk | sort -u)
[ -n "$checked" ] && ok "_FORTIFY_SOURCE (imports $(echo $checked))" ||
  bad "no _FORTIFY_SOURCE: no checked __*_chk function is imported"
want=$(sed -nE 's/^project\(iotmap VERSION ([0-9.]+).*/\1/p' "$SRC/CMakeLists.txt")
run --version
same "--version prints project(VERSION)" "$out" "iotmap $want"
ops_summary hardening_test
