#!/usr/bin/env bash
# `iotmap daily` and `iotmap hourly` as cron runs them, without the lab:
#  - with the embedded default configuration on a fresh database the job runs to completion,
#    prints the one-screen summary, says the scan was refused, and records every stage;
#  - two dailies started together: one runs, the other exits 5 with the lock message;
#  - a daily killed with SIGKILL leaves no stage process behind, and the next run says so and
#    completes; a rerun does not repeat a measurement stage an earlier run completed;
#  - hourly, --date, --skip; SIGTERM stops the job and records it; a configured fetch runs.
# Usage: ops_daily_test.sh IOTMAP_BINARY SOURCE_DIR
#
# Network: everything runs in a private network namespace (unshare -n) with only loopback, so
# the default vantage point (this host's resolv.conf resolvers) reaches nothing (or the test's
# own fake resolver)
# and no packet can leave the machine whatever the configuration says.
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: ops_daily_test.sh IOTMAP_BINARY SOURCE_DIR}
IOTMAP=$(readlink -f "$IOTMAP")
SRC=$(cd "${2:?usage: ops_daily_test.sh IOTMAP_BINARY SOURCE_DIR}" && pwd)
. "$SRC/tests/cli/ops_common.bash"
in_private_netns ops_daily_test "$0" "$@"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

# Fake recursive resolvers on 127.0.0.1 (tests/cli/fake_dns.py): "silent" never answers,
# "nxdomain" answers every query NXDOMAIN at once.
start_dns() {  # start_dns MODE PORT
  python3 "$SRC/tests/cli/fake_dns.py" "$1" "$2" >"$tmp/dns-$1.log" 2>&1 &
  pids+=($!)
  wait_for "$tmp/dns-$1.log" ready && return
  bad "fake resolver $1 did not start"
}
start_dns silent 5301
start_dns nxdomain 5302
conf() {  # conf FILE PORT: a configuration whose one vantage point is the fake resolver
  cat >"$1" <<TOML
[[vantage_point]]
name = "${4:-local}"
location = "test"
resolvers = ["127.0.0.1:$2"]
[resolver]
timeout_ms = ${3:-1000}
retries = 1
TOML
}
conf "$tmp/silent.toml" 5301 3000 slow
conf "$tmp/nx.toml" 5302
q() { sqlite3 "$1" "$2"; }

# --- 1. the embedded default configuration on a fresh machine -------------------------------
# The host's resolvers are out of reach in this namespace: no query is answered; the scan is refused
# (no blocklist, no contact). The job must still run every stage and say so.
t0=$(date +%s)
out=$("$IOTMAP" --db "$tmp/fresh/iotmap.db" daily 2>&1); rc=$?
t1=$(date +%s)
echo "    (default-config daily took $((t1 - t0)) s, exit $rc)"
[ $((t1 - t0)) -le 300 ] && ok "default daily finishes in $((t1 - t0)) s" || bad "default daily took $((t1 - t0)) s"
# The resolver decides whether "no reply from the only resolver" is a failure (exit 1) or an
# ok run of TIMEOUT/NETWORK_ERROR rows; either way the job is not ok: at least the scan was refused.
if [ "$rc" = 1 ] || [ "$rc" = 7 ]; then ok "default daily: exit $rc (1 or 7)"; else bad "default daily: exit $rc"; fi
has "the summary ends with the verdict" "^result: (FAILED|partial) \(exit $rc\)"
has "summary header" "^==== iotmap daily [0-9]{4}-[0-9]{2}-[0-9]{2}: summary \(run #1 in .*fresh/iotmap.db\)"
has "fetch is off without data sources" "^fetch +off .*no data sources configured"
has "resolve is shown with its result" "^resolve +(ok|FAILED \(exit 1\)) "
has "resolve's counts are shown" "^resolve .*names [0-9]+"
has "resolve's statuses are shown" "^resolve .*status_[a-z_]+ [0-9]+"
has "scan is refused with the reason" "^scan +refused \(exit 6\) .*ethics.blocklist_file and ethics.contact"
has "classify is shown" "^classify +"
has "export is shown" "^export +"
has "report is shown" "^report +"
has "outputs default to ./iotmap-out/DATE" "^outputs: $tmp/iotmap-out/[0-9-]{10}$"
[ -d "$tmp/iotmap-out" ] && ok "the output directory exists" || bad "no ./iotmap-out"
fdb="$tmp/fresh/iotmap.db"
want=partial; [ "$rc" = 1 ] && want=failed
[ "$(q "$fdb" "SELECT kind || ' ' || status FROM runs WHERE id = 1")" = "daily $want" ] &&
  ok "runs: the daily row ended $want" || bad "runs row 1: $(q "$fdb" 'SELECT * FROM runs WHERE id = 1')"
