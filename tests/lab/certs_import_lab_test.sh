#!/usr/bin/env bash
# Imported and grabbed certificates end to end in the lab (tests/lab/up first). Issue 16 item 6:
# data sets in each format are made from a scan of the lab's own endpoints, and what each import
# gives downstream is checked against expectations derived by hand from the certificates.
#   0. five TLS servers on 443 in the namespace: the lab's nginx on 198.51.100.40 (the
#      aws-us-east-1 certificate; no DNS name points there) and four openssl s_server of this
#      test: a camera's self-signed certificate (192.0.2.200), a camera certificate signed by
#      its maker's CA (192.0.2.201, the CA in the chain), a look-alike (192.0.2.202: O
#      "Hikvisionary Ltd", a SAN that only looks like an AWS name) and an AWS certificate of the
#      lab CA that expired months ago (198.51.100.42);
#   1. `scan --grab-only --output jsonl` grabs them (its own database): the two cameras are
#      device certificates (self, maker_ca; source scan), the others not;
#   2. the grabs become a ZGrab2 tls file, a Censys certificates + hosts pair and a Rapid7
#      Sonar certs + hosts pair (its day in the file name); each is imported into a database of
#      its own and must give the same: 5 records, 2 provider records of which 1 valid on its
#      day, 2 device records, the look-alike not kept; classify gives 198.51.100.40 to AWS by
#      certificates and 198.51.100.42 (expired) to no one; the footprint report counts one AWS
#      address and two Hikvision devices (one self-signed, one maker CA, both in AS64496);
#      export devices lists exactly the two cameras;
#   3. after the ZGrab2 import the default scan (no targets: what the daily job runs) connects
#      to 198.51.100.40, which only the import names, and not to the expired 198.51.100.42.
#   bash tests/lab/certs_import_lab_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" certs_import_lab_test "$@"  # IOTMAP, SRC, work
servers=()
cleanup() {
  local p
  for p in "${servers[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  [ -n "${IOTMAP_OPS_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
ops_lab_config
DAY=$(date -u +%F)
CAM=192.0.2.200 CAMCA=192.0.2.201 FAKE=192.0.2.202 AWS=198.51.100.40 EXPIRED=198.51.100.42

# --- certificates ---
newcert() { # NAME SUBJECT [SAN]: a self-signed EC certificate valid for 30 days
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/$1.key" \
    -days 30 -subj "$2" ${3:+-addext "subjectAltName=$3"} -out "$work/$1.pem" 2>/dev/null
}
newcsr() { # NAME SUBJECT
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/$1.key" \
    -subj "$2" -out "$work/$1.csr" 2>/dev/null
}
newcert cam "/C=CN/O=Hikvision/CN=192.168.1.64"
newcert makerca "/O=Hikvision/CN=Hikvision Device CA"
newcsr camca "/O=Hikvision/CN=DS-2CD2143G0-I"
openssl x509 -req -in "$work/camca.csr" -CA "$work/makerca.pem" -CAkey "$work/makerca.key" \
  -CAcreateserial -days 30 -out "$work/camca.pem" 2>/dev/null
newcert fake "/O=Hikvisionary Ltd/CN=camera" "DNS:a1b2c3-ats.iot.us-east-1.amazonaws.com.example.net"
# The expired one: `openssl ca` is the one signer that sets both dates.
mkdir -p "$work/ca" && : >"$work/ca/index.txt" && echo 1000 >"$work/ca/serial"
printf '[ca]\ndefault_ca = x\n[x]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nserial = %s/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n[any]\norganizationName = optional\ncommonName = supplied\n' \
  "$work/ca" "$work/ca" "$work/ca" >"$work/ca/ca.cnf"
printf 'subjectAltName=DNS:*.iot.us-east-1.amazonaws.com,DNS:iot.us-east-1.amazonaws.com\n' >"$work/ca/ext"
newcsr expired "/O=Amazon.com, Inc./CN=*.iot.us-east-1.amazonaws.com"
openssl ca -batch -notext -config "$work/ca/ca.cnf" -cert "$LAB_DIR/pki/ca.pem" \
  -keyfile "$LAB_DIR/pki/ca.key" -in "$work/expired.csr" -out "$work/expired.pem" \
  -extfile "$work/ca/ext" -startdate 20250601000000Z -enddate 20260601000000Z >/dev/null 2>&1
same "the expired certificate has expired" \
  "$(openssl x509 -in "$work/expired.pem" -noout -checkend 0 >/dev/null; echo $?)" 1

# --- 0. the test's servers ---
serve() { # ADDRESS NAME [CHAIN-PEM]; not through in_lab: $! must be the server
  ip netns exec "$LAB_NS" openssl s_server -accept "$1:443" -cert "$work/$2.pem" \
    -key "$work/$2.key" ${3:+-cert_chain "$3"} -quiet >>"$work/servers.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 300); do in_lab bash -c "exec 3<>/dev/tcp/$1/443" 2>/dev/null && return; sleep 0.1; done
  bad "server $2 on $1:443 does not answer"
}
serve $CAM cam
serve $CAMCA camca "$work/makerca.pem"
serve $FAKE fake
serve $EXPIRED expired "$LAB_DIR/pki/ca.pem"

# --- 1. the grab ---
grab_db=$work/grab.db
in_lab "$IOTMAP" --config "$work/lab.toml" --db "$grab_db" scan --grab-only --output jsonl \
  --ports 443 --target $CAM --target $CAMCA --target $FAKE --target $AWS --target $EXPIRED \
  >"$work/grabs.jsonl" 2>"$work/grab.log"
rc=$? out=$(cat "$work/grab.log")
check "grab: runs" 0 "iotmap scan: run #[0-9]+:"
same "grab: five certificates (chain lengths)" \
  "$(jq -r '[.ip, (.tls.chain | length)] | join(" ")' "$work/grabs.jsonl" | sort | tr '\n' ,)" \
  "192.0.2.200 1,192.0.2.201 2,192.0.2.202 1,198.51.100.40 2,198.51.100.42 2,"
same "grab: the two cameras are device certificates, source scan" \
  "$(sqlite3 "$grab_db" "SELECT ip, manufacturer, signer, source FROM device_certificates ORDER BY ip" | tr '\n' ,)" \
  "$CAM|Hikvision|self|scan,$CAMCA|Hikvision|maker_ca|scan,"
same "grab: counted in the run" \
  "$(sqlite3 "$grab_db" "SELECT json_extract(counts, '\$.device_certificates') FROM runs WHERE kind = 'scan'")" 2

# --- 2. the grabs in each format ---
sonar_day=$(date -u +%Y%m%d)
"$LAB_PYTHON" - "$work/grabs.jsonl" "$work" "$sonar_day" <<'PY'
import base64, datetime, gzip, hashlib, json, sys
grabs = [json.loads(l) for l in open(sys.argv[1])]
work, day = sys.argv[2], sys.argv[3]
def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
# ZGrab2 tls module (github.com/zmap/zgrab2, modules/tls: result.handshake_log)
with gzip.open(f"{work}/lab-scan.json.gz", "wt") as f:
    for g in grabs:
        chain = g["tls"]["chain"]
        log = {"server_hello": {"version": {"name": g["tls"]["version"]}},
               "server_certificates": {"certificate": {"raw": chain[0]["der"], "parsed": {}},
                                       "chain": [{"raw": c["der"], "parsed": {}} for c in chain[1:]]}}
        f.write(json.dumps({"ip": g["ip"], "data": {"tls": {
            "status": "success", "protocol": "tls", "port": g["port"],
            "result": {"handshake_log": log}, "timestamp": rfc3339(g["observed_at"])}}}) + "\n")
# Censys: certificate records, then host records naming leaves by SHA-256
certs = {c["sha256"]: c["der"] for g in grabs for c in g["tls"]["chain"]}
with open(f"{work}/censys-certificates.json", "w") as f:
    for sha, der in sorted(certs.items()):
        f.write(json.dumps({"fingerprint_sha256": sha, "raw": der, "parsed": {}}) + "\n")
with open(f"{work}/censys-hosts.json", "w") as f:
    for g in grabs:
        chain = [c["sha256"] for c in g["tls"]["chain"]]
        f.write(json.dumps({"ip": g["ip"], "last_updated_at": rfc3339(g["observed_at"]),
                            "services": [{"port": g["port"], "service_name": "HTTP",
                                          "transport_protocol": "TCP",
                                          "observed_at": rfc3339(g["observed_at"]),
                                          "tls": {"certificates": {"leaf_fp_sha_256": chain[0],
                                                                   "chain_fps_sha_256": chain[1:]}}}]}) + "\n")
# Rapid7 Sonar SSL: sha1,base64-DER and ip,sha1; the day and port in the names
sha1 = lambda der: hashlib.sha1(base64.b64decode(der)).hexdigest()
with gzip.open(f"{work}/{day}_ssl_443_certs.gz", "wt") as f:
    for der in sorted(certs.values()):
        f.write(f"{sha1(der)},{der}\n")
with gzip.open(f"{work}/{day}_ssl_443_hosts.gz", "wt") as f:
    for g in grabs:
        f.write(f"{g['ip']},{sha1(g['tls']['chain'][0]['der'])}\n")
PY

# import_and_check FORMAT DB FILE...: the hand-derived result of one format's import
import_and_check() {
  local fmt=$1 db=$2
  shift 2
  out=$("$IOTMAP" --config "$work/lab.toml" --db "$db" import certs --format "$fmt" "$@" 2>&1)
  rc=$?
  check "$fmt import: 5 records, 2 provider (1 valid on its day), 2 device" 0 \
    " 5 records, 0 malformed, [0-9]+ new certificates \(0 unparsable\), 2 provider records \(1 valid on their day\), 2 device records, 0 with an unknown certificate; 4 observations stored"
  same "$fmt import: the look-alike is not kept" \
    "$(sqlite3 "$db" "SELECT count(*) FROM tls_observations WHERE ip = '$FAKE'")" 0
  out=$("$IOTMAP" --config "$work/lab.toml" --db "$db" classify --date "$DAY" 2>&1)
  rc=$?
  check "$fmt classify" 0 "classify $DAY"
  same "$fmt classify: $AWS is AWS's, by certificates; the expired $EXPIRED no one's" \
    "$(sqlite3 "$db" "SELECT ip, provider, sources_text FROM ip_verdicts WHERE date = '$DAY' AND provider <> '' ORDER BY ip" | tr '\n' ,)" \
    "$AWS|aws|cert,"
  out=$("$IOTMAP" --config "$work/lab.toml" --db "$db" report footprint --date "$DAY" --format json 2>/dev/null)
  same "$fmt report: one AWS address (IPv4, certificates); devices 2 (self 1, maker CA 1), Hikvision 2, AS64496 2" \
    "$(jq -c '[[.providers[] | [.provider, .ipv4 + .ipv6, .sources.ipv4.cert]], (.devices | [.devices, .self_signed, .maker_ca]), [.devices.by_manufacturer[], .devices.by_as[] | [.name, .devices, .self_signed, .maker_ca]]]' <<<"$out" 2>&1)" \
    '[[["aws",1,1]],[2,1,1],[["Hikvision",2,1,1],["AS64496",2,1,1]]]'
  out=$("$IOTMAP" --config "$work/lab.toml" --db "$db" export devices --date "$DAY" 2>/dev/null)
  same "$fmt export devices: the two cameras" "$(grep -v '^date,' <<<"$out" | cut -d, -f1-7 | tr '\n' ' ')" \
    "$DAY,$CAM,443,Hikvision,,self,import $DAY,$CAMCA,443,Hikvision,,maker_ca,import "
}
db=$work/lab.db
import_and_check zgrab2 "$db" "$work/lab-scan.json.gz"
import_and_check censys "$work/censys.db" "$work/censys-certificates.json" "$work/censys-hosts.json"
import_and_check sonar "$work/sonar.db" "$work/${sonar_day}_ssl_443_certs.gz" "$work/${sonar_day}_ssl_443_hosts.gz"

# --- 3. the default scan takes the imported provider address, not the expired one ---
q() { sqlite3 "$db" "$1"; }
out=$(lab_iotmap scan --ports 443 2>&1)
rc=$?
check "default scan: runs" 0 "iotmap scan: run #[0-9]+:"
scan=$(q "SELECT max(id) FROM runs WHERE kind = 'scan'")
same "default scan: $AWS scanned (only the import named it), its certificate grabbed" \
  "$(q "SELECT o.ip, o.status, c.common_name FROM tls_observations o JOIN certificates c ON c.sha256 = o.leaf_sha256 WHERE o.run_id = $scan")" \
  "$AWS|ok|*.iot.us-east-1.amazonaws.com"
ops_summary certs_import_lab_test
