#!/usr/bin/env bash
# `iotmap fetch` against a local HTTPS stand-in (tests/lab/fetch_server.py) that serves small
# files in each source's real format, written here: CAIDA pfx2as (gzip, found through the
# creation log) and as2org (gzip, found through a directory page), AWS ip-ranges.json, Azure
# service tags (found through a download page), Google cloud.json, the IPv6 hitlist (xz), a
# FireHOL netset, DNSDB (flexible search + rrset look-ups), crt.sh and RIPE Atlas (create, poll,
# results). Then the faults: 500, 429 with Retry-After, a truncated body, a body that does not
# parse, a stalling server, a refused connection, the size cap, a wrong API key: each must end
# with a clear message, retry where it should and keep the previous good copy.
#
# Everything runs inside the lab's network namespace, on its loopback (127.0.0.1), with
# IOTMAP_FETCH_LOOPBACK_ONLY=1 and every URL set by this test: nothing can leave the machine.
# The lab's servers are not needed, only its namespace (ctest brings the lab up); for a run by
# hand, IOTMAP_LAB_NS may name any namespace whose loopback is up.
#   bash tests/lab/fetch_test.sh IOTMAP_BINARY SOURCE_DIR
set -euo pipefail
IOTMAP=$(readlink -f "$1")
SRC=$(cd "$2" && pwd)
. "$SRC/tests/lab/env.sh"

if ! ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$LAB_NS"; then
  echo "fetch_test: the namespace $LAB_NS does not exist (run tests/lab/up)" >&2
  exit 1
fi
PORT=${IOTMAP_FETCH_TEST_PORT:-18443}
BASE="https://127.0.0.1:$PORT"
T=$(mktemp -d /tmp/iotmap-fetch-test.XXXXXX)
ROOT=$T/root
DATA=$T/data
DB=$T/iotmap.db
SOURCES=$T/sources.toml
ACCESS=$T/access.log
ALL=$T/all.log
DNSDB_KEY="dnsdb-SECRET-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
ATLAS_KEY="atlas-SECRET-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
mkdir -p "$ROOT/files" "$DATA"
: >"$ACCESS"
: >"$ALL"
. "$SRC/tests/lab/fetch_server.bash"
cleanup() {
  fetch_server_stop
  if [ "${IOTMAP_FETCH_TEST_KEEP:-0}" = 1 ] || [ "$fails" -gt 0 ]; then
    echo "fetch_test: state kept in $T"
  else
    rm -rf "$T"
  fi
}
fails=0
trap cleanup EXIT

ok() { echo "ok: $*"; }
bad() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}
show() { sed 's/^/    | /' "$T/out.log"; }

# --- the files, in each source's real format ---
F=$ROOT/files
mkdir -p "$F/routeviews-prefix2as/2023/12" "$F/routeviews-prefix2as/2024/01" \
  "$F/routeviews6-prefix2as/2024/01" "$F/as-organizations" "$F/azure"
grep -v ':' "$SRC/tests/lab/pfx2as.txt" | grep -v '^#' >"$T/pfx2as-v4.txt"
grep ':' "$SRC/tests/lab/pfx2as.txt" | grep -v '^#' >"$T/pfx2as-v6.txt"
printf '192.0.2.0\t24\t64511\n' | gzip -n >"$F/routeviews-prefix2as/2023/12/routeviews-rv2-20231201-1200.pfx2as.gz"
gzip -n <"$T/pfx2as-v4.txt" >"$F/routeviews-prefix2as/2024/01/routeviews-rv2-20240101-1200.pfx2as.gz"
gzip -n <"$T/pfx2as-v6.txt" >"$F/routeviews6-prefix2as/2024/01/routeviews-rv6-20240101-1200.pfx2as.gz"
printf '# seqnum\ttimestamp\tpath\n1\t1701432000\t2023/12/routeviews-rv2-20231201-1200.pfx2as.gz\n2\t1704110400\t2024/01/routeviews-rv2-20240101-1200.pfx2as.gz\n' \
  >"$F/routeviews-prefix2as/pfx2as-creation.log"
printf '# seqnum\ttimestamp\tpath\n1\t1704110400\t2024/01/routeviews-rv6-20240101-1200.pfx2as.gz\n' \
  >"$F/routeviews6-prefix2as/pfx2as-creation.log"
