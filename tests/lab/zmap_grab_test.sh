#!/usr/bin/env bash
# The ZMap pipeline in the lab (issue 16 item 4, docs/zmap.md): Debian's zmap, inside the lab's
# namespace and only over the lab's two endpoint /24s (an explicit allowlist), finds the
# MQTT-over-TLS servers on 8883 and feeds them on stdin to `iotmap scan - --ports 8883
# --grab-only`; the certificates are stored and attribute the addresses to providers.
#   1. `iotmap export blocklist` writes the scan's blocklist (the blocklist file with the lab's
#      "blocked" address and 198.51.100.11, the opt-out list with 198.51.100.12) in zmap's
#      format, and zmap reads it with -b.
#   2. zmap -w (198.51.100.0/24, 203.0.113.0/24 and a camera's TLS server, lab.json
#      faults.device_tls, started here with a self-signed Hikvision certificate) | iotmap scan -:
#      tcpdump on the namespace's lo
#      counts the SYNs: zmap's (its own source MAC) one per allowed address and none to the three
#      blocklisted ones, spread at the rate the export states (the scan's cap, 200/s here);
#      iotmap's (the kernel's, MAC 0) exactly one per address zmap found.
#   3. The store: one cert_only observation per found address with the leaf lab.json gives it.
#   4. iotmap's own blocklist holds on stdin: zmap without iotmap's blocklist (an empty -b, the
#      mistake the export is for) over 198.51.100.8/29 and .40/30, csv output with RSTs
#      (success 0) kept: iotmap connects to .10, .13 and .42 only, not to the blocklisted .11 and
#      the opted-out .12 (counted in the run as blocked 2, optout 1) nor to the closed .40, .41.
#   5. classify: per provider the addresses lab.json's endpoints give (computed here in Python
#      from lab.json, not from the tool), every one from the "certificates" source; the camera
#      under none.
#   6. The manufacturer rule over the grabbed certificates (certs/devices.h, as for imported
#      datasets): one device_certificates row, the camera's (Hikvision, self-signed, source scan,
#      the pipeline's run), none for the brokers; `export devices` lists it.
# zmap sends raw frames on the namespace's lo; the kernel accepts them only with accept_local
# (the frames carry a local source address and no route), set for the test and restored.
#   bash tests/lab/zmap_grab_test.sh IOTMAP_BINARY SOURCE_DIR
# IOTMAP_ZMAP_KEEP=1 keeps the scratch directory (database, captures, zmap's output and log).
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" zmap_grab_test "$@" # IOTMAP, SRC, work; the lab is up
ZMAP=${IOTMAP_ZMAP:-/usr/sbin/zmap}
today=$(date -u +%F)
db=$work/lab.db
capture= device_server=
accept_local=$(in_lab sysctl -n net.ipv4.conf.lo.accept_local)
cleanup() {
  [ -n "$capture" ] && kill "$capture" 2>/dev/null && wait "$capture" 2>/dev/null
  [ -n "$device_server" ] && kill "$device_server" 2>/dev/null && wait "$device_server" 2>/dev/null
  in_lab sysctl -qw "net.ipv4.conf.lo.accept_local=$accept_local"
  [ -n "${IOTMAP_ZMAP_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
for tool in "$ZMAP" tcpdump sqlite3; do
  command -v "$tool" >/dev/null || { bad "$tool is not installed (scripts/install-deps.sh test)"; ops_summary zmap_grab_test; exit 1; }
done

# zmap writes raw frames to an interface: it runs only while lo is the namespace's one interface,
# so that no frame can leave it, whatever the flags.
links=$(in_lab ip -o link | awk -F': ' '{print $2}' | tr '\n' ' ')
if [ "$links" != "lo " ]; then
  bad "the namespace $LAB_NS has interfaces besides lo ($links): zmap not run"
  ops_summary zmap_grab_test
  exit 1
fi
prober=$(lab_json 'd["faults"]["prober"]["addresses"][0]')
zmap_mac=02:00:00:00:00:01 # zmap's frames; the kernel's on lo carry 00:00:00:00:00:00
# zmap_lab ALLOWLIST BLOCKLIST ARGS...: zmap on 8883 inside the namespace, only over ALLOWLIST,
# from the lab's prober address, at $zmap_rate packets per second (the rate the export states,
# the scan's cap); what it finds on stdout, its log in
# $work/zmap.log. -G is lo's own MAC (the frames are for this host); zmap drops replies that
# carry its own source MAC, which on lo is also 0, so its frames get another one.
zmap_lab() {
  local allow=$1 block=$2
  shift 2
  in_lab "$ZMAP" -p 8883 -i lo -S "$prober" -G 00:00:00:00:00:00 --source-mac "$zmap_mac" \
    -w "$allow" -b "$block" -r "$zmap_rate" -c 1 -q --disable-syslog -l "$work/zmap.log" "$@" \
    2>>"$work/zmap.err"
}
# start_capture FILE: tcpdump on the namespace's lo, the SYNs (no ACK) to port 8883 with MACs.
# `ip netns exec` execs it, so $! is tcpdump (in_lab, a function, would put a subshell between);
# --immediate-mode writes each packet at once, not when the capture block times out.
start_capture() {
  capture_file=$1
  ip netns exec "$LAB_NS" tcpdump -i lo --immediate-mode -s 128 -U -n -w "$1.raw" 'tcp dst port 8883 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' \
    >"$1.log" 2>&1 &
  capture=$!
  wait_for "$1.log" listening || bad "tcpdump did not start: $(cat "$1.log")"
}
# stop_capture: a SYN to $capture_marker (no scan's target) after all the traffic; once tcpdump
# wrote it, tcpdump is stopped and FILE is the capture without it (pcap_stop: tcpdump can write
# late on a loaded machine, and what it has not written when stopped is lost).
capture_marker=127.0.0.9
stop_capture() {
  in_lab "$LAB_PYTHON" -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], 8883), timeout=2).close()
