#!/usr/bin/env bash
# Writes a synthetic ZGrab2 tls-module file (gzip; --records N, default 1,000,000; --certs K
# distinct certificates, default 1,000, made with python3-cryptography: one in 20 an AWS IoT
# wildcard, one in 20 a Hikvision camera's self-signed certificate, the rest unrelated sites,
# each with a one-certificate chain; each certificate in at least one record) and measures in
# the same run `zcat FILE | wc -l` (the floor) and `iotmap import certs --format zgrab2 FILE`
# into a new database (JSON parsing, base64, the fingerprint, each certificate parsed and judged
# once, the kept records stored), with its peak RSS. --save FILE keeps the data set (profiling).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${IOTMAP_BUILD_DIR:-build}
records=1000000 certs=1000 save=
while [ $# -gt 0 ]; do
  case $1 in
    --records) records=$2; shift 2 ;;
    --certs) certs=$2; shift 2 ;;
    --save) save=$2; shift 2 ;;
    *) echo "usage: bench/certs/run.sh [--records N] [--certs K] [--save FILE]" >&2; exit 2 ;;
  esac
done
[ -x "$build/src/iotmap" ] || cmake --build "$build" --target iotmap >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The certificates: one EC key signs them all (a key per certificate would make 100k of them
# take minutes; the importer's work per certificate, parse and judge, is the same).
python3 - "$tmp" "$records" "$certs" <<'PY'
import base64, datetime, gzip, random, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
tmp, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
def cert(i):
    if i % 20 == 0:
        attrs, san = [(NameOID.COMMON_NAME, "*.iot.eu-west-1.amazonaws.com")], "*.iot.eu-west-1.amazonaws.com"
    elif i % 20 == 1:
        attrs, san = [(NameOID.ORGANIZATION_NAME, "Hikvision"), (NameOID.COMMON_NAME, f"cam{i}")], None
    else:
        attrs, san = [(NameOID.COMMON_NAME, f"www.site{i}.example")], f"www.site{i}.example"
    name = x509.Name([x509.NameAttribute(o, v) for o, v in attrs])
    b = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
         .serial_number(i + 1).not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=365)))
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    return base64.b64encode(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)).decode()
raws = [cert(i) for i in range(k)]
ts = now.strftime("%Y-%m-%dT%H:%M:%SZ")
rnd = random.Random(1)
with gzip.open(f"{tmp}/scan.json.gz", "wt", compresslevel=6) as out:
    for r in range(n):
        ip = f"{rnd.randrange(1, 224)}.{rnd.randrange(256)}.{rnd.randrange(256)}.{rnd.randrange(1, 255)}"
        raw = raws[r] if r < k else raws[rnd.randrange(k)]  # every certificate at least once
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
echo "observations stored: $(sqlite3 "$tmp/bench.db" 'SELECT count(*) FROM tls_observations')"
[ -z "$save" ] || cp "$tmp/scan.json.gz" "$save"