cat >"$T/as2org.txt" <<'TXT'
# format:org_id|changed|org_name|country|source
LAB-INFRA-ORG|20240101|Lab Infrastructure|ZZ|LAB
LAB-AMAZON-ORG|20240101|Lab Amazon|US|LAB
# format:aut|changed|aut_name|org_id|opaque_id|source
64496|20240101|LAB-INFRA|LAB-INFRA-ORG||LAB
64497|20240101|LAB-AMAZON|LAB-AMAZON-ORG||LAB
TXT
gzip -n <"$T/as2org.txt" >"$F/as-organizations/20240101.as-org2info.txt.gz"
printf '# old\n1|x|y|z||w\n' | gzip -n >"$F/as-organizations/20231001.as-org2info.txt.gz"
cat >"$F/as-organizations/index.html" <<'HTML'
<html><body><a href="20231001.as-org2info.txt.gz">20231001.as-org2info.txt.gz</a>
<a href="20240101.as-org2info.txt.gz">20240101.as-org2info.txt.gz</a></body></html>
HTML
cat >"$F/ip-ranges.json" <<'JSON'
{"syncToken":"1704067200","createDate":"2024-01-01-00-00-00","prefixes":[
 {"ip_prefix":"198.51.100.0/26","region":"us-east-1","service":"AMAZON","network_border_group":"us-east-1"},
 {"ip_prefix":"203.0.113.0/26","region":"ap-northeast-1","service":"EC2","network_border_group":"ap-northeast-1"}],
 "ipv6_prefixes":[{"ipv6_prefix":"2001:db8:a5::/48","region":"us-east-1","service":"AMAZON","network_border_group":"us-east-1"}]}
JSON
cat >"$F/azure/ServiceTags_Public_20240101.json" <<'JSON'
{"changeNumber":1,"cloud":"Public","values":[
 {"name":"AzureIoTHub","id":"AzureIoTHub","properties":{"changeNumber":1,"region":"","regionId":0,"platform":"Azure","systemService":"AzureIoTHub","addressPrefixes":["203.0.113.64/26","2001:db8:a2::/48"],"networkFeatures":["API"]}},
 {"name":"AzureIoTHub.WestEurope","id":"AzureIoTHub.WestEurope","properties":{"changeNumber":1,"region":"westeurope","regionId":18,"platform":"Azure","systemService":"AzureIoTHub","addressPrefixes":["203.0.113.64/27"]}},
 {"name":"Storage","id":"Storage","properties":{"changeNumber":1,"region":"","platform":"Azure","systemService":"AzureStorage","addressPrefixes":["192.0.2.128/25"]}}]}
JSON
cat >"$F/azure/details.html" <<HTML
<html><body>Service tags: <a href="$BASE/files/azure/ServiceTags_Public_20231225.json">old</a>
<a href="$BASE/files/azure/ServiceTags_Public_20240101.json">download</a></body></html>
HTML
cat >"$F/cloud.json" <<'JSON'
{"syncToken":"1704067200","creationTime":"2024-01-01T00:00:00","prefixes":[
 {"ipv4Prefix":"198.51.100.192/26","service":"Google Cloud","scope":"us-east1"},
 {"ipv6Prefix":"2001:db8:a9::/48","service":"Google Cloud","scope":"us-east1"}]}
JSON
{
  echo "# responsive IPv6 addresses (test)"
  for i in $(seq 1 3000); do printf '2001:db8:a5:1::%x\n' "$i"; done
} >"$T/hitlist.txt"
xz -c <"$T/hitlist.txt" >"$F/responsive-addresses.txt.xz"
xz -c <"$T/hitlist.txt" >"$T/hitlist.xz"
head -c $(($(stat -c %s "$T/hitlist.xz") / 2)) "$T/hitlist.xz" >"$F/truncated.txt.xz"
cat >"$F/firehol_level1.netset" <<'TXT'
#
# firehol_level1 (test copy)
#
192.0.2.203
198.51.100.13
203.0.113.128/25
TXT
# DNSDB records (dnsdb.json): provider names the flexible search finds and look-ups return.
cat >"$ROOT/dnsdb.json" <<'JSON'
[
 {"rrname":"a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.","rrtype":"A","rdata":["198.51.100.10","198.51.100.11"],"time_first":1700000000,"time_last":1700086400,"count":10,"bailiwick":"amazonaws.com."},
 {"rrname":"a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.","rrtype":"AAAA","rdata":["2001:db8:a5:1::10"],"time_first":1700000000,"time_last":1700086400,"count":4,"bailiwick":"amazonaws.com."},
 {"rrname":"iotlab-hub.azure-devices.net.","rrtype":"CNAME","rdata":["ihsu-prod-am-001.cloudapp.net."],"time_first":1700000000,"time_last":1700086400,"count":3,"bailiwick":"azure-devices.net."},
 {"rrname":"www.shop-alpha.test.","rrtype":"A","rdata":["203.0.113.200"],"time_first":1700000000,"time_last":1700086400,"count":1,"bailiwick":"test."},
 {"rrname":"www.news-bravo.test.","rrtype":"A","rdata":["198.51.100.11"],"time_first":1700000000,"time_last":1700086400,"count":2,"bailiwick":"test."},
 {"rrname":"vpn.lima-fitness.test.","rrtype":"AAAA","rdata":["2001:db8:a5:1::10"],"time_first":1700000000,"time_last":1700086400,"count":2,"bailiwick":"test."}
]
JSON
cat >"$ROOT/crtsh.json" <<'JSON'
{"azure-devices.net":[
  {"issuer_ca_id":1,"issuer_name":"C=US, O=Lab, CN=Lab CA","common_name":"*.azure-devices.net","name_value":"*.azure-devices.net\nct-hub-1.azure-devices.net","id":11,"entry_timestamp":"2024-01-01T00:00:00","not_before":"2024-01-01T00:00:00","not_after":"2025-01-01T00:00:00","serial_number":"01"},
  {"issuer_ca_id":1,"issuer_name":"C=US, O=Lab, CN=Lab CA","common_name":"ct-hub-2.azure-devices.net","name_value":"ct-hub-2.azure-devices.net\nwww.unrelated.example","id":12,"entry_timestamp":"2024-01-01T00:00:00","not_before":"2024-01-01T00:00:00","not_after":"2025-01-01T00:00:00","serial_number":"02"}],
 "iot.%.amazonaws.com":[
  {"issuer_ca_id":2,"issuer_name":"C=US, O=Lab, CN=Lab CA 2","common_name":"*.iot.eu-west-1.amazonaws.com","name_value":"*.iot.eu-west-1.amazonaws.com\nct-account-ats.iot.eu-west-1.amazonaws.com","id":13,"entry_timestamp":"2024-01-01T00:00:00","not_before":"2024-01-01T00:00:00","not_after":"2025-01-01T00:00:00","serial_number":"03"}]}