[ "$(q "$fdb" "SELECT json_extract(counts, '\$.\"scan.exit\"') FROM runs WHERE id = 1")" = 6 ] &&
  ok "runs: scan.exit = 6 in the daily's counts" || bad "counts: $(q "$fdb" 'SELECT counts FROM runs WHERE id = 1')"
n=$(q "$fdb" "SELECT json_extract(counts, '\$.\"resolve.exit\"') FROM runs WHERE id = 1")
[ "$n" = 0 ] || [ "$n" = 1 ] && ok "runs: resolve.exit = $n" || bad "counts: $(q "$fdb" 'SELECT counts FROM runs WHERE id = 1')"
n=$(q "$fdb" "SELECT json_extract(counts, '\$.\"resolve.ms\"') FROM runs WHERE id = 1")
[ -n "$n" ] && [ "$n" -gt 0 ] && ok "runs: resolve.ms = $n" || bad "no resolve.ms"
n=$(q "$fdb" "SELECT count(*) FROM resolutions WHERE status IN ('NOERROR', 'NXDOMAIN', 'NODATA')")
m=$(q "$fdb" "SELECT count(*) FROM resolutions")
[ "$n" = 0 ] && [ "$m" -gt 0 ] && ok "$m rows stored, none with an answer" ||
  bad "resolutions: $(q "$fdb" 'SELECT status, count(*) FROM resolutions GROUP BY 1')"
[ "$(q "$fdb" "SELECT count(*) FROM runs WHERE kind = 'resolve'")" = 1 ] && ok "the resolve stage wrote its own run" || bad "resolve runs"

# --- 2. two dailies started together ---------------------------------------------------------
db2="$tmp/lock/iotmap.db"
"$IOTMAP" --config "$tmp/silent.toml" --db "$db2" daily --out "$tmp/o2" >"$tmp/a.log" 2>&1 &
a=$!
"$IOTMAP" --config "$tmp/silent.toml" --db "$db2" daily --out "$tmp/o2" >"$tmp/b.log" 2>&1 &
b=$!
wait $a; ra=$?
wait $b; rb=$?
if { [ $ra = 5 ] && [ $rb != 5 ]; } || { [ $rb = 5 ] && [ $ra != 5 ]; }; then
  ok "two dailies together: exactly one exits 5 (exits $ra, $rb)"
else
  bad "two dailies together: exits $ra and $rb"
fi
if [ $ra = 5 ]; then loser=$tmp/a.log; winner=$b; else loser=$tmp/b.log; winner=$a; fi
out=$(cat "$loser")
has "the loser names the lock file and the holder's pid" "another iotmap run holds $tmp/lock/iotmap.db.lock \(pid $winner\)"
[ "$(wc -l <"$loser")" -le 2 ] && ok "the loser says nothing else" || bad "loser output: $out"
[ "$(q "$db2" "SELECT count(*) FROM runs WHERE kind = 'daily'")" = 1 ] && ok "only one daily run recorded" || bad "daily runs: $(q "$db2" "SELECT count(*) FROM runs WHERE kind='daily'")"

