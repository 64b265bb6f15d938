#!/usr/bin/env bash
# Every way an address is excluded from a scan, proved with real listeners (issue 14 "must show",
# issue 13 item 4). The test creates its own network namespace (no interface but lo, no route
# out), puts the addresses below on its lo, and runs tests/lab/count_connections.py there: it
# accepts every TCP connection on ports 443 and 1883 of every address and logs one line per
# accepted connection (local address, local port, peer, time). What is counted: accepted TCP
# connections per listening address and port (a connection to an IPv4-mapped target
# ::ffff:a.b.c.d arrives at the IPv4 listener of a.b.c.d and is counted there).
#
#   A. default_blocklist = false, a blocklist file holding 20.0.0.1 and an opt-out list holding
#      20.0.0.2 (added with `iotmap optout add`); targets both addresses and their IPv4-mapped
#      forms, from a target file and from --target: zero accepts on 20.0.0.1 and 20.0.0.2; the
#      control 20.0.0.3 (direct and mapped) and 2a00::3 get theirs.
#   B. default_blocklist = true: reserved IPv4 (10.9.9.9, 198.18.0.1, 127.0.0.1) and IPv6
#      (fec0::1, 4000::1, fd00::1, ::127.0.0.1, 2001:db8::1) and the mapped ::ffff:20.0.0.3: zero
#      accepts; the controls 20.0.0.3 and 2a00::3 get theirs.
#   C. ETHICS.md rule 4: an address with 7 names on TLS port 443 and plain 1883 with the default
#      scan.max_names_per_address (4): 443 accepts at most 1 + 4 = 5 connections (exactly 5),
#      1883 one, and connections to the address are at least scan.per_ip_spacing_ms apart.
#   D. Targets on stdin as zmap writes them (`zmap | iotmap scan -`, docs/zmap.md, ETHICS.md
#      rule 9): zmap's default output and its csv output, each holding 20.0.0.1 (blocklist),
#      20.0.0.2 (opt-out) and 20.0.0.3: zero accepts on the first two. Without a blocklist file,
#      and without a contact, the scan is refused (exit 6) and `export blocklist` too: zero
#      accepts. The rate cap: 8 addresses (20.0.1.1-8) on stdin with ethics.max_rate = 4 and
#      --rate 1000: 8 accepts spread over at least 7 / 4 s, none closer than about 1 / 4 s.
# Needs root (ip netns). The lab itself is not used.
#   bash tests/lab/ethics_listeners_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
. "$SRC/tests/cli/ops_common.bash"
PY=${IOTMAP_LAB_PYTHON:-/usr/bin/python3}