JSON
# What the Atlas probes' resolvers answer: "<name> <type>" -> rcode and answers.
cat >"$ROOT/atlas.json" <<'JSON'
{"a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com A":{"rcode":0,"first_probe_times_out":true,"answers":[["a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com","A",60,"198.51.100.12"]]},
 "iotlab-hub.azure-devices.net A":{"rcode":0,"answers":[["iotlab-hub.azure-devices.net","CNAME",60,"ihsu-prod-am-001.cloudapp.net"],["ihsu-prod-am-001.cloudapp.net","A",60,"203.0.113.70"]]},
 "doesnotexist.azure-devices.net A":{"rcode":3,"answers":[]}}
JSON
echo '{}' >"$ROOT/faults.json"

# --- the sources: every URL points at the stand-in ---
cat >"$SOURCES" <<TOML
[fetch]
defaults = false
ca_file = "$T/pki/ca.pem"
retries = 2
backoff_ms = 100
backoff_max_ms = 300
retry_after_max_s = 5
connect_timeout_s = 2
timeout_s = 20
stall_timeout_s = 1
progress_min_bytes = 1000

[source.pfx2as-v4]
kind = "file"
format = "pfx2as"
index = "$BASE/files/routeviews-prefix2as/pfx2as-creation.log"
pick = '([0-9]{4}/[0-9]{2}/routeviews-rv2-[0-9]{8}-[0-9]{4}\.pfx2as\.gz)'
file = "routeviews-pfx2as-v4.txt"

[source.pfx2as-v6]
kind = "file"
format = "pfx2as"
index = "$BASE/files/routeviews6-prefix2as/pfx2as-creation.log"
pick = '([0-9]{4}/[0-9]{2}/routeviews-rv6-[0-9]{8}-[0-9]{4}\.pfx2as\.gz)'
file = "routeviews-pfx2as-v6.txt"

[source.as2org]
kind = "file"
format = "as2org"
index = "$BASE/files/as-organizations/index.html"
pick = 'href="([0-9]{8}\.as-org2info\.txt\.gz)"'
file = "as2org.txt"

[source.aws-ranges]
kind = "file"
format = "aws-ranges"
url = "$BASE/files/ip-ranges.json"
file = "aws-ip-ranges.json"

[source.azure-tags]
kind = "file"
format = "azure-tags"
index = "$BASE/files/azure/details.html"
pick = '(https://127\.0\.0\.1:[0-9]+/files/azure/ServiceTags_Public_[0-9]{8}\.json)'
file = "azure-service-tags.json"

[source.google-ranges]
kind = "file"
format = "google-ranges"
url = "$BASE/files/cloud.json"
file = "google-cloud.json"

[source.ipv6-hitlist]
kind = "file"
format = "hitlist"
url = "$BASE/files/responsive-addresses.txt.xz"
file = "ipv6-hitlist.txt"

[source.firehol-level1]
kind = "file"
format = "netset"
url = "$BASE/files/firehol_level1.netset"
file = "firehol_level1.netset"

[source.dnsdb]
kind = "dnsdb"
url = "$BASE/dnsdb/v2"
key_env = "IOTMAP_DNSDB_KEY"
file = "dnsdb-rrsets.jsonl"
window_days = 36500
rrtypes = ["A", "AAAA", "CNAME"]

[source.crtsh]
kind = "crtsh"
url = "$BASE/"
domains = ["azure-devices.net", "%.iot.%.amazonaws.com"]
file = "crtsh"