# the same with the first one certainly running: the second leaves at once. (A new database:
# in db2 this hour is resolved already, so a daily there would be over in a moment.)
db2="$tmp/kill/iotmap.db"
"$IOTMAP" --config "$tmp/silent.toml" --db "$db2" daily --out "$tmp/o2" >"$tmp/c.log" 2>&1 &
c=$!
for _ in $(seq 1 300); do [ "$(cat "$db2.lock" 2>/dev/null)" = "$c" ] && break; sleep 0.1; done
t0=$(date +%s%N)
out=$("$IOTMAP" --config "$tmp/silent.toml" --db "$db2" daily 2>&1); rc=$?
t1=$(date +%s%N)
check "a daily while another runs exits 5" 5 "another iotmap run holds .*lock \(pid $c\)"
# "At once" means it did not wait for the lock: waiting would last until the first daily ends
# (it is still running: checked right after) or --lock-wait's default of 600 s. The bound is
# far below both and far above what a start-up on a loaded machine takes (milliseconds idle).
ms=$(((t1 - t0) / 1000000))
kill -0 $c 2>/dev/null && ok "... while the first is still running" || bad "the first daily ended before the second did"
[ $ms -lt 60000 ] && ok "... at once, not after a lock wait ($ms ms)" || bad "took $ms ms"
out=$("$IOTMAP" --config "$tmp/silent.toml" --db "$tmp/kill/./iotmap.db" daily 2>&1); rc=$?
check "another spelling of the same path meets the same lock" 5 "another iotmap run holds"

# --- 3. SIGKILL in the middle: no stage left behind, the next run completes -------------------
child=
for _ in $(seq 1 300); do child=$(pgrep -P $c | head -1); [ -n "$child" ] && break; sleep 0.1; done
[ -n "$child" ] && ok "the daily runs its stage as child $child" || bad "no stage child of $c"
kill -KILL $c
wait $c 2>/dev/null
gone=no
for _ in $(seq 1 300); do kill -0 "$child" 2>/dev/null || { gone=yes; break; }; sleep 0.1; done
[ $gone = yes ] && ok "the stage died with the killed daily" || bad "stage $child survived its daily"
flock -n "$db2.resolve.lock" true && ok "the resolve lock is free again" || bad "resolve lock still held"
killed=$(q "$db2" "SELECT max(id) FROM runs WHERE kind = 'daily'")
[ "$(q "$db2" "SELECT status FROM runs WHERE id = $killed")" = running ] && ok "the killed run is left 'running'" || bad "killed run status"
stage_run=$(q "$db2" "SELECT max(id) FROM runs WHERE kind = 'resolve'")
[ "$(q "$db2" "SELECT status FROM runs WHERE id = $stage_run")" = running ] &&
  ok "so is its resolve stage's own run #$stage_run" || bad "killed resolve run status"
# A daily killed in its classify stage leaves that stage's run 'running' too (the fortnight's
# day 10 caught it; classify takes no lock of its own, so nothing else closes it). Such a row,
# written as the killed classify left it:
q "$db2" "INSERT INTO runs(kind, started_at, covers) VALUES ('classify', strftime('%s'), date('now'))" >/dev/null
classify_run=$(q "$db2" "SELECT max(id) FROM runs WHERE kind = 'classify'")
out=$("$IOTMAP" --config "$tmp/nx.toml" --db "$db2" daily --out "$tmp/o2" 2>&1); rc=$?
has "the next run reports the interrupted one" "run #$killed was interrupted before it finished"
[ "$(q "$db2" "SELECT status FROM runs WHERE id = $killed")" = failed ] && ok "... and marks it failed" || bad "killed run not closed"
q "$db2" "SELECT message FROM runs WHERE id = $killed" | grep -q interrupted && ok "... with the reason" || bad "message"
has "the next resolve reports the killed resolve run" "run #$stage_run was killed before it finished; marked failed"
q "$db2" "SELECT status || ': ' || message FROM runs WHERE id = $stage_run" |
  grep -q "^failed: interrupted: the process died before finishing (found by run #[0-9]*)$" &&
  ok "... and marks it failed with the reason (no run stays 'running' for ever)" ||
  bad "killed resolve run: $(q "$db2" "SELECT status || ': ' || message FROM runs WHERE id = $stage_run")"
