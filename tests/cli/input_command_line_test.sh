#!/usr/bin/env bash
# The whole command line is checked before any work or ethics check (issue 14, item 11): a
# date that does not exist is a usage error for every command that takes one (one parser,
# lib/date.h), not another day; a bad number is a usage error naming the option, never exit 6
# (refused) because the ethics check came first, nor "iotmap: stoull".
# Usage: input_command_line_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: input_command_line_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: input_command_line_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/c.db"
"$IOTMAP" --db "$db" db migrate >/dev/null || bad "migrate"
iot() { run --db "$db" "$@"; }

for d in 2026-02-31 2026-13-01 2026-02-29 2026-04-31 2026-00-10 2026-01-00; do
  iot export resolutions --date $d
  check "export resolutions --date $d" 2 "--date wants a date that exists, YYYY-MM-DD, not '$d'"
  iot export hitlist --date $d
  check "export hitlist --date $d" 2 "--date wants a date that exists"
  iot report footprint --date $d --format md
  check "report --date $d" 2 "--date wants a date that exists"
  iot classify --date $d
  check "classify --date $d" 2 "--date wants a date that exists"
  iot daily --date $d
  check "daily --date $d" 2 "--date wants a date that exists"
  iot scan --resolutions $d
  check "scan --resolutions $d (usage, not refused)" 2 "--resolutions wants a date that exists"
  iot resolve --since $d example.com
  check "resolve --since $d" 2 "--since wants a date that exists"
  iot export resolutions --hour ${d}T05
  check "export resolutions --hour ${d}T05" 2 "--hour wants an hour that exists"
  iot scan --resolutions ${d}T05
  check "scan --resolutions ${d}T05" 2 "--resolutions wants an hour that exists"
done
iot export resolutions --date 2024-02-29
check "a leap day exists" 0 "0 resolutions"

# Numbers: checked before the ethics check (the default configuration has no blocklist, so a
# scan that got that far would be refused with exit 6).
iot scan --rate=abc --target 192.0.2.1
check "scan --rate=abc" 2 "--rate wants a number from"
iot scan --rate=nan --target 192.0.2.1
check "scan --rate=nan" 2 "--rate wants a number from .* not 'nan'"
iot scan --rate=-5 --target 192.0.2.1
check "scan --rate=-5" 2 "--rate wants a number"
iot scan --seed 99999999999999999999999 --target 192.0.2.1
check "scan --seed too large" 2 "--seed wants a whole number from 0 to 18446744073709551615"
grep -q stoull <<<"$out" && bad "stoull in the message" || ok "no stoull"
iot scan --seed=-1 --target 192.0.2.1
check "scan --seed=-1" 2 "--seed wants a whole number"
iot scan --tls-mode half --target 192.0.2.1
check "scan --tls-mode half" 2 "--tls-mode takes full or cert"
iot scan --ports 0 --target 192.0.2.1
check "scan --ports 0" 2 "--ports takes port numbers"
iot resolve --since 99999999999999999999999 example.com
check "resolve --since too large" 2 "--since wants a whole number"
iot classify --date 2024-01-01 --window 99999999999999999999
check "classify --window too large" 2 "--window wants a whole number from 1 to 366"
iot classify --date 2024-01-01 --window 7x
check "classify --window 7x" 2 "--window wants a whole number"
iot daily --lock-wait 99999999999999999999
check "daily --lock-wait too large" 2 "--lock-wait wants a whole number"
iot info-page --serve bogus
check "info-page --serve bogus (usage, not refused for the missing contact)" 2 "--serve wants ADDR:PORT"
same "no scan or resolve run was begun" "$(sqlite3 "$db" "SELECT count(*) FROM runs")" 0

ops_summary input_command_line_test
