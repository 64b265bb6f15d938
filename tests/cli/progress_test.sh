#!/usr/bin/env bash
# Progress when stderr is not a terminal (a cron log): `resolve` writes a whole status line
# ("resolve ...: N/M (P%) R/s ETA S") every 5 s with -v (60 s by default, so none in a run of a
# few seconds), then its final line; -q writes no progress line at all. `hourly` passes -q/-v to
# the resolve it runs. The resolver is a fake one on 127.0.0.1 that answers NXDOMAIN, limited
# to 40 queries per second so that 280 names take 7 s.
# Usage: progress_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: progress_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: progress_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
tmp=$(mktemp -d)
dns=
trap '[ -n "$dns" ] && kill "$dns" 2>/dev/null; rm -rf "$tmp"' EXIT

python3 "$SRC/tests/cli/fake_dns.py" nxdomain 0 >"$tmp/dns.log" &
dns=$!
wait_for "$tmp/dns.log" ready
port=$(awk '/^ready/ {print $2}' "$tmp/dns.log")
cat >"$tmp/c.toml" <<TOML
[[vantage_point]]
name = "fake"
resolvers = ["127.0.0.1:$port"]
[resolver]
qps = 40
TOML
for i in $(seq 1 280); do echo "device$i.iot.us-east-1.amazonaws.com"; done >"$tmp/names"
resolve() {  # resolve DB [GLOBAL-OPTION]: stderr (a file, not a terminal) in $out
  "$IOTMAP" --config "$tmp/c.toml" --db "$tmp/$1" ${2:+"$2"} resolve --once --types A - \
    <"$tmp/names" 2>"$tmp/err"
  rc=$?
  out=$(cat "$tmp/err")
}
status='^resolve [0-9T-]+: [0-9]+/280 \([0-9.]+%\) [0-9]+/s ETA [0-9]+s$'
final='^resolve [0-9T-]+: 280/280 \(100\.0%\) [0-9]+/s ETA 0s in [0-9.]+s$'

resolve v.db -v
check "-v: resolve ends" 0 "$final"
n=$(grep -cE "$status" <<<"$out")
[ "$n" -ge 1 ] && ok "-v: $n status line(s) before the end, each a whole line" ||
  bad "-v: no status line before the end in:"$'\n'"$out"
grep -q $'\r\|\033' "$tmp/err" && bad "-v: terminal redraws in a log" || ok "-v: no terminal redraws in a log"

resolve d.db
check "default: resolve ends with its final line" 0 "$final"
same "default: no status line in a run of seconds (one a minute)" "$(grep -cE "$status" <<<"$out")" 0

resolve q.db -q
same "-q: exit 0" "$rc" 0
same "-q: no progress line at all" "$(grep -cE "^resolve [0-9T-]+: " <<<"$out")" 0

# hourly runs resolve as a child process: -q must reach it (the catalogue's names, at full speed)
sed 's/^qps = 40$/qps = 5000/' "$tmp/c.toml" >"$tmp/h.toml"
"$IOTMAP" --config "$tmp/h.toml" --db "$tmp/h.db" -q hourly >"$tmp/err" 2>&1
rc=$?
out=$(cat "$tmp/err")
check "hourly -q runs its resolve" 0 "iotmap hourly: --- resolve: iotmap resolve --once"
same "hourly -q: no progress line from its resolve" "$(grep -cE "^resolve [0-9T-]+: " <<<"$out")" 0
ops_summary progress_test