except OSError:
    pass' $capture_marker
  pcap_stop "$capture" "$capture_file.raw" "$capture_file" $capture_marker ||
    bad "tcpdump did not write the capture's last SYN (to $capture_marker)"
  capture=
}
# syn_targets FILE MAC: the destination of each SYN in the capture from that source MAC, a line each
syn_targets() {
  tcpdump -r "$1" -n -e 2>/dev/null |
    awk -v mac="$2" '$2 == mac { for (i = 3; i <= NF; i++) if ($i ~ /\.8883:$/) { sub(/\.8883:$/, "", $i); print $i } }'
}
# syns FILE MAC [DST]: how many SYNs that MAC sent (to DST only, when given)
syns() { syn_targets "$1" "$2" | awk -v dst="${3:-}" 'dst == "" || $1 == dst' | wc -l; }
# most_syns FILE MAC: the most SYNs that MAC sent to one address
most_syns() { syn_targets "$1" "$2" | sort | uniq -c | sort -rn | awk 'NR == 1 {m = $1} END {print m + 0}'; }
run_count() { sqlite3 "$db" "SELECT json_extract(counts, '\$.$2') FROM runs WHERE id = $1"; }

# --- 1. the configuration, and its blocklist in zmap's format ---
OPS_SCAN_RATE=200 ops_lab_config
printf '198.51.100.11/32  # an MQTT-TLS server of the lab that must see no packet\n' >>"$work/blocklist.txt"
out=$(lab_iotmap optout add 198.51.100.12 --reason "lab opt-out" 2>&1); rc=$?
check "optout add 198.51.100.12" 0 "opted out 198.51.100.12/32"
out=$(lab_iotmap export blocklist --output "$work/zmap-blocklist.txt" 2>&1); rc=$?
check "export blocklist writes zmap's -b file" 0 "3 IPv4 prefixes for zmap -b; 1 IPv6 left out"
zmap_rate=$(grep -o 'at most -r [0-9.]*' "$work/zmap-blocklist.txt" | awk '{print $4}')
same "... its header states the scan's rate cap for zmap -r" "$zmap_rate" 200
same "... with the blocklist file's and the opt-out list's IPv4 prefixes" \
  "$(grep -v '^#' "$work/zmap-blocklist.txt" | awk '{print $1}' | sort | tr '\n' ' ')" \
  "192.0.2.203/32 198.51.100.11/32 198.51.100.12/32 "