[source.atlas]
kind = "atlas"
enabled = false
url = "$BASE/api/v2"
key_env = "IOTMAP_ATLAS_KEY"
file = "atlas"
rrtypes = ["A"]
names = ["a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com", "iotlab-hub.azure-devices.net", "doesnotexist.azure-devices.net"]
poll_interval_s = 0.2
poll_timeout_s = 20
definitions_per_request = 2
probe_groups = [{ name = "atlas-lab", type = "country", value = "ZZ", requested = 3 }]
TOML

# --- the stand-in, inside the namespace ---
fetch_server_start "$T/pki" "$PORT" "$ROOT" "$ACCESS" --dnsdb-key "$DNSDB_KEY" \
  --atlas-key "$ATLAS_KEY" --stall-seconds 20 || exit 1

# fetch ARGS...: runs iotmap fetch in the namespace; sets rc, output in $T/out.log.
fetch() {
  set +e
  in_lab env IOTMAP_FETCH_LOOPBACK_ONLY=1 IOTMAP_DNSDB_KEY="${DNSDB_ENV-$DNSDB_KEY}" \
    IOTMAP_ATLAS_KEY="$ATLAS_KEY" "$IOTMAP" --db "$DB" fetch --sources "${SOURCES_FILE:-$SOURCES}" \
    --data-dir "$DATA" "$@" >"$T/out.log" 2>&1
  rc=$?
  set -e
  { echo "### iotmap fetch $*"; cat "$T/out.log"; } >>"$ALL"
}
expect_rc() {
  if [ "$rc" = "$1" ]; then ok "$2 (exit $rc)"; else bad "$2: exit $rc, expected $1"; show; fi
}
expect_out() {
  if grep -q -- "$1" "$T/out.log"; then ok "$2"; else bad "$2: the output lacks '$1'"; show; fi
}
q() { sqlite3 "$DB" "$1"; }
faults() { printf '%s\n' "$1" >"$ROOT/faults.json"; }
count() { grep -c "^$1 $2 " "$ACCESS" || true; }
same() {
  if cmp -s "$1" "$2"; then ok "$3"; else bad "$3: $1 differs from $2"; fi
}
no_parts() {
  if find "$DATA" -name '.*.part-*' | grep -q .; then bad "temporary files left: $(find "$DATA" -name '.*.part-*')"; else ok "no temporary file left behind"; fi
}

# === 0. the command line ===
fetch --list
expect_rc 0 "--list"
expect_out "^atlas  *atlas  *disabled  *atlas  *$BASE/api/v2" "--list shows kind, state, file and URL"
fetch
expect_rc 2 "no source named: usage error"
fetch no-such-source
expect_rc 2 "an unknown source: usage error"
expect_out "unknown source no-such-source" "clear message: unknown source"
printf '[source.aws-ranges]\nformt = "json"\n' >"$T/typo.toml"
SOURCES_FILE=$T/typo.toml fetch aws-ranges
expect_rc 3 "a misspelt key in the sources file"
expect_out "typo.toml:2: source.aws-ranges.formt: unknown key" "clear message: file:line: key"

# === 1. every file source: fetched, decompressed, checked, stored, recorded ===
fetch pfx2as-v4 pfx2as-v6 as2org aws-ranges azure-tags google-ranges ipv6-hitlist firehol-level1
expect_rc 0 "all file sources fetched"
same "$DATA/routeviews-pfx2as-v4.txt" "$T/pfx2as-v4.txt" "pfx2as v4: the latest release (from the creation log), gunzipped"
same "$DATA/routeviews-pfx2as-v6.txt" "$T/pfx2as-v6.txt" "pfx2as v6: gunzipped"
same "$DATA/as2org.txt" "$T/as2org.txt" "as2org: the latest file of the directory page, gunzipped"
same "$DATA/aws-ip-ranges.json" "$F/ip-ranges.json" "AWS ip-ranges.json stored"
same "$DATA/azure-service-tags.json" "$F/azure/ServiceTags_Public_20240101.json" "Azure service tags: the file the download page links"
same "$DATA/google-cloud.json" "$F/cloud.json" "Google cloud.json stored"
same "$DATA/ipv6-hitlist.txt" "$T/hitlist.txt" "IPv6 hitlist: un-xz'ed into a target file"
same "$DATA/firehol_level1.netset" "$F/firehol_level1.netset" "FireHOL netset stored"
expect_out "azure-tags: ok: .* 3 records, AzureIoTHub prefixes" "Azure: the AzureIoTHub prefixes counted"
expect_out "ipv6-hitlist: ok: .* 3000 records" "hitlist: 3000 addresses"
expect_out "^ipv6-hitlist: [0-9]*/[0-9]* (100.0%) .* in [0-9.]*s$" "a body over progress_min_bytes gets a progress line (its summary off a terminal)"
bad_rows=0
for s in pfx2as-v4 pfx2as-v6 as2org aws-ranges azure-tags google-ranges ipv6-hitlist firehol-level1; do
  row=$(q "SELECT status || '|' || sha256 || '|' || bytes || '|' || path || '|' || url FROM fetches WHERE source = '$s' ORDER BY id DESC LIMIT 1")
  IFS='|' read -r st sha bytes path url <<<"$row"
  if [ "$st" != ok ] || [ "$sha" != "$(sha256sum "$path" | cut -d' ' -f1)" ] || [ "$bytes" != "$(stat -c %s "$path")" ] || [ "${url#"$BASE"}" = "$url" ]; then
    bad "fetches row of $s: $row"
    bad_rows=1
  fi
