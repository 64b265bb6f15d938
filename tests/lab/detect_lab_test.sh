#!/usr/bin/env bash
# `iotmap detect` end to end with real flows in the lab (tests/lab/up first):
#   1. resolve, scan and classify today in the lab: the hitlist the detector loads;
#   2. inside the namespace, simulated households (one source address each, on the namespace's
#      lo) run real clients against the lab's provider endpoints: mosquitto_pub over TLS to
#      AWS, curl and an AMQP 0-9-1 handshake over TLS to Azure, mosquitto_pub to Alibaba; a
#      background-only source talks to the shared CDN address; a scanner source connects to
#      every dedicated IPv4 endpoint of the hitlist;
#   3. tcpdump captures the namespace's lo; softflowd turns the capture into NetFlow (v5) for
#      nfcapd; `nfdump -o csv` turns the collected flows into CSV; `iotmap detect` reads it;
#   4. the detections against the ground truth: every planted service found for its household,
#      nothing for the background source and the scanner (counted as one scanner), and the
#      sweep's counts as computed by hand (backend providers do not depend on D);
#   5. the same capture through softflowd as IPFIX (-v 10) and NetFlow v9 (-v 9) into iotmap's
#      own collector (`detect --listen`), and as an IPFIX file (softflowd's datagrams saved one
#      after another): each must store exactly the detections of the nfdump CSV path.
#   bash tests/lab/detect_lab_test.sh IOTMAP_BINARY SOURCE_DIR
# Needs nfdump, softflowd, mosquitto-clients, curl (scripts/install-deps.sh test).
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" detect_lab_test "$@" # IOTMAP, SRC, work; the lab is up
today=$(date -u +%F)
db=$work/lab.db
collector_port=19995
listen_port=19996
households=(10.77.1.1 10.77.2.1 10.77.3.1 10.77.4.1 10.77.9.9)
marker=10.77.250.250 # sends one datagram after all traffic: when tcpdump wrote it, it wrote all
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for a in "${households[@]}" $marker; do in_lab ip addr del "$a/32" dev lo 2>/dev/null; done
  [ -n "${IOTMAP_DETECT_LAB_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
for tool in nfcapd nfdump softflowd tcpdump mosquitto_pub curl; do
  command -v "$tool" >/dev/null || { bad "$tool is not installed (scripts/install-deps.sh test)"; ops_summary detect_lab_test; exit 1; }
done

# Prefixes, so that the test can tell households apart (each is in its own /24); a scanner
# threshold the lab's few addresses can reach.
ops_lab_config '[detect]
subscribers = "prefix"
scanner_threshold = 6'

# --- 1. the hitlist ---
out=$(lab_iotmap resolve --once 2>&1); rc=$?
check "resolve" 0 "rows"
out=$(lab_iotmap scan --resolutions "$today" 2>&1); rc=$?
check "scan of the day's resolutions" 0 "connections"
out=$(lab_iotmap classify --date "$today" 2>&1); rc=$?
check "classify $today" 0 "hitlist rows"
lab_iotmap export hitlist --date "$today" --format csv --output "$work/hitlist.csv" 2>/dev/null
for ep in "aws,.*,198.51.100.10,8883,mqtt,dedicated" "microsoft,.*,203.0.113.70,443,https,dedicated" \
  "microsoft,.*,203.0.113.70,5671,amqp,dedicated" "alibaba,.*,198.51.100.130,1883,mqtt,dedicated"; do
  grep -qE "^$today,$ep," "$work/hitlist.csv" && ok "hitlist has $ep" || bad "hitlist lacks $ep"
done
scan_targets=$(awk -F, 'NR > 1 && $4 !~ /:/ {print $4 " " $5}' "$work/hitlist.csv" | sort -u)
same "the scanner has at least 6 dedicated IPv4 addresses to reach" \
  "$([ "$(cut -d' ' -f1 <<<"$scan_targets" | sort -u | wc -l)" -ge 6 ] && echo yes)" yes

# --- 2. the capture: tcpdump on the namespace's lo while the households run ---
for a in "${households[@]}" $marker; do in_lab ip addr add "$a/32" dev lo; done
mkdir -p "$work/nf"
# `ip netns exec` execs the program: $! is tcpdump itself, so it can be stopped by pid.
ip netns exec "$LAB_NS" tcpdump -i lo -U -n -w "$work/raw.pcap" 'net 10.77.0.0/16' \
  >"$work/tcpdump.log" 2>&1 &
pids+=($!)
wait_for "$work/tcpdump.log" listening && ok "tcpdump captures lo" || bad "tcpdump: $(cat "$work/tcpdump.log")"

# Ground truth: household 1 AWS; 2 Azure (HTTPS and AMQP); 3 AWS and Alibaba; 4 the CDN only.
in_lab mosquitto_pub -A 10.77.1.1 -h 198.51.100.10 -p 8883 --cafile "$LAB_CA" --insecure \
  -t lab/detect -m on -q 1 >"$work/h1.log" 2>&1
same "household 1: mosquitto_pub over TLS to AWS" "$?" 0
in_lab curl -s -o /dev/null --interface 10.77.2.1 --cacert "$LAB_CA" -k https://203.0.113.70/
same "household 2: curl to Azure" "$?" 0
in_lab "$LAB_PYTHON" - 10.77.2.1 203.0.113.70 5671 "$LAB_CA" <<'PY'
import socket, ssl, sys
src, host, port, ca = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
with socket.create_connection((host, port), timeout=5, source_address=(src, 0)) as raw:
    with ctx.wrap_socket(raw) as s:
        s.sendall(b"AMQP\x00\x00\x09\x01")  # AMQP 0-9-1 protocol header
        frame = s.recv(7)
        sys.exit(0 if frame[:1] == b"\x01" else 1)  # a method frame: Connection.Start
PY
same "household 2: an AMQP 0-9-1 handshake over TLS to Azure" "$?" 0
in_lab mosquitto_pub -A 10.77.3.1 -h 198.51.100.10 -p 8883 --cafile "$LAB_CA" --insecure \
  -t lab/detect -m on >"$work/h3.log" 2>&1
same "household 3: mosquitto_pub over TLS to AWS" "$?" 0
in_lab mosquitto_pub -A 10.77.3.1 -h 198.51.100.130 -p 1883 -t lab/detect -m on >>"$work/h3.log" 2>&1
same "household 3: mosquitto_pub to Alibaba" "$?" 0
in_lab curl -s -o /dev/null --interface 10.77.4.1 --cacert "$LAB_CA" -k https://203.0.113.200/
same "background source: curl to the shared CDN address" "$?" 0
echo "$scan_targets" >"$work/scan_targets.txt"
in_lab "$LAB_PYTHON" - 10.77.9.9 "$work/scan_targets.txt" <<'PY' 2>/dev/null
import socket, sys
for line in open(sys.argv[2]):
    host, port = line.split()
    try:
        socket.create_connection((host, int(port)), timeout=2, source_address=(sys.argv[1], 0)).close()
    except OSError:
        pass
PY
ok "scanner source: one connection to every dedicated IPv4 endpoint"

# tcpdump is stopped once it wrote the marker's datagram, sent after all the traffic.
in_lab "$LAB_PYTHON" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
s.sendto(b"end of the households traffic", (sys.argv[1], 9))' $marker
pcap_stop "${pids[0]}" "$work/raw.pcap" "$work/capture.pcap" $marker &&
  ok "tcpdump wrote all the traffic (the marker after it)" || bad "tcpdump did not write the marker"
packets=$(tcpdump -r "$work/capture.pcap" -n 2>/dev/null | wc -l)
[ "$packets" -ge 20 ] && ok "$packets packets captured" || bad "only $packets packets captured"

# --- 3. the capture through an exporter into a collector ---
# softflowd reads the capture and exports NetFlow v5 to nfcapd inside the namespace. Not v9 or
# IPFIX: softflowd 1.1.0 stamps flows read from a file with wrong times in those (a year
# ahead, measured), and each flow must fall on the day of its hitlist.
ip netns exec "$LAB_NS" nfcapd -w "$work/nf" -b 127.0.0.1 -p $collector_port -t 3600 \
  >"$work/nfcapd.log" 2>&1 &
pids+=($!)
for _ in $(seq 300); do [ -n "$(udp_queue $collector_port "$LAB_NS")" ] && break; sleep 0.1; done
[ -n "$(udp_queue $collector_port "$LAB_NS")" ] && ok "nfcapd listens" || bad "nfcapd: $(cat "$work/nfcapd.log")"
in_lab softflowd -d -r "$work/capture.pcap" -v 5 -n 127.0.0.1:$collector_port >"$work/softflowd.log" 2>&1
same "softflowd exported the capture" "$?" 0
udp_read_all $collector_port "$LAB_NS" && ok "nfcapd read every datagram" || bad "nfcapd left datagrams unread"
kill "${pids[1]}" 2>/dev/null
wait "${pids[1]}" 2>/dev/null
TZ=UTC nfdump -R "$work/nf" -o csv >"$work/flows.csv" 2>"$work/nfdump.err"
same "nfdump turned the collected flows into CSV" "$?" 0
flows=$(grep -cE '^[0-9]{4}-' "$work/flows.csv")
[ "$flows" -ge 10 ] && ok "$flows flow records" || bad "only $flows flow records: $(head -5 "$work/flows.csv")"
same "every flow is of today" "$(grep -E '^[0-9]{4}-' "$work/flows.csv" | grep -vc "^$today ")" 0

# --- 4. detect, against the ground truth ---
out=$(IOTMAP_DETECT_KEY= lab_iotmap detect --date "$today" "$work/flows.csv" 2>&1); rc=$?
check "iotmap detect on the nfdump CSV" 0 "scanner source-days left out"
has "one scanner left out" " 1 scanner source-days left out"
got=$(sqlite3 "$db" "SELECT subscriber || ' ' || service FROM detections WHERE date = '$today'
                     AND period = 'day' ORDER BY subscriber, service")
same "detections per household are the ground truth" "$got" \
"10.77.1.0/24 aws
10.77.2.0/24 microsoft
10.77.3.0/24 alibaba
10.77.3.0/24 aws"
same "the day's scanners stored" \
  "$(sqlite3 "$db" "SELECT scanners FROM detection_days WHERE date = '$today'")" 1
same "Azure's traffic on 443 and 5671" \
  "$(sqlite3 "$db" "SELECT lines || ' ' || (json_extract(ports, '\$.\"443\"') > 0) || ' ' ||
                    (json_extract(ports, '\$.\"5671\"') > 0) || ' ' || (bytes_down > 0)
                    FROM detection_traffic WHERE date = '$today' AND service = 'microsoft'")" "1 1 1 1"
out=$(lab_iotmap report footprint --date "$today" --format md 2>&1); rc=$?
check "the daily report has the detection section" 0 "## Detections in flow records, $today"
has "report: AWS 2 lines" '^\| aws \| backend \| backend \| 2 \|'
out=$(lab_iotmap detect --no-store --date "$today" --sweep 0.1:1.0:0.1 "$work/flows.csv" 2>/dev/null)
same "sweep: AWS 2 lines at each of the 10 D" "$(grep -cE "^(0\.[1-9]|1),$today,aws,backend,backend,2\$" <<<"$out")" 10
same "sweep: Azure 1 line at each D" "$(grep -cE ",$today,microsoft,backend,backend,1\$" <<<"$out")" 10
same "sweep: Alibaba 1 line at each D" "$(grep -cE ",$today,alibaba,backend,backend,1\$" <<<"$out")" 10
same "sweep: no other row" "$(tail -n +2 <<<"$out" | wc -l)" 30

# --- 5. IPFIX and NetFlow v9 into iotmap's own collector, and an IPFIX file ---
# softflowd -a stamps flows read from a capture with the capture's times (docs/detect.md).
rows() { sqlite3 "$db" "SELECT period, subscriber, service, level, rule, matched, n, domains, lines
                        FROM detections WHERE date = '$today' ORDER BY period, subscriber, service"; }
out=$(IOTMAP_DETECT_KEY= lab_iotmap detect --date "$today" "$work/flows.csv" 2>&1); rc=$?
check "the nfdump CSV path again, for the comparison" 0 "scanner source-days left out"
csv_rows=$(rows)
csv_lines=$(grep -E "^$today," <<<"$out")
[ "$(wc -l <<<"$csv_rows")" -ge 8 ] && ok "the CSV path stored $(wc -l <<<"$csv_rows") rows (day and hours)" ||
  bad "the CSV path stored too little: $csv_rows"
# collect PROTOCOL VERSION: iotmap's collector in the namespace, softflowd sending the capture
# to it, then SIGTERM (--duration is the safety net).
collect() {
  ip netns exec "$LAB_NS" "$IOTMAP" --config "$work/lab.toml" --db "$db" detect --date "$today" \
    --listen "127.0.0.1:$listen_port" --protocol "$1" --duration 60 >"$work/$1.out" 2>"$work/$1.err" &
  local pid=$!
  pids+=("$pid")
  wait_for "$work/$1.err" "listening on UDP" && ok "$1: iotmap listens" || bad "$1: $(cat "$work/$1.err")"
  in_lab softflowd -d -a -r "$work/capture.pcap" -v "$2" -n "127.0.0.1:$listen_port" \
    >"$work/softflowd-$1.log" 2>&1
  same "$1: softflowd -v $2 exported the capture" "$?" 0
  udp_read_all $listen_port "$LAB_NS" || bad "$1: the collector left datagrams unread"
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  rc=$?
}
for run in "ipfix 10" "netflow9 9"; do
  read -r protocol version <<<"$run"
  collect "$protocol" "$version"
  same "$protocol: the collector ends cleanly on SIGTERM" "$rc" 0
  records=$(grep -oE 'collected [0-9]+ flow records' "$work/$protocol.err" | grep -oE '[0-9]+')
  [ "${records:-0}" -ge 10 ] && ok "$protocol: $records flow records collected" ||
    bad "$protocol: $(cat "$work/$protocol.err")"
  same "$protocol: the nfdump CSV path's lines per service" "$(grep -E "^$today," "$work/$protocol.out")" "$csv_lines"
  same "$protocol: the nfdump CSV path's stored detections, day and hours" "$(rows)" "$csv_rows"
done

# The IPFIX file: softflowd's datagrams, each a whole IPFIX message, saved one after another,
# until the test's own datagram after softflowd's last (60 s without a datagram: the saver fails).
rm -f "$work/ipfix.ready"
in_lab "$LAB_PYTHON" - "$listen_port" "$work/capture.ipfix" "$work/ipfix.ready" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(60)
open(sys.argv[3], "w").close()
with open(sys.argv[2], "wb") as out:
    while (d := s.recv(65535)) != b"end of export":
        out.write(d)
PY
saver=$!
for _ in $(seq 1 300); do [ -f "$work/ipfix.ready" ] && break; sleep 0.1; done
[ -f "$work/ipfix.ready" ] || bad "the IPFIX saver did not start"
in_lab softflowd -d -a -r "$work/capture.pcap" -v 10 -n "127.0.0.1:$listen_port" >"$work/softflowd-file.log" 2>&1
in_lab "$LAB_PYTHON" -c 'import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"end of export", ("127.0.0.1", int(sys.argv[1])))' $listen_port
wait "$saver"
same "the IPFIX saver got softflowd's messages and the end" "$?" 0
out=$(IOTMAP_DETECT_KEY= lab_iotmap detect --date "$today" "$work/capture.ipfix" 2>&1); rc=$?
check "an IPFIX file of softflowd's messages" 0 "scanner source-days left out"
same "IPFIX file: the nfdump CSV path's lines per service" "$(grep -E "^$today," <<<"$out")" "$csv_lines"
same "IPFIX file: the nfdump CSV path's stored detections, day and hours" "$(rows)" "$csv_rows"

ops_summary detect_lab_test
