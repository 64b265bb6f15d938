#!/usr/bin/env bash
# `iotmap export hitlist` prints rows in the hitlist's one order (docs/backend-map.md, Hitlist):
# provider, domain, IPv4 before IPv6 and each family by numeric value, port, protocol. The
# store keeps addresses as text, whose order differs (2001:db8:: before 203.0.113.,
# 192.0.2.10 before 192.0.2.9, 2001:db8::10 before 2001:db8::a), and the store returns rows in
# text order: the rows below differ between the two orders in all three ways.
# Usage: export_hitlist_order_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: export_hitlist_order_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: export_hitlist_order_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/h.db"
day=2024-05-01

"$IOTMAP" --db "$db" db migrate >/dev/null || bad "migrate"
sqlite3 "$db" "INSERT INTO hitlist(date, provider, domain, ip, port, protocol, infrastructure, sources)
VALUES ('$day', 'zz-provider', 'mqtt.example.com.', '192.0.2.1', 443, 'https', 'dedicated', 'active_dns'),
       ('$day', 'aa-provider', 'mqtt.example.com.', '2001:db8::10', 8883, 'mqtt', 'dedicated', 'active_dns'),
       ('$day', 'aa-provider', 'mqtt.example.com.', '203.0.113.5', 8883, 'mqtt', 'dedicated', 'active_dns'),
       ('$day', 'aa-provider', 'mqtt.example.com.', '192.0.2.9', 8883, 'mqtt', 'dedicated', 'active_dns'),
       ('$day', 'aa-provider', 'mqtt.example.com.', '2001:db8::a', 8883, 'mqtt', 'dedicated', 'pdns'),
       ('$day', 'aa-provider', 'mqtt.example.com.', '192.0.2.10', 8883, 'mqtt', 'shared', 'active_dns'),
       ('$day', 'aa-provider', 'mqtt.example.com.', '192.0.2.9', 443, 'https', 'dedicated', 'active_dns'),
       ('$day', 'aa-provider', 'a.example.com.', '2001:db8::1', 443, 'https', 'dedicated', 'cert'),
       ('$day', 'aa-provider', 'a.example.com.', '198.51.100.7', 443, 'https', 'dedicated', 'cert')" ||
  bad "insert"

# provider,domain,ip,port of each data row
keys() { tail -n +2 "$1" | cut -d, -f2-5; }
want_all="aa-provider,a.example.com,198.51.100.7,443
aa-provider,a.example.com,2001:db8::1,443
aa-provider,mqtt.example.com,192.0.2.9,443
aa-provider,mqtt.example.com,192.0.2.9,8883
aa-provider,mqtt.example.com,192.0.2.10,8883
aa-provider,mqtt.example.com,203.0.113.5,8883
aa-provider,mqtt.example.com,2001:db8::a,8883
aa-provider,mqtt.example.com,2001:db8::10,8883
zz-provider,mqtt.example.com,192.0.2.1,443"

run --db "$db" export hitlist --date "$day" --include-shared --output "$tmp/all.csv"
check "export hitlist --include-shared" 0 "9 rows"
same "rows in hitlist order: IPv4 before IPv6, each by value" "$(keys "$tmp/all.csv")" "$want_all"

run --db "$db" export hitlist --date "$day" --output "$tmp/dedicated.csv"
check "export hitlist (dedicated rows)" 0 "8 rows"
same "dedicated rows in the same order" "$(keys "$tmp/dedicated.csv")" "$(grep -v ',192.0.2.10,' <<<"$want_all")"

run --db "$db" export hitlist --date "$day" --include-shared --format jsonl --output "$tmp/all.jsonl"
check "export hitlist --format jsonl" 0 "9 rows"
same "jsonl rows in the same order" "$(grep -o '"ip":"[^"]*"' "$tmp/all.jsonl" | cut -d'"' -f4)" \
  "$(cut -d, -f3 <<<"$want_all")"

ops_summary export_hitlist_order