done
[ "$bad_rows" = 0 ] && ok "the database records each fetch: status, URL, sha256 and size of the stored file"
[ "$(q "SELECT url FROM fetches WHERE source = 'pfx2as-v4' ORDER BY id DESC LIMIT 1")" = "$BASE/files/routeviews-prefix2as/2024/01/routeviews-rv2-20240101-1200.pfx2as.gz" ] &&
  ok "pfx2as: the URL of the release is recorded" || bad "pfx2as: recorded URL"
no_parts
# The files land where the rest of iotmap reads them: the scanner takes the hitlist as a target
# file and the blocklist the netset (both parsed by their own readers in the checks above).

# === 2. a second run asks conditionally and keeps the files ===
before=$(stat -c %Y.%s "$DATA/aws-ip-ranges.json")
fetch aws-ranges ipv6-hitlist pfx2as-v4
expect_rc 0 "second run"
expect_out "aws-ranges: not_modified" "AWS: not modified (ETag / If-Modified-Since)"
expect_out "pfx2as-v4: not_modified" "pfx2as: not modified"
[ "$(count GET /files/ip-ranges.json)" -ge 2 ] && grep -q "^GET /files/ip-ranges.json 304" "$ACCESS" &&
  ok "the server answered 304" || bad "no 304 in the access log"
[ "$(stat -c %Y.%s "$DATA/aws-ip-ranges.json")" = "$before" ] && ok "the file was not rewritten" || bad "the file changed"
[ "$(q "SELECT status FROM fetches WHERE source = 'aws-ranges' ORDER BY id DESC LIMIT 1")" = not_modified ] &&
  ok "recorded as not_modified" || bad "the fetches row is not not_modified"
rm "$DATA/google-cloud.json"
fetch google-ranges
expect_rc 0 "a missing file is fetched again in full"
[ -f "$DATA/google-cloud.json" ] && ok "google-cloud.json is back" || bad "google-cloud.json missing"

# === 3. faults: each ends with a clear message and keeps the previous copy ===
good=$T/aws-good.json
cp "$DATA/aws-ip-ranges.json" "$good"
: >"$ACCESS"
faults '{"/files/ip-ranges.json": ["500", "500"]}'
fetch aws-ranges
expect_rc 0 "500 twice, then the file: retried"
expect_out "HTTP 500.*retrying in" "the retries are logged"
[ "$(count GET /files/ip-ranges.json)" = 3 ] && ok "three requests (two retries)" || bad "requests: $(count GET /files/ip-ranges.json)"

: >"$ACCESS"
faults '{"/files/ip-ranges.json": ["500", "500", "500", "500"]}'
fetch aws-ranges
expect_rc 1 "500 every time"
expect_out "aws-ranges: failed: .*HTTP 500.*gave up after 3 attempts; kept the previous copy" "clear message: HTTP 500, attempts, previous copy kept"
same "$DATA/aws-ip-ranges.json" "$good" "the previous copy is untouched after the 500s"
[ "$(q "SELECT status FROM fetches WHERE source = 'aws-ranges' ORDER BY id DESC LIMIT 1")" = failed ] &&
  ok "the failure is recorded" || bad "failure not recorded"
[ "$(q "SELECT status FROM runs WHERE kind = 'fetch' ORDER BY id DESC LIMIT 1")" = failed ] &&
  ok "the run is recorded as failed" || bad "run status"
faults '{}'
rm -f "$ROOT/faults.json.tmp"

: >"$ACCESS"
faults '{"/files/ip-ranges.json": ["429:1"]}'
t0=$(date +%s%N)
fetch aws-ranges
t1=$(date +%s%N)
expect_rc 0 "429 with Retry-After: 1, then the file"
expect_out "HTTP 429.*retrying in 1.0 s (Retry-After 1 s)" "the Retry-After is honoured and logged"
[ $(((t1 - t0) / 1000000)) -ge 1000 ] && ok "waited at least the second asked for" || bad "did not wait for Retry-After"

faults '{"/files/ip-ranges.json": ["429:3600"]}'
fetch aws-ranges
expect_rc 1 "429 asking for an hour"
expect_out "HTTP 429.*asks to wait 3600 s, more than retry_after_max_s (5); kept the previous copy" "a too long Retry-After fails at once"
same "$DATA/aws-ip-ranges.json" "$good" "the previous copy is untouched after the 429"

