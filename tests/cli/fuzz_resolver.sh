#!/usr/bin/env bash
# Fuzzes the DNS reply parser (resolver/fuzz_reply.cpp), then the passive-DNS line reader
# (resolver/fuzz_pdns.cpp) and the bulk forward-DNS line reader (fetch/fuzz_bulk.cpp), the two
# file formats of DNS records, for a bounded time each: configures a clang build with libFuzzer,
# ASan and UBSan in its own directory (cmake/Fuzz.cmake), builds only the fuzz targets and what
# they link, writes a few seeds and runs the fuzzers. Exits non-zero on a finding; the input is
# left in the findings folder.
#   bash tests/cli/fuzz_resolver.sh IOTMAP_BINARY SOURCE_DIR
# IOTMAP_FUZZ_SECONDS (default 60) bounds the reply run and half of it each line reader's;
# IOTMAP_FUZZ_BUILD_DIR (default: fuzz-resolver beside the build that holds IOTMAP_BINARY) keeps
# the build and the grown corpus between runs.
set -euo pipefail
binary=$1
src=$(cd "$2" && pwd)
seconds=${IOTMAP_FUZZ_SECONDS:-60}
build=${IOTMAP_FUZZ_BUILD_DIR:-$(cd "$(dirname "$binary")/.." && pwd)/fuzz-resolver}
mkdir -p "$build"
build=$(cd "$build" && pwd)

flags=$(sed -n 's/^set(IOTMAP_FUZZ_INSTRUMENT "\(.*\)")$/\1/p' "$src/cmake/Fuzz.cmake")
[ -n "$flags" ] || { echo "fuzz_resolver: no IOTMAP_FUZZ_INSTRUMENT in cmake/Fuzz.cmake" >&2; exit 1; }
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DIOTMAP_FUZZ=ON \
  -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" --target fuzz_reply fuzz_pdns fuzz_bulk

# Seeds: replies with CNAME chains and compression, A/AAAA answers, NXDOMAIN with an SOA, an
# OPT record carrying a client-subnet option, and a truncated one.
seeds="$build/reply-seeds"
mkdir -p "$seeds"
q='\x01a\x07example\x00'
printf "\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00${q}\x00\x01\x00\x01\xc0\x0c\x00\x05\x00\x01\x00\x00\x00\x64\x00\x04\x01b\xc0\x0e\xc0\x25\x00\x01\x00\x01\x00\x00\x00\x32\x00\x04\xc0\x00\x02\x01" >"$seeds/cname_a"
printf "\x00\x01\x81\x80\x00\x01\x00\x01\x00\x00\x00\x01${q}\x00\x1c\x00\x01\xc0\x0c\x00\x1c\x00\x01\x00\x00\x0e\x10\x00\x10\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x0b\x00\x08\x00\x07\x00\x01\x18\x18\xc6\x33\x64" >"$seeds/aaaa_ecs"
printf "\x00\x02\x81\x83\x00\x01\x00\x00\x00\x01\x00\x00${q}\x00\x01\x00\x01\xc0\x0e\x00\x06\x00\x01\x00\x00\x00\x3c\x00\x16\x02ns\xc0\x0e\x04host\xc0\x0e\x00\x00\x00\x01\x00\x00\x00\x3c" >"$seeds/nxdomain"
printf "\x00\x03\x83\x80\x00\x01\x00\x00\x00\x00\x00\x00${q}\x00\x01\x00\x01" >"$seeds/truncated"

# The passive-DNS line reader: seeds are a DNSDB record set, a SAF-wrapped one, a control line
# and lines a careless or hostile source sends (zone times, a time past 2099, an AAAA value
# that is IPv4).
pdns_seeds="$build/pdns-seeds"
mkdir -p "$pdns_seeds"
printf '%s\n' '{"rrname":"a.example.","rrtype":"A","rdata":["192.0.2.1","192.0.2.2"],"time_first":1700000000,"time_last":1700003600}' \
  '{"obj":{"rrname":"b.example","rrtype":"CNAME","rdata":"c.example.","zone_time_first":1,"zone_time_last":2}}' \
  '{"cond":"begin"}' >"$pdns_seeds/dnsdb"
printf '%s\n' '{"rrname":"x.","rrtype":"AAAA","rdata":"192.0.2.1","time_first":1,"time_last":4102444800}' \
  '{"rrname":"\\000.","rrtype":"aaaa","rdata":["2001:DB8::1",7],"time_first":5,"time_last":4}' >"$pdns_seeds/bad"

# The bulk forward-DNS reader: a Sonar FDNS line (and one with escapes, which takes the JSON
# path), a zdns line with a CNAME chain, a massdns line without a timestamp, an error status,
# and lines with a wrong family, a bad name and an unreadable time.
bulk_seeds="$build/bulk-seeds"
mkdir -p "$bulk_seeds"
printf '%s\n' '{"timestamp":"1597190444","name":"a.example","type":"a","value":"192.0.2.1"}' \
  '{"timestamp":"1597190444","name":"b\u002eexample","type":"aaaa","value":"2001:DB8::1"}' \
  '{"name":"c.example","status":"NOERROR","timestamp":"2020-08-12T00:00:00Z","data":{"answers":[{"type":"CNAME","name":"c.example","answer":"d.example."},{"type":"A","name":"d.example","answer":"192.0.2.2"}]}}' \
  '{"name":"e.example.","type":"A","class":"IN","status":"NOERROR","data":{"answers":[{"ttl":60,"type":"AAAA","class":"IN","name":"e.example.","data":"2001:db8::2"}]}}' \
  '{"name":"f.example","status":"NXDOMAIN","timestamp":"2020-08-12T00:00:00+02:00"}' >"$bulk_seeds/bulk"
printf '%s\n' '{"timestamp":"x","name":"g.example","type":"A","value":"2001:db8::3"}' \
  '{"timestamp":"0001-01-01","name":"..","type":"cname","value":"h.example"}' \
  '{"name":"i.example","data":{"answers":[7,{"type":"A","name":"i.example","answer":"192.0.2.300"}]}}' >"$bulk_seeds/bad"
# fuzz DIR/TARGET SECONDS SEEDS MAX_LEN: runs one target; on a finding prints its log's end and
# where the input is, and exits 1.
fuzz() {
  local name=${1##*/}
  local corpus="$build/$name-corpus" findings="$build/$name-findings" log="$build/$name.log" s=0
  mkdir -p "$corpus" "$findings"
  echo "fuzz_resolver: $name for ${2}s (corpus $corpus)"
  "$build/$1" -max_total_time="$2" -timeout=10 -rss_limit_mb=2048 -max_len="$4" \
    -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$3" 2>"$log" || s=$?
  grep -E '^(stat::|#[0-9]+ *DONE|Done )' "$log" || true
  if [ "$s" -ne 0 ]; then
    tail -n 60 "$log" >&2
    echo "fuzz_resolver: $name FINDING (exit $s); inputs in $findings" >&2
    exit 1
  fi
}
half=$(((seconds + 1) / 2))
fuzz resolver/fuzz_reply "$seconds" "$seeds" 4096
fuzz resolver/fuzz_pdns "$half" "$pdns_seeds" 8192
fuzz fetch/fuzz_bulk "$half" "$bulk_seeds" 8192
echo "fuzz_resolver: no finding in ${seconds}s (replies), ${half}s (passive-DNS lines) and ${half}s (bulk forward-DNS lines)"
