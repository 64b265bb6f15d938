#!/usr/bin/env bash
# The ethics settings as a careless operator writes them (issue 14, items 1-6), driven through the
# binary: every case must be caught by `config --check` (exit 3, file:line:key) and must stop a
# scan before its first packet (exit 6) or a second scan of the same database (exit 5). No test
# here sends a packet: the only target is 127.0.0.1, which the default ranges block.
# Usage: ethics_config_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: ethics_config_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: ethics_config_test.sh IOTMAP_BINARY SOURCE_DIR}
IOTMAP=$(cd "$(dirname "$IOTMAP")" && pwd)/$(basename "$IOTMAP")
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
holder=
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/etc/lists" "$tmp/elsewhere"
echo "20.0.0.0/24" >"$tmp/etc/lists/blocklist.txt"
: >"$tmp/etc/optout.txt"
# conf FILE [ETHICS-LINES] [OTHER-TOML]: a configuration with relative ethics paths
conf() {
  printf '[[vantage_point]]\nname = "none"\nresolvers = ["127.0.0.1:9"]\n%s\n[ethics]\n%s\n' \
    "${3:-}" "${2:-blocklist_file = \"lists/blocklist.txt\"
optout_file = \"optout.txt\"
contact = \"scan@example.org\"}" >"$1"
}
cfg=$tmp/etc/iotmap.toml
conf "$cfg"
cd "$tmp/elsewhere" || exit 1
scan() { run --config "$cfg" --db "$tmp/s.db" scan --target 127.0.0.1 --ports 443 "$@"; }

run --config "$cfg" config --check
check "a good configuration passes config --check" 0 "configuration ok"
scan
check "... and scans (127.0.0.1 blocked by the default ranges)" 0 "run #1: 1 connections in"

# --- item 4: NaN and infinities in every float range check; scan.rate over the cap ---
for kv in "resolver qps nan" "scan rate nan" "ethics max_rate nan" "scan rate inf" \
  "resolver qps -inf" "ethics max_rate +nan"; do
  set -- $kv
  line=5
  if [ "$1" = ethics ]; then  # one [ethics] table: the key goes after the three usual ones
    conf "$cfg" "blocklist_file = \"lists/blocklist.txt\"
optout_file = \"optout.txt\"
contact = \"scan@example.org\"
$2 = $3"
    line=9
  else
    conf "$cfg" "" "[$1]
$2 = $3"
  fi
  run --config "$cfg" config --check
  check "$1.$2 = $3: config --check exit 3 naming file:line:key" 3 \
    "$cfg:$line: $1.$2: must be between"
  scan
  check "$1.$2 = $3: a scan stops before its first packet (exit 3)" 3 "$cfg:$line: $1.$2: must be between"
done
conf "$cfg" "" "[scan]
rate = 20000"
run --config "$cfg" config --check
check "scan.rate over ethics.max_rate names both lines" 3 \
  "$cfg:5: scan.rate: 20000 exceeds ethics.max_rate 10000 \(<embedded default>:[0-9]+\)"

# --- item 2: ethics files that are directories, devices or unreadable ---
for case in "blocklist_file lists" "optout_file lists" "blocklist_file /dev/null"; do
  set -- $case
  other=$([ "$1" = blocklist_file ] && echo 'optout_file = "optout.txt"' || echo 'blocklist_file = "lists/blocklist.txt"')
  conf "$cfg" "$1 = \"$2\"
$other
contact = \"scan@example.org\""
  want=$([ "$2" = lists ] && echo "$tmp/etc/lists is a directory, not a file" || echo "/dev/null is not a regular file")
  run --config "$cfg" config --check
  check "$1 = $2: config --check fails naming file:line:key" 3 "$cfg:6: ethics.$1: $want"
  scan
  check "$1 = $2: a scan is refused, nothing sent" 6 "ethics.$1: $want"
done

