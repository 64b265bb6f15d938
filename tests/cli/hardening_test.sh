#!/usr/bin/env bash
# The binary parses hostile input, so it is built hardened (CMakeLists.txt): position-independent
# (ASLR) and full RELRO (-z relro -z now: the GOT read-only after start). readelf reads each
# property from the binary itself. (Stack protector and _FORTIFY_SOURCE are not yet set.)
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
want=$(sed -nE 's/^project\(iotmap VERSION ([0-9.]+).*/\1/p' "$SRC/CMakeLists.txt")
run --version
same "--version prints project(VERSION)" "$out" "iotmap $want"
ops_summary hardening_test
