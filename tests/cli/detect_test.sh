#!/usr/bin/env bash
# `iotmap detect` and `export detections` on a hitlist stored by hand (the rows `classify`
# writes): exit codes before any work, the lines per service, stdin, bad lines named file:line,
# the sweep's counts as computed by hand, hash and prefix pseudonyms, and no clear subscriber
# address anywhere in the database or the outputs.
# Usage: detect_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
IOTMAP=${1:?usage: detect_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: detect_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
work=$(mktemp -d /tmp/iotmap-detect-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
db=$work/t.db
unset IOTMAP_DETECT_KEY
key=k3y-of-the-test-0123456789

# The hitlist of 2026-03-01: a backend provider (one domain), TP-Link (two primary domains),
# Samsung (a primary and a support domain), and the shared CDN address that must never count.
"$IOTMAP" --db "$db" db migrate >/dev/null 2>&1
sqlite3 "$db" "INSERT INTO hitlist (date, provider, domain, ip, port, protocol, infrastructure,
  level, domain_class, sources) VALUES
  ('2026-03-01','aws','a1-ats.iot.us-east-1.amazonaws.com.','198.51.100.10',8883,'mqtt','dedicated','backend','primary','active_dns'),
  ('2026-03-01','tplink','devs.tplinkcloud.com.','198.51.100.50',443,'https','dedicated','manufacturer','primary','active_dns'),
  ('2026-03-01','tplink','deventry.tplinkcloud.com.','198.51.100.51',443,'https','dedicated','manufacturer','primary','active_dns'),
  ('2026-03-01','samsung','samsungotn.net.','198.51.100.60',443,'https','dedicated','manufacturer','primary','active_dns'),
  ('2026-03-01','samsung','a.samsung-eu.whisk.com.','198.51.100.61',443,'https','dedicated','manufacturer','support','active_dns'),
  ('2026-03-01','aws','d3cdn-ats.iot.eu-west-1.amazonaws.com.','203.0.113.200',443,'https','shared','backend','primary','active_dns')"

hdr="ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt"
# household A 10.0.0.2: AWS and both TP-Link domains; D 10.0.0.9: one TP-Link domain;
# B 10.0.0.3: Samsung's support domain only; C 10.0.1.4: the shared CDN only;
# E 10.0.2.5: TP-Link on the wrong port.
cat >"$work/flows.csv" <<CSV
$hdr
2026-03-01 10:00:01,2026-03-01 10:00:02,1.0,10.0.0.2,198.51.100.10,40001,8883,TCP,.AP.SF,0,0,10,1500,0,0
2026-03-01 10:05:01,2026-03-01 10:05:02,1.0,10.0.0.2,198.51.100.50,40002,443,TCP,.AP.SF,0,0,10,900,0,0
2026-03-01 11:05:01,2026-03-01 11:05:02,1.0,198.51.100.51,10.0.0.2,443,40003,TCP,.AP.SF,0,0,10,4000,0,0
2026-03-01 10:06:01,2026-03-01 10:06:02,1.0,10.0.0.9,198.51.100.51,40004,443,TCP,.AP.SF,0,0,10,800,0,0
2026-03-01 10:07:01,2026-03-01 10:07:02,1.0,10.0.0.3,198.51.100.61,40005,443,TCP,.AP.SF,0,0,10,700,0,0
2026-03-01 10:08:01,2026-03-01 10:08:02,1.0,10.0.1.4,203.0.113.200,40006,443,TCP,.AP.SF,0,0,10,600,0,0
2026-03-01 10:09:01,2026-03-01 10:09:02,1.0,10.0.2.5,198.51.100.50,40007,8443,TCP,.AP.SF,0,0,10,500,0,0

Summary
flows,bytes,packets,avg_bps,avg_pps,avg_bpp
7,9000,70,1,1,1
CSV

# --- usage and configuration errors come before any work ---
run --db "$db" detect
check "no flow file: usage" 2 "name the flow files"
run --db "$db" detect "$work/missing.csv"
check "a missing flow file is named, exit 2" 2 "missing.csv: cannot read"
run --db "$db" detect --sweep 0.1:1.0 "$work/flows.csv"
check "a bad --sweep is exit 2" 2 "FROM:TO:STEP"
run --db "$db" detect --d 1.5 "$work/flows.csv"
check "--d above 1 is exit 2" 2 "--d"
run --db "$db" detect --rule majority "$work/flows.csv"
check "an unknown --rule is exit 2" 2 "haystack or guo-heidemann"
run --db "$db" detect "$work/flows.csv"
check "no hash key: exit 3, says how to set one" 3 "IOTMAP_DETECT_KEY"
IOTMAP_DETECT_KEY=short run --db "$db" detect "$work/flows.csv"
check "a short key: exit 3" 3 "at least 16"
same "nothing stored by the refused runs" "$(sqlite3 "$db" 'SELECT count(*) FROM detections')" 0
printf '[detect]\nsubscribers = "everything"\n' >"$work/bad.toml"
run --config "$work/bad.toml" --db "$db" detect "$work/flows.csv"
check "a bad [detect] value is exit 3 naming file and key" 3 "bad.toml:2.*subscribers"

# --- a run ---
export IOTMAP_DETECT_KEY=$key
out=$("$IOTMAP" --db "$db" detect "$work/flows.csv" 2>"$work/err"); rc=$?
same "detect exits 0" "$rc" 0
same "lines per service: AWS 1, TP-Link 2 (D=0.4: 1 of 2 domains), no Samsung, no CDN" "$out" \
"date,service,level,rule,lines
2026-03-01,aws,backend,backend,1
2026-03-01,tplink,manufacturer,haystack,2"
grep -q "7 flows, 5 matched a hitlist endpoint" "$work/err" && ok "counts on stderr" ||
  bad "counts: $(cat "$work/err")"
grep -q "$key" "$work/err" && bad "the key is printed" || ok "the key is not printed"

out=$("$IOTMAP" --db "$db" export detections --date 2026-03-01 2>/dev/null)
same "export: 3 daily rows" "$(tail -n +2 <<<"$out" | wc -l)" 3
grep -qE '^2026-03-01,day,h:[0-9a-f]{16},tplink,manufacturer,haystack,0.4,2,2,2,1,1,deventry.tplinkcloud.com. devs.tplinkcloud.com.$' <<<"$out" &&
  ok "export: household A's TP-Link row, hashed, both domains" || bad "export: $out"
out=$("$IOTMAP" --db "$db" export detections --date 2026-03-01 --period hour --format jsonl 2>/dev/null)
python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
sys.exit(0 if any(r["period"] == "2026-03-01T11" and r["service"] == "tplink" and
                  r["subscriber"].startswith("h:") for r in rows) else 1)' <<<"$out" &&
  ok "export: the answer record counts for hour 11 of the client" || bad "hourly export: $out"
same "traffic: TP-Link 2 lines, 4900 bytes down+up" \
  "$(sqlite3 "$db" "SELECT lines || ' ' || bytes_up || ' ' || bytes_down || ' ' || ports FROM detection_traffic WHERE service = 'tplink'")" \
  '2 1700 4000 {"443":5700}'

# the daily report's detection section
run --db "$db" report footprint --date 2026-03-01 --format md
check "report footprint (md) has the detection section" 0 "## Detections in flow records, 2026-03-01"
has "report: TP-Link 2 lines, 3 flows, 1700 up, 4000 down, ratio 2.35" \
  '^\| tplink \| manufacturer \| haystack \| 2 \| 3 \| 1700 \| 4000 \| 2\.35 \|'
has "report: the day's counts" "7 flows, 5 reached a hitlist endpoint; 0 scanner sources left out"
run --db "$db" report footprint --date 2026-03-01 --format html
check "report footprint (html) has the detection chart" 0 'id="detections-chart"'
out=$("$IOTMAP" --db "$db" report footprint --date 2026-03-01 --format json 2>/dev/null); rc=$?
check "report footprint (json) carries the detections" 0 '"detections"'
python3 -c '
import json, sys
d = json.loads(sys.stdin.read())["detections"]
tp = [s for s in d["services"] if s["service"] == "tplink"][0]
ok = (d["date"], d["flows"], d["matched"], d["scanners"], d["device_rule"], d["d"]) == \
     ("2026-03-01", 7, 5, 0, "haystack", 0.4) and \
     (tp["lines"], tp["flows"], tp["bytes_up"], tp["bytes_down"], tp["bytes_per_port"]) == \
     (2, 3, 1700, 4000, {"443": 5700}) and abs(tp["down_up"] - 4000 / 1700) < 1e-9
sys.exit(0 if ok else 1)' <<<"$out" && ok "json: the day's counts and TP-Link's lines, traffic, ratio, ports" ||
  bad "json detections: $out"

# The pseudonym is what docs/detect.md says: h: + the first 16 hex digits of
# HMAC-SHA256(key, family byte 4 + the address in 16 bytes), computed here independently.
want=$(python3 -c '
import hmac, hashlib, ipaddress, sys
a = ipaddress.ip_address(sys.argv[2]).packed.ljust(16, b"\0")
print("h:" + hmac.new(sys.argv[1].encode(), b"\x04" + a, hashlib.sha256).hexdigest()[:16])' "$key" 10.0.0.2)
same "household A's pseudonym is HMAC-SHA256 as documented" \
  "$(sqlite3 "$db" "SELECT subscriber FROM detections WHERE service='aws' AND period='day'")" "$want"

# stdin, and the same key gives the same pseudonyms
a1=$(sqlite3 "$db" "SELECT subscriber FROM detections WHERE service='aws' AND period='day'")
run --db "$db" detect - <"$work/flows.csv"
check "stdin (-)" 0 "7 flows"
same "the same key, the same pseudonym" \
  "$(sqlite3 "$db" "SELECT subscriber FROM detections WHERE service='aws' AND period='day'")" "$a1"
same "a rerun replaces the day: still 3 daily rows" \
  "$(sqlite3 "$db" "SELECT count(*) FROM detections WHERE period='day'")" 3

# --- the sweep: TP-Link N=2: threshold 1 for D < 1.0, 2 at D = 1.0 (only A reached both) ---
out=$("$IOTMAP" --db "$db" detect --no-store --sweep 0.1:1.0:0.1 "$work/flows.csv" 2>/dev/null)
same "sweep: TP-Link 2 lines for D 0.1..0.9" "$(grep -cE '^0\.[1-9],2026-03-01,tplink,manufacturer,haystack,2$' <<<"$out")" 9
same "sweep: TP-Link 1 line at D = 1" "$(grep -c '^1,2026-03-01,tplink,manufacturer,haystack,1$' <<<"$out")" 1
same "sweep: AWS 1 line at every D" "$(grep -c ',aws,backend,backend,1$' <<<"$out")" 10
same "sweep: nothing for Samsung at any D (no primary domain)" "$(grep -c samsung <<<"$out")" 0

# --- Guo & Heidemann: 2 of 2 names for TP-Link ---
out=$("$IOTMAP" --db "$db" detect --no-store --rule guo-heidemann "$work/flows.csv" 2>/dev/null)
same "guo-heidemann: TP-Link 1 line (2/3 of 2 rounds up to 2)" "$(grep tplink <<<"$out")" \
  "2026-03-01,tplink,manufacturer,guo-heidemann,1"

# --- bad lines, a day without a hitlist ---
{ head -2 "$work/flows.csv"; echo "2026-03-01 10:00:01,x,1,10.0.0.300,198.51.100.10,1,8883,TCP"
  echo "2026-03-02 10:00:01,x,1,10.0.0.7,198.51.100.10,1,8883,TCP,.,0,0,1,1,0,0"; } >"$work/bad.csv"
run --db "$db" detect --no-store "$work/bad.csv"
check "a bad line: exit 7, named file:line" 7 "bad.csv:3: no source or destination address"
has "a day without a hitlist is named" "no hitlist stored for 2026-03-02"
run --db "$db" detect --no-store --date 2026-03-02 "$work/flows.csv"
check "no flow met a stored hitlist: exit 1" 1 "7 flows outside --date skipped"

# --- Zeek JSON ---
printf '%s\n' '{"ts":1772359201.2,"id.orig_h":"10.0.3.3","id.orig_p":40000,"id.resp_h":"198.51.100.10","id.resp_p":8883,"proto":"tcp","orig_bytes":5,"resp_bytes":6}' >"$work/conn.log"
run --db "$db" detect --no-store "$work/conn.log"
check "Zeek JSON conn.log" 0 "2026-03-01,aws,backend,backend,1"

# --- daily's detect stage: [detect] flows_dir/D/ ---
run --db "$db" daily --date 2026-03-01 --skip classify,export --out "$work/out"
check "daily without flows_dir: the detect stage is off and says why" 0 \
  "^detect +off .*no flows configured \(\[detect\] flows_dir is empty\)"
mkdir -p "$work/flows/2026-03-01"
printf '[detect]\nflows_dir = "%s"\n' "$work/flows" >"$work/flows.toml"
run --config "$work/flows.toml" --db "$db" daily --date 2026-03-02 --skip classify,export --out "$work/out"
check "daily with no file for the day: off, naming the directory" 0 "^detect +off .*no flow files in $work/flows/2026-03-02"
cp "$work/flows.csv" "$work/flows/2026-03-01/a.csv"
python3 "$SRC/tests/cli/flows_to_ipfix.py" "$work/flows.csv" ipfix "$work/flows/2026-03-01/b.ipfix"
sqlite3 "$db" "DELETE FROM detections; DELETE FROM detection_days"
run --config "$work/flows.toml" --db "$db" daily --date 2026-03-01 --skip classify,export --out "$work/out"
check "daily runs detect on the day's files, before the report" 0 "^detect +ok "
has "the stage's command names both files, sorted" "--- detect: iotmap detect --date 2026-03-01 $work/flows/2026-03-01/a.csv $work/flows/2026-03-01/b.ipfix"
same "daily's detect stored the day (both files: 14 flows)" \
  "$(sqlite3 "$db" "SELECT flows || ' ' || matched FROM detection_days WHERE date = '2026-03-01'")" "14 10"
grep -q 'id="detections-chart"' "$work/out/footprint-2026-03-01.html" &&
  ok "daily's report has the detection section" || bad "no detection section in daily's report"

# --- IPFIX: a file, and the live collector over UDP (IPFIX and NetFlow v9) ---
# flows_to_ipfix.py encodes flows.csv's records from the RFCs as softflowd exports them; each
# form must give the CSV's lines per service and the same stored rows.
rows() { sqlite3 "$db" "SELECT period, subscriber, service, level, rule, matched, n, domains, lines
                        FROM detections ORDER BY period, subscriber, service"; }
want=$("$IOTMAP" --db "$db" detect "$work/flows.csv" 2>/dev/null)
want_rows=$(rows)
python3 "$SRC/tests/cli/flows_to_ipfix.py" "$work/flows.csv" ipfix "$work/flows.ipfix"
got=$("$IOTMAP" --db "$db" detect "$work/flows.ipfix" 2>"$work/ipfix.err"); rc=$?
same "an IPFIX file, told by its first bytes: exit 0" "$rc" 0
same "the IPFIX file: the CSV's lines per service" "$got" "$want"
same "the IPFIX file: the CSV's stored detections" "$(rows)" "$want_rows"
grep -q "7 flows, 5 matched" "$work/ipfix.err" && ok "the IPFIX file: 7 flows" || bad "$(cat "$work/ipfix.err")"
run --db "$db" detect --no-store --format ipfix - <"$work/flows.ipfix"
check "IPFIX on standard input" 0 "7 flows, 5 matched"
{ cat "$work/flows.ipfix"; head -c 100 "$work/flows.ipfix"; } >"$work/cut.ipfix"
run --db "$db" detect --no-store "$work/cut.ipfix"
check "an IPFIX file cut short in its second message: exit 7, named" 7 \
  "cut.ipfix: after record 8: IPFIX Message length mismatch .*the rest of the input is not read"
has "the flows before the damage are kept" "7 flows, 5 matched"
run --db "$db" detect --no-store --format ipfix "$work/flows.csv"
check "--format ipfix on a CSV: named; no flow read is exit 1" 1 "flows.csv: after record 0: Illegal IPFIX Message version"

run --db "$db" detect --protocol ipfix "$work/flows.csv"
check "--protocol without --listen: usage" 2 "--protocol goes with --listen"
run --db "$db" detect --listen 127.0.0.1 --no-store
check "--listen without a port: usage" 2 "--listen wants ADDR:PORT"
run --db "$db" detect --listen localhost:4739 --no-store
check "--listen with a name: usage" 2 "not an IP address"
run --db "$db" detect --listen 127.0.0.1:4739 "$work/flows.csv"
check "--listen and flow files: usage" 2 "name no flow files"
run --db "$db" detect --listen 127.0.0.1:4739 --protocol sflow
check "--protocol sflow: usage" 2 "ipfix or netflow9"
run --db "$db" detect --listen 127.0.0.1:4739 --duration 0
check "--duration 0: usage" 2 "--duration"
port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A port another socket holds cannot be bound: named, exit 1, before anything is collected.
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
print("bound", flush=True); time.sleep(30)' "$port" >"$work/holder.log" &
holder=$!
wait_for "$work/holder.log" bound
run --db "$db" detect --no-store --listen "127.0.0.1:$port" --duration 1
check "a port that cannot be bound: exit 1, named" 1 "cannot listen on 127.0.0.1:$port"
kill "$holder"
wait "$holder" 2>/dev/null
# listen PROTOCOL SENDER-KIND [--duration S]: collects in the background, sends flows.csv's
# records, waits for the end (the duration, or SIGTERM, once it read them all, when none is given).
listen() {
  local protocol=$1 kind=$2
  shift 2
  "$IOTMAP" --db "$db" detect --listen "127.0.0.1:$port" --protocol "$protocol" "$@" \
    >"$work/listen.out" 2>"$work/listen.err" &
  local pid=$!
  wait_for "$work/listen.err" "listening on UDP" || bad "$protocol: the collector did not start: $(cat "$work/listen.err")"
  python3 "$SRC/tests/cli/flows_to_ipfix.py" "$work/flows.csv" "$kind" "127.0.0.1:$port"
  if [ $# -eq 0 ]; then
    udp_read_all "$port" || bad "$protocol: the collector left datagrams unread"
    kill -TERM "$pid"
  fi
  wait "$pid"
  rc=$?
}
listen ipfix ipfix-udp --duration 8
same "live IPFIX: exit 0 after --duration" "$rc" 0
same "live IPFIX: the CSV's lines per service" "$(cat "$work/listen.out")" "$want"
same "live IPFIX: the CSV's stored detections" "$(rows)" "$want_rows"
grep -q "collected 7 flow records from 127.0.0.1:$port (ipfix)" "$work/listen.err" &&
  ok "live IPFIX: 7 records collected" || bad "live IPFIX: $(cat "$work/listen.err")"
listen netflow9 netflow9-udp
same "live NetFlow v9, ended by SIGTERM: exit 0" "$rc" 0
same "live NetFlow v9: the CSV's lines per service" "$(cat "$work/listen.out")" "$want"
same "live NetFlow v9: the CSV's stored detections" "$(rows)" "$want_rows"
grep -q "collected 7 flow records from 127.0.0.1:$port (netflow9)" "$work/listen.err" &&
  ok "live NetFlow v9: 7 records collected" || bad "live NetFlow v9: $(cat "$work/listen.err")"

# --- prefixes instead of hashes ---
printf '[detect]\nsubscribers = "prefix"\n' >"$work/prefix.toml"
unset IOTMAP_DETECT_KEY
run --config "$work/prefix.toml" --db "$db" detect "$work/flows.csv"
check "prefix mode needs no key" 0 "tplink"
same "prefix mode: A and D are one /24 row standing for 2 lines" \
  "$(sqlite3 "$db" "SELECT subscriber || ' ' || lines FROM detections WHERE service='tplink' AND period='day'")" \
  "10.0.0.0/24 2"

# --- no clear subscriber address anywhere ---
export IOTMAP_DETECT_KEY=$key
"$IOTMAP" --db "$db" detect "$work/flows.csv" >"$work/out.csv" 2>"$work/out.err"
"$IOTMAP" --db "$db" export detections --date 2026-03-01 --period all >"$work/export.csv" 2>&1
"$IOTMAP" --db "$db" export detections --date 2026-03-01 --period all --format jsonl >"$work/export.jsonl" 2>&1
sqlite3 "$db" .dump >"$work/dump.sql"
leaks=0
for f in "$db"* "$work/dump.sql" "$work/out.csv" "$work/out.err" "$work/export.csv" "$work/export.jsonl"; do
  for a in 10.0.0.2 10.0.0.9 10.0.0.3 10.0.1.4 10.0.2.5; do
    if grep -aqF "$a" "$f"; then leaks=$((leaks + 1)); echo "  $a in $f"; fi
  done
done
same "no subscriber address in the database (and its WAL), its dump, stdout, stderr or the exports" "$leaks" 0
same "the database holds detections to search in" \
  "$(sqlite3 "$db" "SELECT count(*) > 0 FROM detections WHERE subscriber LIKE 'h:%'")" 1

# --- a catalogue pattern is one of the N domains (docs/detect.md) ---
# `a1.numbered.example` with digit_wildcard stands for a<n>: passive DNS found six of them.
# With openapi the service has N = 2 domains, not 7 names: threshold max(1, floor(0.8)) = 1.
db2=$work/pattern.db
cat >"$work/numbered.toml" <<'TOML'
[[service]]
id = "numbered"
name = "Numbered"
level = "manufacturer"
digit_wildcard = true
docs = ["https://numbered.example/"]
domains = [{ name = "a1.numbered.example" }, { name = "openapi.numbered.example" }]
TOML
printf '[catalogue]\nfile = "%s"\n' "$work/numbered.toml" >"$work/numbered-config.toml"
"$IOTMAP" --db "$db2" db migrate >/dev/null 2>&1
rows_sql=""
for i in 1 2 3 4 5 6; do
  rows_sql+="('2026-03-01','numbered','a$i.numbered.example.','198.51.100.7$i',443,'https','dedicated','manufacturer','primary','pdns'),"
done
sqlite3 "$db2" "INSERT INTO hitlist (date, provider, domain, ip, port, protocol, infrastructure,
  level, domain_class, sources) VALUES $rows_sql
  ('2026-03-01','numbered','openapi.numbered.example.','198.51.100.80',443,'https','dedicated','manufacturer','primary','active_dns')"
# F 10.0.3.2: a2, a3 and openapi; G 10.0.3.3: a4 alone.
cat >"$work/numbered.csv" <<CSV
$hdr
2026-03-01 10:00:01,2026-03-01 10:00:02,1.0,10.0.3.2,198.51.100.72,40001,443,TCP,.AP.SF,0,0,10,1500,0,0
2026-03-01 10:01:01,2026-03-01 10:01:02,1.0,10.0.3.2,198.51.100.73,40002,443,TCP,.AP.SF,0,0,10,1500,0,0
2026-03-01 10:02:01,2026-03-01 10:02:02,1.0,10.0.3.2,198.51.100.80,40003,443,TCP,.AP.SF,0,0,10,1500,0,0
2026-03-01 10:03:01,2026-03-01 10:03:02,1.0,10.0.3.3,198.51.100.74,40004,443,TCP,.AP.SF,0,0,10,1500,0,0
CSV
run --config "$work/numbered-config.toml" --db "$db2" detect "$work/numbered.csv"
check "a pattern's servers: detect exits 0" 0 "numbered"
same "both lines have the service (G's one server meets threshold 1)" \
  "$(printf '%s\n' "$out" | grep '^2026-03-01,numbered')" "2026-03-01,numbered,manufacturer,haystack,2"
same "N counts the pattern once: N|matched|threshold per line" \
  "$(sqlite3 "$db2" "SELECT n || '|' || matched || '|' || threshold || '|' || domains FROM detections
     WHERE period = 'day' ORDER BY matched DESC")" \
  '2|2|1|["a#.numbered.example.","openapi.numbered.example."]
2|1|1|["a#.numbered.example."]'
rules=$("$IOTMAP" --config "$work/numbered-config.toml" --db "$db2" export hitlist --date 2026-03-01 \
  --format rules 2>/dev/null)
same "export hitlist --format rules: version 2, N = 2, threshold 1, each name with its entry" \
  "$(printf '%s' "$rules" | python3 -c 'import json, sys
d = json.load(sys.stdin); p = d["providers"][0]
print(d.get("version"), p["N"], p["threshold"], len(p["domains"]),
      sorted({x["entry"] for x in p["domains"]}))')" \
  "2 2 1 7 ['a#.numbered.example.', 'openapi.numbered.example.']"

ops_summary detect_test
