#!/usr/bin/env bash
# Writes a synthetic ZGrab2 tls-module file (gzip; --records N, default 1,000,000; --certs K
# distinct certificates, default 1,000, made with the openssl CLI: one in 20 an AWS IoT wildcard,
# one in 20 a Hikvision camera's self-signed certificate, the rest unrelated sites, each with a
# one-certificate chain) and measures in the same run `zcat FILE | wc -l` (the floor) and
# `iotmap import certs --format zgrab2 FILE` into a new database (JSON parsing, base64, the
# fingerprint, each certificate parsed and judged once, the kept records stored).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${IOTMAP_BUILD_DIR:-build}
records=1000000 certs=1000
while [ $# -gt 0 ]; do
  case $1 in
    --records) records=$2; shift 2 ;;
    --certs) certs=$2; shift 2 ;;
    *) echo "usage: bench/certs/run.sh [--records N] [--certs K]" >&2; exit 2 ;;
  esac
done
[ -x "$build/src/iotmap" ] || cmake --build "$build" --target iotmap >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for i in $(seq 0 $((certs - 1))); do
  if [ $((i % 20)) = 0 ]; then subj="/CN=*.iot.eu-west-1.amazonaws.com"
  elif [ $((i % 20)) = 1 ]; then subj="/O=Hikvision/CN=cam$i"
  else subj="/CN=www.site$i.example"; fi
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout /dev/null \
    -days 365 -subj "$subj" -outform DER -out "$tmp/$i.der" 2>/dev/null
done
python3 - "$tmp" "$records" "$certs" <<'PY'
import base64, gzip, random, sys, datetime
tmp, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
raws = [base64.b64encode(open(f"{tmp}/{i}.der", "rb").read()).decode() for i in range(k)]
ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
rnd = random.Random(1)
with gzip.open(f"{tmp}/scan.json.gz", "wt", compresslevel=6) as out:
    for r in range(n):
        ip = f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
        raw = raws[rnd.randrange(k)]
        out.write('{"ip":"%s","data":{"tls":{"status":"success","protocol":"tls","port":443,'
                  '"result":{"handshake_log":{"server_hello":{"version":{"name":"TLSv1.2",'
                  '"value":771},"cipher_suite":{"hex":"0xC02F","name":'
                  '"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256","value":49199}},'
                  '"server_certificates":{"certificate":{"raw":"%s","parsed":{}},"chain":[]}}},'
                  '"timestamp":"%s"}}}\n' % (ip, raw, ts))
PY
ls -l "$tmp/scan.json.gz" | awk '{print "file: " $5 " bytes gzip"}'
/usr/bin/time -f "zcat | wc -l: %e s wall, %U+%S s CPU (zcat and wc together)" \
  bash -c "zcat '$tmp/scan.json.gz' | wc -l"
/usr/bin/time -f "iotmap import certs: %e s wall, %U+%S s CPU, max RSS %M KiB" \
  "$build/src/iotmap" -q --db "$tmp/bench.db" import certs --format zgrab2 "$tmp/scan.json.gz"
