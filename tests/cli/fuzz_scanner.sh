#!/usr/bin/env bash
# Fuzzes the scanner's reply parsers (scanner/fuzz_mqtt.cpp, fuzz_amqp.cpp, fuzz_http.cpp) and
# its Certificate message reader (fuzz_certificate_message.cpp) for a bounded time each: configures a clang build with libFuzzer, ASan and UBSan in its own
# directory (cmake/Fuzz.cmake), builds only the fuzz targets and what they link, writes seed
# replies and runs each fuzzer. Exits non-zero on a finding; the input is left in the findings
# folder.
#   bash tests/cli/fuzz_scanner.sh IOTMAP_BINARY SOURCE_DIR
# IOTMAP_FUZZ_SECONDS (default 60) bounds each target's run; IOTMAP_FUZZ_BUILD_DIR (default:
# fuzz-scanner beside the build that holds IOTMAP_BINARY) keeps the build and corpora.
set -euo pipefail
binary=$1
src=$(cd "$2" && pwd)
seconds=${IOTMAP_FUZZ_SECONDS:-60}
build=${IOTMAP_FUZZ_BUILD_DIR:-$(cd "$(dirname "$binary")/.." && pwd)/fuzz-scanner}
mkdir -p "$build"
build=$(cd "$build" && pwd)

flags=$(sed -n 's/^set(IOTMAP_FUZZ_INSTRUMENT "\(.*\)")$/\1/p' "$src/cmake/Fuzz.cmake")
[ -n "$flags" ] || { echo "fuzz_scanner: no IOTMAP_FUZZ_INSTRUMENT in cmake/Fuzz.cmake" >&2; exit 1; }
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DIOTMAP_FUZZ=ON \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_mqtt fuzz_amqp fuzz_http fuzz_certificate_message

# Seeds: real replies of each kind, and near misses.
mkdir -p "$build/seeds-mqtt" "$build/seeds-amqp" "$build/seeds-http" "$build/seeds-certificate_message"
printf '\x20\x02\x00\x00' >"$build/seeds-mqtt/connack"
printf '\x20\x02\x01\x05' >"$build/seeds-mqtt/refused"
printf '\x20\x05\x00\x84\x02\x21\x00' >"$build/seeds-mqtt/v5"
printf '\x20\x82\x01\x00\x00' >"$build/seeds-mqtt/long_length"
printf 'AMQP\x00\x01\x00\x00' >"$build/seeds-amqp/amqp10"
printf 'AMQP\x03\x01\x00\x00' >"$build/seeds-amqp/amqp10_sasl"
python3 - "$build/seeds-amqp/connection_start" <<'PY'
import struct, sys
def ls(b): return struct.pack(">I", len(b)) + b
def field(k, t, raw): return bytes([len(k)]) + k + t + raw
caps = field(b"publisher_confirms", b"t", b"\x01") + field(b"consumer_priorities", b"t", b"\x01")
props = (field(b"capabilities", b"F", ls(caps)) + field(b"product", b"S", ls(b"RabbitMQ")) +
         field(b"version", b"S", ls(b"3.12.1")) + field(b"cluster_name", b"S", ls(b"rabbit@lab")) +
         field(b"n", b"A", ls(b"I" + struct.pack(">i", -7) + b"d" + struct.pack(">d", 1.5))) +
         field(b"ts", b"T", struct.pack(">Q", 1700000000)) + field(b"dec", b"D", b"\x02" + struct.pack(">I", 12345)))
payload = struct.pack(">HHBB", 10, 10, 0, 9) + ls(props) + ls(b"PLAIN AMQPLAIN") + ls(b"en_US")
open(sys.argv[1], "wb").write(b"\x01\x00\x00" + struct.pack(">I", len(payload)) + payload + b"\xce")
PY
printf 'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\n\r\n' >"$build/seeds-http/ok"
printf 'HTTP/1.0 404\n\n' >"$build/seeds-http/lf"
printf 'HTTP/1.1 301 Moved\r\nLocation: x\r\nserver: x\r\n\r\nbody' >"$build/seeds-http/redirect"

# Certificate messages (first byte: 0 TLS 1.2 layout, 1 TLS 1.3): two certificates each.
printf '\x00\x0b\x00\x00\x0e\x00\x00\x0b\x00\x00\x03abc\x00\x00\x02de' >"$build/seeds-certificate_message/tls12"
printf '\x01\x0b\x00\x00\x16\x01x\x00\x00\x11\x00\x00\x03abc\x00\x00\x00\x00\x02de\x00\x02\xff\xff' >"$build/seeds-certificate_message/tls13"

status=0
for t in mqtt amqp http certificate_message; do
  corpus="$build/corpus-$t"
  findings="$build/findings-$t"
  mkdir -p "$corpus" "$findings"
  echo "fuzz_scanner: fuzz_$t for ${seconds}s (corpus $corpus)"
  s=0
  "$build/scanner/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$build/seeds-$t" \
    2>"$build/fuzz-$t.log" || s=$?
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE|Done )' "$build/fuzz-$t.log" || true
  if [ "$s" -ne 0 ]; then
    tail -n 60 "$build/fuzz-$t.log" >&2
    echo "fuzz_scanner: fuzz_$t FINDING (exit $s); inputs in $findings" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "fuzz_scanner: no finding in ${seconds}s per target"
exit "$status"