# --- item 3: relative paths are relative to the configuration file; missing opt-out file ---
conf "$cfg"
rm -f "$tmp/etc/optout.txt"
run --config "$cfg" config --check
check "a missing opt-out file fails config --check" 3 \
  "$cfg:7: ethics.optout_file: $tmp/etc/optout.txt does not exist \(create it empty"
scan
check "... and stops a scan" 6 "ethics.optout_file: $tmp/etc/optout.txt does not exist"
run --config "$cfg" optout list
check "optout list of a missing file says what a scan will do" 0 "scan refuses to start until it exists"
run --config "$cfg" optout add 20.0.9.0/24 --reason "by mail"
check "optout add from another directory prints the absolute file" 0 \
  "^opted out 20.0.9.0/24 in $tmp/etc/optout.txt$"
[ -e "$tmp/etc/optout.txt" ] && [ ! -e "$tmp/elsewhere/optout.txt" ] &&
  ok "... and wrote next to the configuration, not in the current directory" ||
  bad "optout.txt written in the wrong place: $(find "$tmp" -name optout.txt)"
(cd / && "$IOTMAP" --config "$cfg" optout list >"$tmp/list.out" 2>&1)
same "optout list from / reads the same file" "$(cut -f1 "$tmp/list.out")" "20.0.9.0/24"

# --- item 1: optout add after a hand edit that left no final newline ---
printf '# kept by hand' >"$tmp/etc/optout.txt"
run --config "$cfg" optout add 20.0.0.1 --reason "after a comment"
printf '20.0.1.1/32' >>"$tmp/etc/optout.txt"
run --config "$cfg" optout add 20.0.2.1 --reason "after an entry"
out=$(cd / && "$IOTMAP" --config "$cfg" optout list 2>&1)
same "entries after a last line without newline are all listed" "$(cut -f1 <<<"$out" | tr '\n' ' ')" \
  "20.0.0.1/32 20.0.1.1/32 20.0.2.1/32 "

# --- item 6: the contact ---
for contact in 'scan@example.org\r\nX-Injected: 1' '   ' 'a\tb@example.org'; do
  conf "$cfg" "blocklist_file = \"lists/blocklist.txt\"
optout_file = \"optout.txt\"
contact = \"$contact\""
  run --config "$cfg" config --check
  check "contact \"$contact\" is a configuration error naming file:line:key" 3 "$cfg:8: ethics.contact: "
  scan
  check "... and no scan starts" 3 "$cfg:8: ethics.contact: "
done

# --- item 5: locks on the database's real path ---
conf "$cfg"
ln -s "$tmp/s.db" "$tmp/link.db"
# the subshell becomes sleep, which holds the lock: killing $holder releases it
(exec 9>"$tmp/s.db.scan-0of1.lock" && flock 9 && exec sleep 30) &
holder=$!
for _ in $(seq 1 300); do flock -n "$tmp/s.db.scan-0of1.lock" true || break; sleep 0.1; done
run --config "$cfg" --db "$tmp/link.db" scan --target 127.0.0.1 --ports 443
check "a scan through a symlink sees the lock of the real database" 5 "holds $tmp/s.db.scan-0of1.lock"
run --config "$cfg" --db "$tmp/etc/../s.db" scan --target 127.0.0.1 --ports 443
check "... and so does another spelling of its path" 5 "holds $tmp/s.db.scan-0of1.lock"
kill "$holder" && wait "$holder" 2>/dev/null
holder=
(exec 9>"$tmp/s.db.resolve.lock" && flock 9 && exec sleep 30) &
holder=$!
for _ in $(seq 1 300); do flock -n "$tmp/s.db.resolve.lock" true || break; sleep 0.1; done
out=$(echo a.example.com | "$IOTMAP" --config "$cfg" --db "$tmp/link.db" resolve --once - 2>&1); rc=$?
check "a resolve through a symlink sees the lock of the real database" 5 "holds $tmp/s.db.resolve.lock"

ops_summary ethics_config_test