: >"$ACCESS"
faults '{"/files/ip-ranges.json": ["truncate", "truncate", "truncate"]}'
fetch aws-ranges
expect_rc 1 "a body cut short every time"
expect_out "aws-ranges: failed: .*cut short.*gave up after 3 attempts; kept the previous copy" "clear message: cut short"
[ "$(count GET /files/ip-ranges.json)" = 3 ] && ok "truncated bodies are retried" || bad "requests: $(count GET /files/ip-ranges.json)"
same "$DATA/aws-ip-ranges.json" "$good" "the previous copy is untouched after the truncated bodies"
no_parts

: >"$ACCESS"
faults '{"/files/ip-ranges.json": ["garbage"]}'
fetch aws-ranges
expect_rc 1 "a body that does not parse"
expect_out "aws-ranges: failed: the body does not parse as aws-ranges: .*; kept the previous copy" "clear message: does not parse"
[ "$(count GET /files/ip-ranges.json)" = 1 ] && ok "a body that does not parse is not retried" || bad "requests: $(count GET /files/ip-ranges.json)"
same "$DATA/aws-ip-ranges.json" "$good" "the previous copy is untouched after the bad body"

: >"$ACCESS"
faults '{"/files/ip-ranges.json": ["stall", "stall", "stall"]}'
t0=$(date +%s)
fetch aws-ranges
t1=$(date +%s)
expect_rc 1 "a server that stalls"
expect_out "aws-ranges: failed: .*timed out: no data for 1 s (stall_timeout_s); gave up after 3 attempts; kept the previous copy" "clear message: timed out"
# Some 4 s here; without the stall timeout each attempt would last timeout_s (20 s), 60 s for
# three: 30 s leaves a loaded machine room and still tells them apart.
[ $((t1 - t0)) -lt 30 ] && ok "the stall timeout ends each attempt ($((t1 - t0)) s for three)" || bad "stalls took $((t1 - t0)) s"
same "$DATA/aws-ip-ranges.json" "$good" "the previous copy is untouched after the stalls"
faults '{}'

cp "$SOURCES" "$T/broken.toml"
cat >>"$T/broken.toml" <<TOML
[source.truncated-xz]
kind = "file"
format = "hitlist"
url = "$BASE/files/truncated.txt.xz"
file = "ipv6-hitlist.txt"
[source.refused]
kind = "file"
format = "aws-ranges"
url = "https://127.0.0.1:1/ip-ranges.json"
file = "aws-ip-ranges.json"
[source.capped]
kind = "file"
format = "hitlist"
url = "$BASE/files/responsive-addresses.txt.xz"
file = "ipv6-hitlist.txt"
max_bytes = 1000
[source.escapes]
kind = "file"
format = "dnsdb"
url = "$BASE/files/escapes.jsonl"
file = "escapes.jsonl"
TOML
# A passive-DNS body whose bad record quotes terminal escapes (retitle, clear, C1 CSI) and a
# long value: the message shows them escaped and cut, never raw (issue 14, item 15).
printf '{"rrname":"a.example.","rrtype":"CNAME","time_first":1,"time_last":2,"rdata":"\\u001b]2;owned\\u0007\\u001b[2J\\u009b31m%s"}\n' \
  "$(head -c 5000 /dev/zero | tr '\0' x)" >"$F/escapes.jsonl"
SOURCES_FILE=$T/broken.toml fetch truncated-xz
expect_rc 1 "an xz file that ends early"
expect_out "truncated-xz: failed: .*xz data ends early (truncated download); kept the previous copy" "clear message: truncated xz"
same "$DATA/ipv6-hitlist.txt" "$T/hitlist.txt" "the previous hitlist is untouched"
SOURCES_FILE=$T/broken.toml fetch refused
expect_rc 1 "nothing listens"
expect_out "refused: failed: .*onnect.*gave up after 3 attempts; kept the previous copy" "clear message: cannot connect, retried"
SOURCES_FILE=$T/broken.toml fetch capped
expect_rc 1 "larger than the size cap"
expect_out "capped: failed: .*larger than the size cap of 1000 bytes; kept the previous copy" "clear message: size cap"
same "$DATA/ipv6-hitlist.txt" "$T/hitlist.txt" "the previous hitlist is untouched after the cap"
SOURCES_FILE=$T/broken.toml fetch escapes
expect_rc 1 "a body that quotes terminal escapes"
expect_out 'CNAME rdata "\\x1B\]2;owned\\x07\\x1B\[2J\\xC2\\x9B31mxxx' "the escapes are shown escaped"
if grep -q $'\033\|\a\|\xc2\x9b' "$T/out.log"; then bad "a raw escape from the body reached the output"; show; else
  ok "no raw escape from the body in the output"; fi
[ "$(wc -L <"$T/out.log")" -lt 2000 ] && ok "no message line quotes the whole body" ||
  bad "a message line of $(wc -L <"$T/out.log") bytes"
no_parts