# A camera on the lab's device_tls address: openssl s_server with a self-signed certificate
# whose subject O names Hikvision and whose CN is a model number (the manufacturer rule's device).
device=$(lab_json 'd["faults"]["device_tls"]["addresses"][0]')
device_cn=DS-2CD2143G0-I
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -keyout "$work/device.key" -out "$work/device.pem" \
  -subj "/C=CN/O=Hangzhou Hikvision Digital Technology Co., Ltd./CN=$device_cn" >/dev/null 2>&1
ip netns exec "$LAB_NS" openssl s_server -www -accept "$device:8883" -cert "$work/device.pem" -key "$work/device.key" \
  </dev/null >"$work/device.log" 2>&1 &
device_server=$!
wait_for "$work/device.log" ACCEPT && ok "a camera's TLS server on $device:8883" ||
  bad "openssl s_server did not start: $(cat "$work/device.log")"
printf '198.51.100.0/24\n203.0.113.0/24\n%s/32\n' "$device" >"$work/allowlist.txt"
in_lab sysctl -qw net.ipv4.conf.lo.accept_local=1

# What the pipeline must find, from lab.json alone: every IPv4 TLS server on 8883 (endpoints and
# TLS variants) but the blocklisted ones, each with its leaf's CN and its provider (a variant's
# is that of the endpoints that show the same certificate), and the camera, in address order.
"$LAB_PYTHON" - "$LAB_JSON" "$work/expected.json" "$device" "$device_cn" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
ids = d["expected_hitlist"]["catalogue_ids"]
blocked = {"198.51.100.11", "198.51.100.12", *d["faults"]["blocked"]["addresses"]}
servers = {}
for e in d["endpoints"]:
    if e["port"] == 8883 and e["tls"]:
        servers[e["address"]] = (e["certificates"]["no_sni"]["id"], ids[e["provider"]])
provider_of_cert = {cert: provider for cert, provider in servers.values()}
for v in d["tls_variants"].values():
    if isinstance(v, dict) and v["port"] == 8883:
        for a in v["addresses"]:
            servers[a] = (v["certificate"], provider_of_cert[v["certificate"]])
want = {a: {"cn": d["certificates"][cert]["subject_cn"], "provider": provider}
        for a, (cert, provider) in servers.items() if a not in blocked and ":" not in a}
want[sys.argv[3]] = {"cn": sys.argv[4], "provider": None}  # the camera: no provider
order = sorted(want, key=lambda a: tuple(map(int, a.split("."))))
json.dump({a: want[a] for a in order}, open(sys.argv[2], "w"))
PY
same "expectations from lab.json" "$?" 0

# --- 2. zmap | iotmap scan -, packets counted ---
start_capture "$work/pipeline.pcap"
out=$(zmap_lab "$work/allowlist.txt" "$work/zmap-blocklist.txt" | tee "$work/zmap.out" |
  lab_iotmap scan - --ports 8883 --grab-only 2>&1); rc=$?
stop_capture
grep -q "zmap: completed" "$work/zmap.log" && ok "zmap read iotmap's blocklist and completed" ||
  bad "zmap: $(tail -5 "$work/zmap.err" "$work/zmap.log")"
mapfile -t found < <(sort -V "$work/zmap.out")
same "zmap found the lab's IPv4 MQTT-TLS servers on 8883 but the blocklisted ones" "${found[*]}" \
  "$("$LAB_PYTHON" -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))))' "$work/expected.json")"