ns=iotmap-ethl-$$
work=$(mktemp -d /tmp/iotmap-ethics-listeners.XXXXXX)
listener=
cleanup() {
  [ -n "$listener" ] && kill "$listener" 2>/dev/null && wait "$listener" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  [ -n "${IOTMAP_OPS_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

v4=(20.0.0.1 20.0.0.2 20.0.0.3 10.9.9.9 198.18.0.1)
v6=(2a00::3 fec0::1 4000::1 fd00::1 ::7f00:1 2001:db8::1)
rate_v4=(20.0.1.{1..8})
ip netns add "$ns" || { echo "cannot create a network namespace (root needed)"; exit 1; }
ip -n "$ns" link set lo up
for a in "${v4[@]}" "${rate_v4[@]}"; do ip -n "$ns" addr add "$a/32" dev lo; done
for a in "${v6[@]}"; do ip -n "$ns" addr add "$a/128" dev lo nodad; done

. "$SRC/tests/lab/listeners.bash"
if ! start_counting_listeners "$ns" "$PY" "$work/accepted.log" 443,1883 127.0.0.1 "${v4[@]}" "${v6[@]}" "${rate_v4[@]}"; then
  ops_summary ethics_listeners_test
  exit 1
fi
ok "listeners on 127.0.0.1 ${v4[*]} ${v6[*]}, ports 443 and 1883"

# accepted ADDRESS [PORT]: accepted connections logged for that listener
accepted() { awk -v a="$1" -v p="${2:-}" '$1 == a && (p == "" || $2 == p)' "$work/accepted.log" | wc -l; }
# config FILE DEFAULT_BLOCKLIST [SPACING_MS]: relative ethics paths, next to the file
config() {
  cat >"$1" <<EOF
[[vantage_point]]
name = "none"
resolvers = ["127.0.0.1:9"]
[scan]
rate = 1000
timeout_ms = 2000
per_ip_spacing_ms = ${3:-0}
per_prefix_spacing_ms = 0
[ethics]
default_blocklist = $2
blocklist_file = "blocklist.txt"
optout_file = "optout.txt"
contact = "ethics-test@example.org"
EOF
}
mkdir -p "$work/etc" "$work/cron"
printf '# never probed\n20.0.0.1/32' >"$work/etc/blocklist.txt"  # no final newline either
printf '# opt-outs, kept by hand' >"$work/etc/optout.txt"       # no final newline
config "$work/etc/a.toml" false
config "$work/etc/b.toml" true
# scan CONFIG DB ARGS...: a scan in the namespace on ports $SCAN_PORTS (443,1883), stdin passed on
scan() { (cd "$work/cron" && ip netns exec "$ns" "$IOTMAP" --config "$work/etc/$1" --db "$work/$2" scan --ports "${SCAN_PORTS:-443,1883}" "${@:3}" 2>&1); }

# --- A. blocklist file, opt-out list, IPv4-mapped forms (default ranges off) ---
(cd "$work/cron" && "$IOTMAP" --config "$work/etc/a.toml" optout add 20.0.0.2 --reason "operator asked") >"$work/optout.out" 2>&1
out=$(cat "$work/optout.out"); rc=0
check "optout add (run from another directory) writes the configured file" 0 \
  "^opted out 20.0.0.2/32 in $work/etc/optout.txt$"
printf '%s\n' 20.0.0.1 20.0.0.2 20.0.0.3 ::ffff:20.0.0.2 2a00::3 >"$work/targets-a.txt"
: >"$work/accepted.log"
out=$(scan a.toml a.db "$work/targets-a.txt" --target ::ffff:20.0.0.1 --target ::ffff:20.0.0.3); rc=$?
check "scan A runs (14 connections planned)" 0 "run #1: 7 targets, 14 connections"
sync_listeners
same "A: blocklist file: 20.0.0.1 accepted nothing (direct and ::ffff:20.0.0.1)" "$(accepted 20.0.0.1)" 0
same "A: opt-out list: 20.0.0.2 accepted nothing (direct and ::ffff:20.0.0.2)" "$(accepted 20.0.0.2)" 0
same "A: control 20.0.0.3 accepted 4 (2 ports x direct and mapped)" "$(accepted 20.0.0.3)" 4
same "A: control 2a00::3 accepted 2" "$(accepted 2a00::3)" 2
same "A: the run counts 8 blocked connections" \
  "$(sqlite3 "$work/a.db" "SELECT json_extract(counts, '\$.blocked') FROM runs WHERE id = 1")" 8
same "A: 4 of them for the opt-out" \
  "$(sqlite3 "$work/a.db" "SELECT json_extract(counts, '\$.optout') FROM runs WHERE id = 1")" 4

# --- B. the default reserved ranges, IPv4 and IPv6, and the mapped form ---
: >"$work/accepted.log"
reserved=(10.9.9.9 198.18.0.1 127.0.0.1 fec0::1 4000::1 fd00::1 ::127.0.0.1 2001:db8::1)
printf '%s\n' "${reserved[@]}" ::ffff:20.0.0.3 20.0.0.3 2a00::3 >"$work/targets-b.txt"
out=$(scan b.toml b.db "$work/targets-b.txt"); rc=$?
check "scan B runs" 0 "run #1: 11 targets, 22 connections"
sync_listeners
for a in 10.9.9.9 198.18.0.1 127.0.0.1 fec0::1 4000::1 fd00::1 ::7f00:1 2001:db8::1; do
  same "B: default ranges: $a accepted nothing" "$(accepted "$a")" 0
done
same "B: control 20.0.0.3 accepted 2 (its mapped form is reserved IPv6)" "$(accepted 20.0.0.3)" 2
same "B: control 2a00::3 accepted 2" "$(accepted 2a00::3)" 2
same "B: the run counts 18 blocked connections" \
  "$(sqlite3 "$work/b.db" "SELECT json_extract(counts, '\$.blocked') FROM runs WHERE id = 1")" 18

# --- C. connections per address and port (ETHICS.md rule 4) ---
config "$work/etc/c.toml" false 500
: >"$work/accepted.log"
out=$(scan c.toml c.db --target "20.0.0.3,a.example,b.example,c.example,d.example,e.example,f.example,g.example"); rc=$?
check "scan C: 7 names, 3 left out and said so" 0 "3 names not sent as SNI: over scan.max_names_per_address = 4"
sync_listeners
max=$(awk '{n[$1" "$2]++} END {m = 0; for (k in n) if (n[k] > m) m = n[k]; print m}' "$work/accepted.log")
[ "${max:-0}" -le 5 ] && ok "C: no address and port accepted more than 1 + 4 connections (max $max)" ||
  bad "C: an address and port accepted $max connections, more than 1 + 4"
same "C: 20.0.0.3:443 accepted exactly 5 (no SNI + 4 names)" "$(accepted 20.0.0.3 443)" 5
same "C: 20.0.0.3:1883 (plain) accepted 1" "$(accepted 20.0.0.3 1883)" 1
gap=$(awk '{print $4}' "$work/accepted.log" | sort -n |
  awk 'NR > 1 && (g == "" || $1 - p < g) {g = $1 - p} {p = $1} END {print g}')
awk -v g="$gap" 'BEGIN {exit !(g >= 0.35)}' && ok "C: connections to the address were about 0.5 s apart (shortest gap $gap s)" ||
  bad "C: two connections to one address only $gap s apart (per_ip_spacing_ms = 500)"
same "C: the run counts 3 names left out" \
  "$(sqlite3 "$work/c.db" "SELECT json_extract(counts, '\$.names_left_out') FROM runs WHERE id = 1")" 3
# --- D. targets on stdin as zmap writes them ---
declare -A zmap_output=(
  [default]=$'20.0.0.1\n20.0.0.2\n20.0.0.3\n'
  [csv]=$'saddr,daddr,sport,success\n20.0.0.1,192.0.2.100,443,1\n20.0.0.2,192.0.2.100,443,1\n20.0.0.3,192.0.2.100,443,1\n')
for form in default csv; do
  : >"$work/accepted.log"
  out=$(scan a.toml "d-$form.db" - <<<"${zmap_output[$form]}"); rc=$?
  check "D: scan - of zmap's $form output: 3 targets" 0 "run #1: 3 targets, 6 connections"
  sync_listeners
  same "D ($form): blocklist file: 20.0.0.1 accepted nothing" "$(accepted 20.0.0.1)" 0
  same "D ($form): opt-out list: 20.0.0.2 accepted nothing" "$(accepted 20.0.0.2)" 0
  same "D ($form): control 20.0.0.3 accepted 2 (2 ports)" "$(accepted 20.0.0.3)" 2
  same "D ($form): the run counts 4 blocked, 2 for the opt-out" \
    "$(sqlite3 "$work/d-$form.db" "SELECT json_extract(counts, '\$.blocked') || ' ' || json_extract(counts, '\$.optout') FROM runs WHERE id = 1")" "4 2"
done
grep -v '^blocklist_file' "$work/etc/a.toml" >"$work/etc/no-blocklist.toml"
grep -v '^contact' "$work/etc/a.toml" >"$work/etc/no-contact.toml"
for c in no-blocklist no-contact; do
  : >"$work/accepted.log"
  out=$(scan "$c.toml" "d-$c.db" - <<<"${zmap_output[default]}"); rc=$?
  check "D ($c): scan - refused, nothing sent" 6 "refused; nothing was sent"
  out=$(cd "$work/cron" && "$IOTMAP" --config "$work/etc/$c.toml" export blocklist --output "$work/d-$c.zmap" 2>&1); rc=$?
  check "D ($c): export blocklist refused too" 6 "blocklist refused; nothing written"
  [ -e "$work/d-$c.zmap" ] && bad "D ($c): export blocklist wrote a file" || ok "D ($c): no zmap blocklist written"
  sync_listeners
  same "D ($c): no address accepted a connection" "$(wc -l <"$work/accepted.log")" 0
done
sed 's/^rate = 1000$/rate = 4/' "$work/etc/a.toml" >"$work/etc/rate.toml"
echo "max_rate = 4" >>"$work/etc/rate.toml" # [ethics] is the file's last table
: >"$work/accepted.log"
out=$(SCAN_PORTS=443 scan rate.toml d-rate.db - --rate 1000 < <(printf '%s\n' "${rate_v4[@]}")); rc=$?
check "D (rate): --rate 1000 over ethics.max_rate 4 scans at 4/s" 0 "above the configured cap; scanning at 4/s"
sync_listeners
same "D (rate): 8 connections accepted" "$(wc -l <"$work/accepted.log")" 8
span=$(awk '{print $4}' "$work/accepted.log" | sort -n | awk 'NR == 1 {f = $1} {l = $1} END {print l - f}')
gap=$(awk '{print $4}' "$work/accepted.log" | sort -n |
  awk 'NR > 1 && (g == "" || $1 - p < g) {g = $1 - p} {p = $1} END {print g}')
awk -v s="$span" -v g="$gap" 'BEGIN {exit !(s >= 1.65 && g >= 0.2)}' &&
  ok "D (rate): 8 connections over $span s (>= 7/4 s), shortest gap $gap s (1/4 s)" ||
  bad "D (rate): 8 connections over $span s, shortest gap $gap s: faster than 4/s"
ops_summary ethics_listeners_test
