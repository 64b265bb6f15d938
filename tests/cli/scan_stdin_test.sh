#!/usr/bin/env bash
# `iotmap scan -` reads its targets from standard input, as from a target file: lines with an
# address and names, comments, a bad line named <stdin>:LINE; `-` twice is a usage error before
# any work. No packet is sent: the targets are loopback addresses, which the default ranges
# block (status blocked).
# Usage: scan_stdin_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: scan_stdin_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: scan_stdin_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "20.0.0.0/24" >"$tmp/blocklist.txt"
cat >"$tmp/c.toml" <<TOML
[[vantage_point]]
name = "none"
resolvers = ["127.0.0.1:9"]
[ethics]
blocklist_file = "$tmp/blocklist.txt"
contact = "scan@example.org"
TOML

out=$(printf '# targets from a pipeline\n127.0.0.1 mqtt.example.org\n127.0.0.2\n' |
  "$IOTMAP" --config "$tmp/c.toml" --db "$tmp/a.db" scan - --ports 8883 --output jsonl 2>&1)
rc=$?
check "scan - reads the targets on stdin" 0 "run #1: 2 targets, 3 connections"
has "... the name on a stdin line is sent as SNI" '"ip":"127.0.0.1".*"sni":"mqtt.example.org"'
has "... and every connection is blocked (loopback), none sent" "blocked 3"

out=$(printf '127.0.0.1\nnot-an-address\n' |
  "$IOTMAP" --config "$tmp/c.toml" --db "$tmp/b.db" scan - --ports 8883 2>&1)
rc=$?
has "a bad stdin line is named <stdin>:LINE" "<stdin>:2: not an IP address or prefix: 'not-an-address'"

out=$(printf '127.0.0.1\n' | "$IOTMAP" --config "$tmp/c.toml" --db "$tmp/c.db" scan - - 2>&1)
rc=$?
check "- twice is a usage error" 2 "- \\(the targets on standard input\\) can be given once"
[ -e "$tmp/c.db" ] && bad "- twice created a database" || ok "- twice: no database, no work"
ops_summary scan_stdin_test