check "iotmap scan - read each address zmap found" 0 "run #1: ${#found[@]} targets, ${#found[@]} connections"
has "... and grabbed a certificate from each" "run #1: ${#found[@]} connections in .*: cert_only ${#found[@]}$"
same "zmap sent one SYN to every allowed address (the two /24s and the camera, 513 - 2 blocklisted)" \
  "$(syns "$work/pipeline.pcap" "$zmap_mac")" 511
same "... and at most one to any address" "$(most_syns "$work/pipeline.pcap" "$zmap_mac")" 1
span=$(tcpdump -r "$work/pipeline.pcap" -n -e -tt 2>/dev/null | awk -v mac="$zmap_mac" '$2 == mac {if (f == "") f = $1; l = $1} END {print l - f}')
awk -v s="$span" 'BEGIN {exit !(s >= 510 / 200 * 0.95)}' &&
  ok "zmap kept -r $zmap_rate: 511 SYNs over $span s (510 / 200 = 2.55 s)" ||
  bad "zmap sent 511 SYNs in $span s, faster than -r $zmap_rate"
for a in 198.51.100.11 198.51.100.12; do
  same "$a (blocklisted): no SYN from zmap" "$(syns "$work/pipeline.pcap" "$zmap_mac" "$a")" 0
  same "$a (blocklisted): no SYN from iotmap" "$(syns "$work/pipeline.pcap" 00:00:00:00:00:00 "$a")" 0
done
same "iotmap connected once to each found address, nowhere else" \
  "$(syns "$work/pipeline.pcap" 00:00:00:00:00:00) $(most_syns "$work/pipeline.pcap" 00:00:00:00:00:00)" \
  "${#found[@]} 1"

# --- 3. the certificates in the store ---
"$LAB_PYTHON" - "$work/expected.json" "$db" >"$work/store.check" 2>&1 <<'PY'
import json, sqlite3, sys
want = json.load(open(sys.argv[1]))
db = sqlite3.connect(sys.argv[2])
rows = db.execute("""SELECT o.ip, o.status, o.protocol, c.common_name FROM tls_observations o
                     LEFT JOIN certificates c ON c.sha256 = o.leaf_sha256 WHERE o.run_id = 1""").fetchall()
got = {ip: (status, proto, cn) for ip, status, proto, cn in rows}
for a, w in want.items():
    g = got.get(a)
    ok = g is not None and g[0] == "cert_only" and g[2] == w["cn"]
    print(("ok" if ok else "FAIL") + f" {a}: stored cert_only with leaf CN {w['cn']} (got {g})")
print(("ok" if len(rows) == len(want) else "FAIL") + f" one observation per address ({len(rows)})")
print(("ok" if all(r[2] in ("none", "", None) for r in rows) else "FAIL") +
      " --grab-only: no MQTT probe on any connection")
PY
tally "stored certificates" "$?" <"$work/store.check"

# --- 4. iotmap's blocklist on stdin, zmap's csv output with RSTs ---
printf '198.51.100.8/29\n198.51.100.40/30\n' >"$work/allow-b.txt"
: >"$work/empty-blocklist.txt"
start_capture "$work/stdin.pcap"
zmap_lab "$work/allow-b.txt" "$work/empty-blocklist.txt" \
  -O csv -f saddr,daddr,sport,success --output-filter="repeat = 0" >"$work/zmap-b.csv"
same "zmap csv output: the header and one row per answer (5 SYN-ACKs, 2 RSTs)" \
  "$(head -1 "$work/zmap-b.csv") $(tail -n +2 "$work/zmap-b.csv" | awk -F, '{n[$4]++} END {print n[1] + 0, n[0] + 0}')" \
  "saddr,daddr,sport,success 5 2"
