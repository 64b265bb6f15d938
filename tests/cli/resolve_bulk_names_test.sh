#!/usr/bin/env bash
# Provider names found in a bulk forward-DNS data set become candidate names (issue #12, the gap
# left by item 3): resolve --bulk on a Sonar FDNS file, with nothing to resolve (no catalogue
# names, an empty store) and a resolver nobody answers on. The provider names the file names,
# as a record's owner or as a CNAME's target, are candidate names of source bulk with their
# provider and last-seen time; the other names are not; their addresses are candidate
# addresses, so the sites the file shows on them are kept as address evidence.
# Usage: resolve_bulk_names_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: resolve_bulk_names_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: resolve_bulk_names_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '[[vantage_point]]\nname = "lo"\nresolvers = ["127.0.0.1:9"]\n' >"$tmp/r.toml"
t=$(date -u +%s)
{
  printf '{"timestamp":"%s","name":"a1b2-ats.iot.eu-west-1.amazonaws.com","type":"a","value":"198.51.100.20"}\n' "$t"
  printf '{"timestamp":"%s","name":"www.shop.example","type":"a","value":"198.51.100.20"}\n' "$t"
  printf '{"timestamp":"%s","name":"devices.customer.example","type":"cname","value":"hub7.azure-devices.net"}\n' "$t"
  printf '{"timestamp":"%s","name":"unrelated.example","type":"a","value":"192.0.2.7"}\n' "$t"
} | gzip >"$tmp/fdns.json.gz"
run --config "$tmp/r.toml" --db "$tmp/r.db" resolve --no-catalogue --bulk "$tmp/fdns.json.gz"
check "resolve --bulk ends" 0 "bulk DNS .*fdns.json.gz: 2 provider names, candidates from now on"
same "the provider names are candidate names of source bulk, with their provider" \
  "$(sqlite3 "$tmp/r.db" "SELECT n.name || ' ' || n.provider || ' ' || (s.last_seen = $t)
                          FROM names n JOIN name_sources s ON s.name_id = n.id
                          WHERE s.source = 'bulk' ORDER BY n.name")" \
  "$(printf 'a1b2-ats.iot.eu-west-1.amazonaws.com. aws 1\nhub7.azure-devices.net. microsoft 1')"
same "no other name became a candidate" \
  "$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM names WHERE name NOT LIKE '%amazonaws.com.' AND name NOT LIKE '%azure-devices.net.'")" 0
same "the site on the provider name's address is kept as bulk evidence" \
  "$(sqlite3 "$tmp/r.db" "SELECT ip || ' ' || kind FROM address_names WHERE name = 'www.shop.example.'")" \
  "198.51.100.20 bulk"
ops_summary resolve_bulk_names_test
