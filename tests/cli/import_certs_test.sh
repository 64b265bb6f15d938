#!/usr/bin/env bash
# `iotmap import certs` end to end, on data sets made here with the openssl CLI in the layout of
# each format (docs/certificates.md): a provider certificate valid on the day, the same provider
# expired (must not attribute), a camera's self-signed certificate, a look-alike maker name (must
# not match) and an unrelated site. Checks the counts, file:line of malformed lines and exit 7,
# that a rerun (file or stdin) imports nothing twice, that a corrupt gzip keeps nothing (exit 1),
# the device table and its export, and that classify gives the valid provider addresses, and
# only them, to the provider under the "certificates" source of the footprint.
# Usage: import_certs_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: import_certs_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: import_certs_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
T=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "kept in $T"
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
DB=$T/iotmap.db

# The records' day lies ahead, so that a one-day certificate made now has expired by then.
DAY=$(date -u -d '+10 days' +%F)
TIME=${DAY}T12:00:00Z
cert() { # NAME DAYS SUBJECT [SAN]: a self-signed certificate, its base64 DER in $T/NAME.b64
  local ext=()
  [ -n "${4:-}" ] && ext=(-addext "subjectAltName=$4")
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/$1.key" \
    -days "$2" -subj "$3" "${ext[@]}" -outform DER -out "$T/$1.der" 2>/dev/null
  base64 -w0 "$T/$1.der" >"$T/$1.b64"
  sha256sum "$T/$1.der" | cut -c1-64 >"$T/$1.sha256"
  sha1sum "$T/$1.der" | cut -c1-40 >"$T/$1.sha1"
}
# AWS's certificate names count only as *.iot.<region>.amazonaws.com (config/cert_filters.h).
cert aws 365 "/CN=*.iot.eu-west-1.amazonaws.com" "DNS:*.iot.eu-west-1.amazonaws.com"
cert expired 1 "/CN=*.iot.eu-west-2.amazonaws.com" "DNS:*.iot.eu-west-2.amazonaws.com"
cert camera 3650 "/C=CN/O=Hikvision/CN=192.168.1.64"
cert lookalike 3650 "/O=Hikvisionary Ltd/CN=camera"
cert site 365 "/CN=www.example.org" "DNS:www.example.org"

zline() { # IP PORT NAME: a zgrab2 tls module line
  printf '{"ip":"%s","data":{"tls":{"status":"success","protocol":"tls","port":%s,"result":{"handshake_log":{"server_hello":{"version":{"name":"TLSv1.2","value":771}},"server_certificates":{"certificate":{"raw":"%s","parsed":{}},"chain":[]}}},"timestamp":"%s"}}}\n' \
    "$1" "$2" "$(cat "$T/$3.b64")" "$TIME"
}
{
  zline 192.0.2.11 8883 aws
  zline 192.0.2.12 8883 expired
  zline 192.0.2.13 443 camera
  zline 192.0.2.14 443 lookalike
  zline 192.0.2.15 443 site
  printf '{"ip":"192.0.2.16","data":{"tls":{"status":"io-timeout","protocol":"tls","result":{},"timestamp":"%s","error":"i/o timeout"}}}\n' "$TIME"
  zline 192.0.2.17 443 camera | cut -c1-300
  zline not-an-ip 443 camera
} | gzip >"$T/scan.json.gz"

run --db "$DB" import certs --format zgrab2 "$T/scan.json.gz"
check "zgrab2: malformed lines named file:line, exit 7" 7 "scan.json.gz:7: not a JSON object"
has "zgrab2: the bad address is named" "scan.json.gz:8: not an IP address: not-an-ip"
has "zgrab2: counts printed" "8 lines, 5 records, 2 malformed, 5 new certificates"
has "zgrab2: provider records, one valid on its day" "2 provider records \(1 valid on their day\)"
has "zgrab2: one device record" "1 device records"
has "zgrab2: three observations kept (two provider, one device)" "3 observations stored"
q() { sqlite3 "$DB" "$1"; }
same "zgrab2: the run is recorded with its counts" \
  "$(q "SELECT kind, status, json_extract(counts, '\$.records') FROM runs WHERE kind = 'import'")" \
  "import|partial|5"
same "zgrab2: the file is recorded by digest" \
  "$(q "SELECT sha256, format FROM cert_imports")" "$(sha256sum "$T/scan.json.gz" | cut -c1-64)|zgrab2"
same "the camera is a device certificate" \
  "$(q "SELECT date, ip, port, manufacturer, signer, source FROM device_certificates")" \
  "$DAY|192.0.2.13|443|Hikvision|self|import"

run --db "$DB" import certs --format zgrab2 "$T/scan.json.gz"
check "rerun of the file: skipped, exit 0" 0 "already imported by run #1"
out=$(cat "$T/scan.json.gz" | "$IOTMAP" --db "$DB" import certs --format zgrab2 - 2>&1)
rc=$?
check "rerun on stdin: read, found imported, exit 0" 0 "stdin: already imported by run #1"
same "reruns added no observation" "$(q "SELECT count(*) FROM tls_observations")" 3
same "reruns added no device row" "$(q "SELECT count(*) FROM device_certificates")" 1