out=$(lab_iotmap scan - --ports 8883 --grab-only <"$work/zmap-b.csv" 2>&1); rc=$?
stop_capture
check "scan - of zmap's csv: 5 targets (the RST rows left out)" 0 "run #2: 5 targets, 5 connections"
has "... 2 of them blocked" "run #2: 5 connections in .*: blocked 2, cert_only 3$"
same "... no line of the csv is reported bad" "$(grep -c skipped <<<"$out")" 0
same "... the run counts 2 blocked, 1 of them the opt-out, 0 bad lines" \
  "$(run_count 2 blocked) $(run_count 2 optout) $(run_count 2 bad_lines)" "2 1 0"
for a in 198.51.100.11 198.51.100.12; do
  same "$a: zmap (no blocklist) probed it" "$(syns "$work/stdin.pcap" "$zmap_mac" "$a")" 1
  same "$a: iotmap did not" "$(syns "$work/stdin.pcap" 00:00:00:00:00:00 "$a")" 0
done
for a in 198.51.100.40 198.51.100.41; do
  same "$a (RST, success 0): iotmap did not connect" "$(syns "$work/stdin.pcap" 00:00:00:00:00:00 "$a")" 0
done
same "iotmap connected to 198.51.100.10, .13 and .42 only" \
  "$(syn_targets "$work/stdin.pcap" 00:00:00:00:00:00 | sort | tr '\n' ' ')" \
  "198.51.100.10 198.51.100.13 198.51.100.42 "

# --- 5. provider attribution from the grabbed certificates ---
out=$(lab_iotmap classify --date "$today" 2>&1); rc=$?
check "classify $today" 0 "^classify $today .* 3 providers in the footprint"
"$IOTMAP" --config "$work/lab.toml" --db "$db" report footprint --date "$today" --format json \
  >"$work/footprint.json" 2>"$work/footprint.err"
same "report footprint --format json" "$?" 0
"$LAB_PYTHON" - "$work/expected.json" "$work/footprint.json" "$db" "$today" >"$work/footprint.check" 2>&1 <<'PY'
import json, sqlite3, sys
want = {a: w["provider"] for a, w in json.load(open(sys.argv[1])).items() if w["provider"]}
fp = {p["provider"]: p for p in json.load(open(sys.argv[2]))["providers"]}
db = sqlite3.connect(sys.argv[3])
per = {}
for a, p in want.items():
    per.setdefault(p, set()).add(a)
for p, addrs in sorted(per.items()):
    f = fp.get(p)
    got = f and (f["ipv4"], f["sources"]["ipv4"]["cert"], f["sources"]["ipv4"]["active_dns"])
    print(("ok" if got == (len(addrs), len(addrs), 0) else "FAIL") +
          f" {p}: {len(addrs)} IPv4 addresses, all from certificates (got ipv4, cert, dns = {got})")
print(("ok" if set(fp) == set(per) else "FAIL") + f" no other provider ({sorted(fp)})")
rows = dict(db.execute("SELECT ip, provider FROM ip_verdicts WHERE date = ?", (sys.argv[4],)))
print(("ok" if rows == want else "FAIL") + f" ip_verdicts: each address under its provider ({rows})")
PY
tally footprint "$?" <"$work/footprint.check"

# --- 6. the camera's certificate is a device certificate, the brokers' are not ---
same "device_certificates: the camera, Hikvision, self-signed, from the pipeline's scan" \
  "$(sqlite3 "$db" "SELECT group_concat(ip || ' ' || port || ' ' || manufacturer || ' ' || signer || ' ' || source || ' ' || run_id, '; ')
                    FROM device_certificates WHERE date = '$today'")" \
  "$device 8883 Hikvision self scan 1"
same "... counted in the run" "$(run_count 1 device_certificates)" 1
out=$("$IOTMAP" --config "$work/lab.toml" --db "$db" export devices --date "$today" 2>&1); rc=$?
check "export devices lists the camera" 0 "^$today,$device,8883,Hikvision,,self,scan,"
ops_summary zmap_grab_test