# The guard: with IOTMAP_FETCH_LOOPBACK_ONLY=1 a real URL is refused before any packet.
printf '[fetch]\nca_file = "%s"\nretries = 0\n' "$T/pki/ca.pem" >"$T/real.toml"
SOURCES_FILE=$T/real.toml fetch aws-ranges
expect_rc 1 "a real URL under the loopback guard"
expect_out "aws-ranges: failed: https://ip-ranges.amazonaws.com/ip-ranges.json: refused: IOTMAP_FETCH_LOOPBACK_ONLY is set and ip-ranges.amazonaws.com is not a loopback address" "the guard refuses a non-loopback host"

# === 4. DNSDB: names and record sets, the key never shown ===
# A quota of one look-up left: the reverse look-ups stop after the first (issue #12, item 2).
printf '{"rate": {"limit": 5, "remaining": 1, "reset": 4102444800}}\n' >"$ROOT/rate.json"
fetch dnsdb
expect_rc 0 "DNSDB fetched"
[ "$(q "SELECT count(*) FROM pdns WHERE source = 'dnsdb'")" = 4 ] && ok "4 passive DNS records imported (A x2, AAAA, CNAME)" ||
  bad "pdns rows: $(q "SELECT rrname, rrtype, rdata FROM pdns")"
names=$(q "SELECT n.name FROM names n JOIN name_sources s ON s.name_id = n.id WHERE s.source = 'pdns' ORDER BY n.name")
[ "$names" = "$(printf 'a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.\niotlab-hub.azure-devices.net.')" ] &&
  ok "the provider names became candidate names (www.shop-alpha.test did not)" || bad "names: $names"
[ "$(q "SELECT provider FROM names WHERE name = 'iotlab-hub.azure-devices.net.'")" = microsoft ] && ok "with their provider" || bad "provider"
grep -q '"rrname": *"iotlab-hub.azure-devices.net."' "$DATA/dnsdb-rrsets.jsonl" && ok "the record sets are kept as DNSDB JSON lines" || bad "dnsdb file"
grep -q "^GET /dnsdb/v2/regex/rrnames/%5E" "$ACCESS" && ok "flexible regex searches were made" || bad "no flexible search"
grep -q "^GET /dnsdb/v2/lookup/rrset/name/iotlab-hub.azure-devices.net?time_last_after=" "$ACCESS" && ok "rrset look-ups were made" || bad "no rrset look-up"
# Reverse look-ups: the candidate addresses 198.51.100.10 and .11 share one /24 query, the IPv6
# address has its own; the quota allowed one, the other waits for the next run.
V4_PATH=/dnsdb/v2/lookup/rdata/ip/198.51.100.0%2C24
V6_PATH=/dnsdb/v2/lookup/rdata/ip/2001%3Adb8%3Aa5%3A1%3A%3A10
asked() { grep -c "^GET $1?" "$ACCESS" || true; }
grep -q "^GET /dnsdb/v2/rate_limit " "$ACCESS" && ok "the quota was asked first" || bad "no rate_limit request"
[ "$(asked "$V4_PATH")" = 1 ] && ok "one /24 look-up for two addresses" || bad "/24 look-ups: $(grep rdata "$ACCESS")"
[ "$(asked "$V6_PATH")" = 0 ] && ok "no look-up past the quota" || bad "IPv6 look-up despite the quota"
expect_out "dnsdb: reverse look-ups: quota reached (0 left, resets 2100-01-01 00:00:00 UTC); 1 look-up left for the next run" "the quota stop is said"
[ "$(q "SELECT source FROM fetches WHERE source LIKE 'dnsdb-rdata:%' AND fetched_at > 0")" = "dnsdb-rdata:198.51.100.0,24" ] &&
  ok "the look-up is recorded with its time" || bad "fetches: $(q "SELECT source, fetched_at FROM fetches")"
[ "$(q "SELECT kind || ' ' || source FROM address_names WHERE ip = '198.51.100.11' AND name = 'www.news-bravo.test.'")" = "pdns dnsdb-rdata" ] &&
  ok "another site on the provider's address, found in reverse, is address evidence" || bad "address_names: $(q "SELECT * FROM address_names")"
# The next run resumes with the IPv6 address only, through a 429 (Retry-After 1 s).
printf '{"rate": {"limit": 5, "remaining": 5, "reset": 4102444800}}\n' >"$ROOT/rate.json"
printf '{"%s": ["429:1"]}\n' "$V6_PATH" >"$ROOT/faults.json"
fetch dnsdb
expect_rc 0 "DNSDB fetched again"
[ "$(asked "$V4_PATH")" = 1 ] && ok "the /24 looked up in the window is not asked again" || bad "/24 asked again"
[ "$(grep -c "^GET $V6_PATH?time_last_after=[^ ]* 429\$" "$ACCESS")" = 1 ] && [ "$(grep -c "^GET $V6_PATH?time_last_after=[^ ]* 200\$" "$ACCESS")" = 1 ] &&
  ok "the IPv6 look-up waited out a 429 and succeeded" || bad "IPv6 look-ups: $(grep rdata "$ACCESS")"