head -c $(($(stat -c %s "$T/scan.json.gz") / 2)) "$T/scan.json.gz" >"$T/cut.json.gz"
run --db "$DB" import certs --format zgrab2 "$T/cut.json.gz"
check "a truncated gzip: exit 1, nothing kept" 1 "cut.json.gz: .*nothing kept from it"
same "the truncated file left no rows" "$(q "SELECT count(*) FROM tls_observations")" 3
same "and no import record" "$(q "SELECT count(*) FROM cert_imports")" 1

run --db "$DB" import certs --format zgrab2 "$T/missing.json"
check "a missing file: usage error before any work" 2 "missing.json: no such file"
run --db "$DB" import certs --format zmap "$T/scan.json.gz"
check "an unknown format: usage error" 2 "--format: zgrab2, censys or sonar"

# Sonar: certificates first, then hosts; day and port from the file names.
SDAY=${DAY//-/}
{
  for c in aws camera site; do echo "$(cat "$T/$c.sha1"),$(cat "$T/$c.b64")"; done
} | gzip >"$T/${SDAY}_ssl_8883_certs.gz"
{
  echo "198.51.100.21,$(cat "$T/aws.sha1")"
  echo "198.51.100.22,$(cat "$T/camera.sha1")"
  echo "198.51.100.23,$(cat "$T/site.sha1")"
  echo "198.51.100.24,$(cat "$T/lookalike.sha1")"
  echo "198.51.100.25,$(cat "$T/aws.sha1" | cut -c1-12)"
} | gzip >"$T/${SDAY}_ssl_8883_hosts.gz"
run --db "$DB" import certs --format sonar "$T/${SDAY}_ssl_8883_certs.gz" "$T/${SDAY}_ssl_8883_hosts.gz"
check "sonar: the cut line is named, exit 7" 7 "_hosts.gz:5: "
has "sonar: a host naming a certificate not given is counted" "1 with an unknown certificate"
same "sonar: day and port from the file name" \
  "$(q "SELECT observed_at, port FROM tls_observations WHERE ip = '198.51.100.21'")" \
  "$(date -u -d "$DAY" +%s)|8883"
run --db "$DB" import certs --format sonar "$T/${SDAY}_ssl_8883_certs.gz" "$T/${SDAY}_ssl_8883_hosts.gz"
check "sonar rerun: the hosts file is skipped, the certs file read again" 0 \
  "_hosts.gz: already imported"

# Censys: certificate records, then hosts naming their leaves.
{
  for c in aws camera; do
    printf '{"fingerprint_sha256":"%s","raw":"%s","parsed":{}}\n' "$(cat "$T/$c.sha256")" "$(cat "$T/$c.b64")"
  done
  printf '{"ip":"203.0.113.31","services":[{"port":22,"service_name":"SSH"},{"port":8883,"service_name":"MQTT","observed_at":"%s","tls":{"certificates":{"leaf_fp_sha_256":"%s"}}}]}\n' "$TIME" "$(cat "$T/aws.sha256")"
  printf '{"resource":{"ip":"203.0.113.32","services":[{"port":443,"observed_at":"%s","cert":{"fingerprint_sha256":"%s"}}]}}\n' "$TIME" "$(cat "$T/camera.sha256")"
} >"$T/censys.jsonl"
run --db "$DB" import certs --format censys "$T/censys.jsonl"
check "censys: imported, exit 0" 0 "2 records, 0 malformed"
same "censys: both addresses kept" \
  "$(q "SELECT count(*) FROM tls_observations WHERE ip LIKE '203.0.113.%'")" 2

run --db "$DB" export devices --date "$DAY"
check "export devices: the day's cameras" 0 "192.0.2.13,443,Hikvision,,self,import"
has "export devices: from every format" "203.0.113.32,443,Hikvision"
has "export devices: sonar's camera on its port" "198.51.100.22,8883,Hikvision"

# Classify the day: the provider addresses of valid certificates, and no other, are AWS's, found
# by certificates.
run --db "$DB" classify --date "$DAY"
# A wildcard names no domain of the hitlist: the addresses get verdicts, by certificates.
same "classify: the valid provider addresses are AWS's, found by certificates" \
  "$(q "SELECT ip || ' ' || sources_text FROM ip_verdicts WHERE date = '$DAY' AND provider = 'aws' ORDER BY ip")" \
  "$(printf '192.0.2.11 cert\n198.51.100.21 cert\n203.0.113.31 cert')"
same "classify: the expired certificate's address is not" \
  "$(q "SELECT count(*) FROM ip_verdicts WHERE ip = '192.0.2.12'")" 0
run --db "$DB" report footprint --date "$DAY" --format json --window 1 --output "$T/report.json"
aws=$(python3 -c 'import json,sys; d=json.load(sys.stdin); p=[x for x in d["providers"] if x["provider"]=="aws"][0]; print(p["ipv4"], p["sources"]["ipv4"]["cert"], p["sources"]["ipv4"]["active_dns"], d["devices"]["devices"], d["devices"]["by_manufacturer"][0]["name"])' <"$T/report.json" 2>&1)
same "report: AWS's three addresses, all from certificates; three devices, Hikvision's" "$aws" \
  "3 3 0 3 Hikvision"

ops_summary import_certs_test
