#!/usr/bin/env bash
# Imported certificates and grabbed ones end to end in the lab (tests/lab/up first):
#   1. a ZGrab2 file made from the lab's own endpoints names the TLS-1.3-only host 198.51.100.40
#      (the aws-us-east-1 certificate; no DNS name points there), a camera's self-signed
#      certificate at 203.0.113.250:443 and a look-alike maker name; `import certs` keeps the AWS
#      and the camera records, not the look-alike;
#   2. the next default scan (no targets: what the daily job runs) connects to 198.51.100.40
#      although no resolution names it, and stores its certificate;
#   3. a camera (openssl s_server in the namespace with the camera's certificate) is scanned:
#      the scan's device_certificates row says Hikvision, self-signed, source scan;
#   4. classify gives 198.51.100.40 to AWS, found by certificates; export devices lists both.
#   bash tests/lab/certs_import_lab_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" certs_import_lab_test "$@"  # IOTMAP, SRC, work
camera=
cleanup() {
  [ -n "$camera" ] && kill "$camera" 2>/dev/null && wait "$camera" 2>/dev/null
  [ -n "${IOTMAP_OPS_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
ops_lab_config
db=$work/lab.db
q() { sqlite3 "$db" "$1"; }
DAY=$(date -u +%F)
NOW=$(date -u +%FT%TZ)
b64() { openssl x509 -in "$1" -outform DER | base64 -w0; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/cam.key" \
  -days 30 -subj "/C=CN/O=Hikvision/CN=192.168.1.64" -out "$work/cam.pem" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/fake.key" \
  -days 30 -subj "/O=Hikvisionary Ltd/CN=camera" -out "$work/fake.pem" 2>/dev/null
zline() { # IP PORT PEM
  printf '{"ip":"%s","data":{"tls":{"status":"success","protocol":"tls","port":%s,"result":{"handshake_log":{"server_certificates":{"certificate":{"raw":"%s"},"chain":[]}}},"timestamp":"%s"}}}\n' \
    "$1" "$2" "$(b64 "$3")" "$NOW"
}
{
  zline 198.51.100.40 443 "$LAB_DIR/pki/aws-us-east-1.pem"
  zline 203.0.113.250 443 "$work/cam.pem"
  zline 192.0.2.201 443 "$work/fake.pem"
} | gzip >"$work/lab-scan.json.gz"

# --- 1. the import ---
out=$("$IOTMAP" --config "$work/lab.toml" --db "$db" import certs --format zgrab2 "$work/lab-scan.json.gz" 2>&1)
rc=$?
check "import: three records, one provider, one device" 0 \
  "3 records, 0 malformed, 3 new certificates .*1 provider records \(1 valid on their day\), 1 device records"
same "import: the look-alike is not kept" "$(q "SELECT count(*) FROM tls_observations WHERE ip = '192.0.2.201'")" 0

# --- 2. the default scan takes the imported provider address ---
out=$(lab_iotmap scan --ports 443 2>&1)
rc=$?
check "default scan: runs" 0 "iotmap scan: run #[0-9]+:"
scan=$(q "SELECT max(id) FROM runs WHERE kind = 'scan'")
same "default scan: 198.51.100.40 scanned (only the import named it), its certificate grabbed" \
  "$(q "SELECT o.status, c.common_name FROM tls_observations o JOIN certificates c ON c.sha256 = o.leaf_sha256 WHERE o.run_id = $scan AND o.ip = '198.51.100.40'")" \
  "ok|*.iot.us-east-1.amazonaws.com"
same "default scan: the camera is no provider candidate" \
  "$(q "SELECT count(*) FROM tls_observations WHERE run_id = $scan AND ip = '203.0.113.250'")" 0

# --- 3. a camera in the lab, scanned ---
# Not through in_lab: a function in the background is a subshell, and $! must be the server.
ip netns exec "$LAB_NS" openssl s_server -accept 192.0.2.200:443 -cert "$work/cam.pem" -key "$work/cam.key" \
  -quiet -naccept 5 >"$work/camera.log" 2>&1 &
camera=$!
for _ in $(seq 1 50); do in_lab bash -c 'exec 3<>/dev/tcp/192.0.2.200/443' 2>/dev/null && break; sleep 0.1; done
out=$(lab_iotmap scan --ports 443 --target 192.0.2.200 2>&1)
rc=$?
check "camera scan: runs" 0 "iotmap scan: run #[0-9]+:"
cam_scan=$(q "SELECT max(id) FROM runs WHERE kind = 'scan'")
same "camera scan: the grab is a device certificate" \
  "$(q "SELECT manufacturer, signer, source, run_id FROM device_certificates WHERE ip = '192.0.2.200' AND source = 'scan'")" \
  "Hikvision|self|scan|$cam_scan"
same "camera scan: counted in the run" \
  "$(q "SELECT json_extract(counts, '\$.device_certificates') FROM runs WHERE id = $cam_scan")" 1

# --- 4. classify and export ---
out=$(lab_iotmap classify --date "$DAY" 2>&1)
rc=$?
check "classify" 0 "classify $DAY"
same "classify: 198.51.100.40 is AWS's, by certificates" \
  "$(q "SELECT provider, sources_text FROM ip_verdicts WHERE date = '$DAY' AND ip = '198.51.100.40'")" \
  "aws|cert"
out=$("$IOTMAP" --config "$work/lab.toml" --db "$db" export devices --date "$DAY" 2>&1)
rc=$?
check "export devices: the imported camera" 0 "$DAY,203.0.113.250,443,Hikvision,,self,import"
has "export devices: the scanned camera" "$DAY,192.0.2.200,443,Hikvision,,self,scan"
ops_summary certs_import_lab_test
