#!/usr/bin/env bash
# IOTMAP_NOW, the clock a test can set (lib/clock.h, docs/DEVELOPING.md):
#  - hourly files its run and every resolution under the hour of the set time, given as an ISO
#    time or as Unix seconds, and the run's start is the set time (plus the real seconds since);
#  - daily's default date is the set day (its output directory and run row say so);
#  - every command prints one warning line naming the variable and the time;
#  - a value that cannot be read stops the command with exit 2 naming the variable and value,
#    before any work (no database is created);
#  - unset, the real clock decides.
# Usage: clock_test.sh IOTMAP_BINARY SOURCE_DIR
#
# Network: a private network namespace (unshare -n) with only loopback; the vantage point's
# resolver is a closed port there, so every query fails at once and nothing leaves the machine.
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: clock_test.sh IOTMAP_BINARY SOURCE_DIR}
IOTMAP=$(readlink -f "$IOTMAP")
SRC=$(cd "${2:?usage: clock_test.sh IOTMAP_BINARY SOURCE_DIR}" && pwd)
. "$SRC/tests/cli/ops_common.bash"
in_private_netns clock_test "$0" "$@"
unset IOTMAP_NOW
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
cat >c.toml <<'EOF'
[[vantage_point]]
name = "closed"
location = "nowhere"
resolvers = ["127.0.0.1:9"]
[resolver]
timeout_ms = 200
retries = 0
EOF
q() { sqlite3 "$1" "$2"; }
T=1772330700 # 2026-03-01 02:05:00 UTC
warning="^iotmap: warning: IOTMAP_NOW is set: the clock starts at 2026-03-01 02:05:00 UTC"

out=$(IOTMAP_NOW=2026-03-01T02:05:00Z "$IOTMAP" --config c.toml --db a.db hourly 2>&1)
rc=$?
[ "$(grep -c "$warning" <<<"$out")" -ge 2 ] && ok "hourly and its resolve stage each print the warning" ||
  bad "no warning line in:"$'\n'"$out"
same "the hourly run covers the set hour" \
  "$(q a.db "SELECT covers FROM runs WHERE kind = 'hourly'")" "2026-03-01T02"
same "the resolve run covers the set hour" \
  "$(q a.db "SELECT covers FROM runs WHERE kind = 'resolve'")" "2026-03-01T02"
same "every resolution is filed under the set hour" \
  "$(q a.db "SELECT DISTINCT hour FROM resolutions")" "$((T / 3600 * 3600))"
[ "$(q a.db "SELECT count(*) FROM resolutions")" -gt 0 ] && ok "resolutions were stored (exit $rc)" ||
  bad "no resolution stored (exit $rc):"$'\n'"$out"
start=$(q a.db "SELECT started_at FROM runs WHERE kind = 'hourly'")
[ "$start" -ge "$T" ] && [ "$start" -lt $((T + 60)) ] && ok "the run started at the set time ($start)" ||
  bad "the run started at $start, not within a minute after $T"
resolved=$(q a.db "SELECT min(resolved_at) || ' ' || max(resolved_at) FROM resolutions")
read -r lo hi <<<"$resolved"
[ "$lo" -ge "$T" ] && [ "$hi" -lt $((T + 60)) ] && ok "resolved_at follows the set clock ($resolved)" ||
  bad "resolved_at $resolved is not the set time"

out=$(IOTMAP_NOW=$((T + 86400)) "$IOTMAP" --config c.toml --db a.db hourly 2>&1)
same "Unix seconds set the clock too: the next day's hour" \
  "$(q a.db "SELECT covers FROM runs WHERE kind = 'hourly' ORDER BY id DESC LIMIT 1")" "2026-03-02T02"
has "... and the warning names that time" "^iotmap: warning: IOTMAP_NOW is set: the clock starts at 2026-03-02 02:05:00 UTC"

out=$(IOTMAP_NOW=2026-03-05 "$IOTMAP" --config c.toml --db a.db daily --skip fetch,resolve,scan \
  --out out 2>&1)
rc=$?
same "daily's default date is the set day" \
  "$(q a.db "SELECT covers FROM runs WHERE kind = 'daily'")" "2026-03-05"
[ -f out/hitlist-2026-03-05.csv ] && ok "daily writes the set day's hitlist (exit $rc)" ||
  bad "no out/hitlist-2026-03-05.csv (exit $rc):"$'\n'"$(tail -20 <<<"$out")"

out=$(IOTMAP_NOW=2026-03-01T04:05:00+02:00 "$IOTMAP" --config c.toml --db a.db resolve --help 2>&1)
has "an offset is applied: +02:00 is two hours east of UTC" \
  "^iotmap: warning: IOTMAP_NOW is set: the clock starts at 2026-03-01 02:05:00 UTC"

for value in yesterday 2026-02-30 "2026-03-01T25:00" "12abc" "2026-03-01T02:05:00+25:00"; do
  rm -f b.db
  out=$(IOTMAP_NOW=$value "$IOTMAP" --config c.toml --db b.db hourly 2>&1)
  rc=$?
  check "IOTMAP_NOW='$value' is refused with exit 2 naming it" 2 "IOTMAP_NOW='${value//+/\\+}' is neither"
  [ ! -e b.db ] && ok "... before any work (no database)" || bad "... but b.db was created"
done

out=$(IOTMAP_NOW= "$IOTMAP" --config c.toml --db c.db hourly 2>&1)
grep -q "IOTMAP_NOW" <<<"$out" && bad "an empty IOTMAP_NOW printed a warning" ||
  ok "empty or unset: no warning"
hour=$(q c.db "SELECT covers FROM runs WHERE kind = 'hourly'")
now=$(date -u +%Y-%m-%dT%H)
before=$(date -u -d '-5 minutes' +%Y-%m-%dT%H)
[ "$hour" = "$now" ] || [ "$hour" = "$before" ] && ok "unset: the real hour ($hour)" ||
  bad "unset: covers $hour, the real hour is $now"
ops_summary clock_test