q "$db2" "SELECT status || ': ' || message FROM runs WHERE id = $classify_run" |
  grep -q "^failed: interrupted: the job died before finishing (found by run #[0-9]*)$" &&
  ok "... and the killed daily's classify run #$classify_run too" ||
  bad "killed classify run: $(q "$db2" "SELECT status || ': ' || message FROM runs WHERE id = $classify_run")"
has "  (and says so)" "its classify run #$classify_run was left unfinished; marked failed"
check "with a resolver answering, the day ends partial: scan refused" 7 "^resolve +ok "
has "  (summary says partial)" "^result: partial \(exit 7\)"
n=$(q "$db2" "SELECT count(*) FROM resolutions WHERE status = 'NXDOMAIN'")
[ "$n" -gt 0 ] && ok "NXDOMAIN rows stored ($n)" || bad "no NXDOMAIN rows"
before=$(q "$db2" "SELECT count(*) FROM resolutions")
done_run=$(q "$db2" "SELECT max(id) FROM runs WHERE kind = 'daily'")
out=$("$IOTMAP" --config "$tmp/nx.toml" --db "$db2" daily --out "$tmp/o2" 2>&1); rc=$?
check "a rerun does not resolve again" 7 "^resolve +done before .*completed by daily run #$done_run"
[ "$(q "$db2" "SELECT count(*) FROM resolutions")" = "$before" ] && ok "... and adds no resolution" || bad "rerun added resolutions"
has "... but tries the refused scan again" "^scan +refused"
out=$("$IOTMAP" --config "$tmp/nx.toml" --db "$db2" daily --out "$tmp/o2" --redo 2>&1); rc=$?
has "--redo runs resolve again" "^resolve +ok "
[ "$(q "$db2" "SELECT count(*) FROM resolutions")" = "$before" ] && ok "... which adds nothing in the same hour" || bad "redo added resolutions (hour changed?)"

# --- 4. hourly -------------------------------------------------------------------------------
db4="$tmp/hourly/iotmap.db"
out=$("$IOTMAP" --config "$tmp/nx.toml" --db "$db4" hourly 2>&1); rc=$?
check "hourly resolves once" 0 "^resolve +ok "
has "hourly names itself, not daily, in its stage line" "^iotmap hourly: --- resolve: iotmap resolve --once$"
same "no line of hourly's own says 'iotmap daily'" "$(grep -c '^iotmap daily' <<<"$out")" 0
[ "$(q "$db4" "SELECT kind || ' ' || status || ' ' || covers FROM runs WHERE kind = 'hourly'")" = "hourly ok $(date -u +%Y-%m-%dT%H)" ] &&
  ok "hourly recorded for the hour" || bad "hourly run: $(q "$db4" "SELECT * FROM runs WHERE kind = 'hourly'")"
"$IOTMAP" --config "$tmp/silent.toml" --db "$db4" hourly >"$tmp/h1.log" 2>&1 &
h1=$!
for _ in $(seq 1 300); do [ "$(cat "$db4.hourly.lock" 2>/dev/null)" = "$h1" ] && break; sleep 0.1; done
out=$("$IOTMAP" --config "$tmp/silent.toml" --db "$db4" hourly 2>&1); rc=$?
check "a second hourly exits 5" 5 "another iotmap run holds .*hourly.lock \(pid $h1\)"
out=$("$IOTMAP" --config "$tmp/nx.toml" --db "$db4" daily --skip scan --lock-wait 0 --out "$tmp/o4" 2>&1); rc=$?
has "a daily beside an hourly is not locked out by it" "^==== iotmap daily"
kill $h1; wait $h1 2>/dev/null

