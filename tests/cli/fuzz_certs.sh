#!/usr/bin/env bash
# Fuzzes the certificate parser (certs/fuzz_certificate.cpp) for a bounded time: configures a
# clang build with libFuzzer, ASan and UBSan in its own directory (cmake/Fuzz.cmake), builds only
# the fuzz target and what it links (certs, config, lib), makes a seed corpus with the openssl
# CLI and runs the fuzzer. Exits non-zero on a finding; the input is left in the findings folder.
#   bash tests/cli/fuzz_certs.sh IOTMAP_BINARY SOURCE_DIR
# IOTMAP_FUZZ_SECONDS (default 60) bounds the run; IOTMAP_FUZZ_BUILD_DIR (default: fuzz-certs
# beside the build that holds IOTMAP_BINARY) keeps the build and the grown corpus between runs.
set -euo pipefail
binary=$1
src=$(cd "$2" && pwd)
seconds=${IOTMAP_FUZZ_SECONDS:-60}
build=${IOTMAP_FUZZ_BUILD_DIR:-$(cd "$(dirname "$binary")/.." && pwd)/fuzz-certs}
mkdir -p "$build"
build=$(cd "$build" && pwd)

# The instrumentation flags are the ones cmake/Fuzz.cmake documents for a fuzz build.
flags=$(sed -n 's/^set(IOTMAP_FUZZ_INSTRUMENT "\(.*\)")$/\1/p' "$src/cmake/Fuzz.cmake")
[ -n "$flags" ] || { echo "fuzz_certs: no IOTMAP_FUZZ_INSTRUMENT in cmake/Fuzz.cmake" >&2; exit 1; }
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DIOTMAP_FUZZ=ON \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_certificate

# Seeds: RSA, EC and Ed25519 certificates, self-signed and CA-issued, with DNS and IP SANs,
# as DER and as a PEM bundle.
seeds="$build/certs-seeds"
if [ ! -f "$seeds.done" ]; then
  rm -rf "$seeds" && mkdir -p "$seeds" && tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  req() { openssl req -x509 -nodes -days 30 -outform DER "$@" 2>/dev/null; }
  req -newkey rsa:2048 -keyout "$tmp/ca.key" -out "$seeds/ca.der" -subj "/C=DE/O=Lab CA/CN=Lab Root" \
    -addext basicConstraints=critical,CA:TRUE
  req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$tmp/ec.key" -out "$seeds/ec.der" \
    -subj "/C=CN/O=Dahua/OU=IPC/CN=192.168.1.108" \
    -addext "subjectAltName=DNS:*.iot.eu-west-1.amazonaws.com,DNS:cam.example.com,IP:192.0.2.1,IP:2001:db8::1"
  req -newkey ed25519 -keyout "$tmp/ed.key" -out "$seeds/ed25519.der" \
    -subj "/O=Société Générale/CN=日本語.example" -utf8
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-384 -keyout "$tmp/leaf.key" \
    -subj "/O=Acme/CN=mqtt.example.net" -out "$tmp/leaf.csr" 2>/dev/null
  openssl x509 -req -in "$tmp/leaf.csr" -CA "$seeds/ca.der" -CAform DER -CAkey "$tmp/ca.key" \
    -set_serial 7 -days 30 -extfile <(printf 'subjectAltName=DNS:mqtt.example.net,DNS:*.example.net\n') \
    -outform DER -out "$seeds/leaf.der" 2>/dev/null
  for f in ca ec leaf; do openssl x509 -inform DER -in "$seeds/$f.der"; done >"$seeds/bundle.pem"
  touch "$seeds.done"
fi

corpus="$build/certs-corpus"
findings="$build/certs-findings"
mkdir -p "$corpus" "$findings"
echo "fuzz_certs: fuzzing for ${seconds}s (corpus $corpus)"
status=0
"$build/certs/fuzz_certificate" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=16384 -print_final_stats=1 -dict="$src/certs/fuzz_certificate.dict" \
  -artifact_prefix="$findings/" "$corpus" "$seeds" 2>"$build/fuzz.log" || status=$?
grep -E '^(stat::|#[0-9]+ *DONE|Done )' "$build/fuzz.log" || true
if [ "$status" -ne 0 ]; then
  tail -n 60 "$build/fuzz.log" >&2
  echo "fuzz_certs: FINDING (exit $status); inputs in $findings" >&2
  exit 1
fi
echo "fuzz_certs: no finding"