[ "$(q "SELECT count(*) FROM address_names WHERE ip = '2001:db8:a5:1::10' AND name = 'vpn.lima-fitness.test.'")" = 1 ] &&
  ok "its answer is address evidence too" || bad "no IPv6 evidence"
fetch dnsdb
[ "$(grep -c "^GET /dnsdb/v2/lookup/rdata/" "$ACCESS")" = 3 ] && ok "a third run asks nothing: every address was looked up in the window" ||
  bad "rdata requests: $(grep rdata "$ACCESS")"
rm -f "$ROOT/rate.json"
DNSDB_ENV="wrong-$DNSDB_KEY" fetch dnsdb
expect_rc 1 "a wrong DNSDB key"
expect_out "dnsdb: failed: .*HTTP 403 (Error: API key '\[redacted\]' is not valid)" "the server's echo of the key is redacted"
DNSDB_ENV="" fetch dnsdb
expect_rc 7 "no DNSDB key: skipped"
expect_out "dnsdb: skipped: no API key: set IOTMAP_DNSDB_KEY" "clear message: no key"

# === 5. crt.sh: names from certificates ===
fetch crtsh
expect_rc 0 "crt.sh fetched"
ct=$(q "SELECT n.name FROM names n JOIN name_sources s ON s.name_id = n.id WHERE s.source = 'ct' ORDER BY n.name")
[ "$ct" = "$(printf 'ct-account-ats.iot.eu-west-1.amazonaws.com.\nct-hub-1.azure-devices.net.\nct-hub-2.azure-devices.net.')" ] &&
  ok "certificate names that match a provider pattern became candidate names (wildcards and www.unrelated.example did not)" || bad "ct names: $ct"
[ -f "$DATA/crtsh/azure-devices.net.json" ] && [ -f "$DATA/crtsh/_.iot._.amazonaws.com.json" ] && ok "crt.sh answers kept per domain or pattern" || bad "crtsh files: $(ls "$DATA/crtsh")"
grep -q "^GET /?q=%25.iot.%25.amazonaws.com&output=json&exclude=expired " "$ACCESS" && ok "an identity pattern is sent as it stands" || bad "crt.sh pattern query"
grep -q "^GET /?q=%25.azure-devices.net&output=json&exclude=expired " "$ACCESS" && ok "queried as %.<domain>, JSON, without expired certificates" || bad "crt.sh query"

# === 6. RIPE Atlas: create, poll, results -> resolutions of the probe group ===
: >"$ACCESS"
fetch atlas
expect_rc 0 "Atlas measurements created, polled and collected"
[ "$(count POST /api/v2/measurements/)" = 2 ] && ok "two create requests (2 definitions per request)" || bad "creates: $(count POST /api/v2/measurements/)"
[ "$(grep -c '^GET /api/v2/measurements/[0-9]*/ 200' "$ACCESS")" = 6 ] && ok "each measurement polled until stopped (Ongoing, then Stopped)" || bad "polls: $(grep -c '^GET /api/v2/measurements/[0-9]*/ ' "$ACCESS")"
res=$(q "SELECT n.name || ' ' || r.status || ' ' || coalesce((SELECT group_concat(ip, ',') FROM resolution_answers a WHERE a.resolution_id = r.id), '') || ' ' || r.cname_chain
         FROM resolutions r JOIN names n ON n.id = r.name_id JOIN vantage_points v ON v.id = r.vantage_id
         WHERE v.name = 'atlas-lab' ORDER BY n.name")
expected=$(printf '%s\n' \
  'a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com. NOERROR 198.51.100.12 []' \
  'doesnotexist.azure-devices.net. NXDOMAIN  []' \
  'iotlab-hub.azure-devices.net. NOERROR 203.0.113.70 ["ihsu-prod-am-001.cloudapp.net."]')
[ "$res" = "$expected" ] && ok "resolutions stored for vantage point atlas-lab" || { bad "resolutions:"; echo "$res"; }
[ "$(q "SELECT location FROM vantage_points WHERE name = 'atlas-lab'")" = "RIPE Atlas: 3 probes, country ZZ" ] && ok "the vantage point says what it is" || bad "vantage point"
ls "$DATA/atlas/"*.json >/dev/null 2>&1 && ok "Atlas results kept as files" || bad "no atlas results files"

# === 7. the keys appear nowhere: logs, errors, database, files, URLs ===
leak=0
for k in "$DNSDB_KEY" "$ATLAS_KEY"; do
  if grep -rqF -- "$k" "$ALL" "$DATA" "$ACCESS"; then leak=1; fi
  if sqlite3 "$DB" .dump | grep -qF -- "$k"; then leak=1; fi
  if grep -qF -- "$k" "$DB"; then leak=1; fi
done
[ "$leak" = 0 ] && ok "no API key in the output, the data files, the database or any URL" || bad "an API key leaked"

echo "fetch_test: $fails failures"
[ "$fails" = 0 ]