# --- 5. options ------------------------------------------------------------------------------
out=$("$IOTMAP" --db "$tmp/x.db" daily --date 2999-01-01 2>&1); rc=$?
check "a future date is a usage error" 2 "in the future"
out=$("$IOTMAP" --db "$tmp/x.db" daily --date 2024-13-45 2>&1); rc=$?
check "a bad date is a usage error" 2 "YYYY-MM-DD"
out=$("$IOTMAP" --db "$tmp/x.db" daily --skip scna 2>&1); rc=$?
check "an unknown stage in --skip is a usage error" 2 "--skip takes"
out=$("$IOTMAP" --config "$tmp/nx.toml" --db "$tmp/x.db" daily --date 2024-05-01 --out "$tmp/o5" 2>&1); rc=$?
has "a past date does not resolve" "^resolve +off .*past date 2024-05-01"
has "a past date does not scan" "^scan +off .*past date"
has "a past date classifies" "^classify +"
[ "$(q "$tmp/x.db" "SELECT covers FROM runs WHERE kind = 'daily'")" = 2024-05-01 ] && ok "the run covers 2024-05-01" || bad "covers"
out=$("$IOTMAP" --config "$tmp/nx.toml" --db "$tmp/y.db" daily --skip scan,classify --skip export --out "$tmp/o6" 2>&1); rc=$?
has "--skip turns stages off" "^scan +off +- +--skip scan"
has "--skip takes lists" "^export +off +- +--skip export"

# --- 6. SIGTERM (systemd stop, Ctrl-C): the stage is stopped, the job records it and exits 1 ----
db6="$tmp/term/iotmap.db"
"$IOTMAP" --config "$tmp/silent.toml" --db "$db6" daily --out "$tmp/o6" >"$tmp/term.log" 2>&1 &
d=$!
child=
for _ in $(seq 1 300); do child=$(pgrep -P $d | head -1); [ -n "$child" ] && break; sleep 0.1; done
kill -TERM $d
wait $d
same "SIGTERM: exit 1" "$?" 1
out=$(cat "$tmp/term.log")
has "SIGTERM: the running stage is shown interrupted" "^resolve +interrupted .*signal 15"
has "SIGTERM: the later stages did not start" "^report +interrupted .*not started"
has "SIGTERM: the summary says so" "^result: FAILED \(exit 1\): interrupted by signal 15"
same "SIGTERM: the run is recorded failed" "$(q "$db6" "SELECT status FROM runs WHERE kind = 'daily'")" failed
[ -n "$child" ] && ! kill -0 "$child" 2>/dev/null && ok "SIGTERM: the stage process is gone" || bad "stage $child still there"

# --- 7. fetch, when data sources are configured: a failed download fails the job, which goes on
cat >"$tmp/sources.toml" <<TOML
[fetch]
defaults = false
retries = 0
connect_timeout_s = 2
[source.aws-ranges]
kind = "file"
format = "aws-ranges"
url = "https://127.0.0.1:9/ip-ranges.json"
file = "aws-ip-ranges.json"
TOML
printf '[sources]\ndata_dir = "%s"\nfetch_file = "%s"\n' "$tmp/data" "$tmp/sources.toml" >"$tmp/fetch.toml"
out=$(IOTMAP_FETCH_LOOPBACK_ONLY=1 "$IOTMAP" --config "$tmp/fetch.toml" --db "$tmp/f.db" daily \
  --skip resolve,scan --out "$tmp/o7" 2>&1); rc=$?
check "a configured fetch runs; its failure makes the job exit 1" 1 "^fetch +FAILED \(exit 1\) .*aws-ranges"
has "... and the job goes on" "^classify +ok "
has "... with the fetch's own words" "\| iotmap fetch: aws-ranges: failed"

ops_summary ops_daily_test
