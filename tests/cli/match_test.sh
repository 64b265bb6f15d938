#!/usr/bin/env bash
# `iotmap match` and `iotmap providers` as a user runs them: names as arguments and on stdin,
# bad input lines (reported as <stdin>:LINE, exit code 7), the provider list in text and JSON,
# and a catalogue file given through the configuration. Usage: match_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: match_test.sh IOTMAP_BINARY SOURCE_DIR}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
expect() { # expect DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1"$'\n       expected: '"$2"$'\n       actual:   '"$3"; fi
}
contains() { # contains DESCRIPTION NEEDLE HAYSTACK
  case "$3" in *"$2"*) ok "$1" ;; *) bad "$1"$'\n       missing: '"$2"$'\n       in:      '"$3" ;; esac
}
TAB=$'\t'

# --- names as arguments ------------------------------------------------------------------------
out=$("$IOTMAP" match a1b2c3-ats.iot.eu-west-1.amazonaws.com example.com command-9.amcrestcloud.com \
  samsung-eu.whisk.com myhub.azure-devices.net 2>"$TMP/err")
rc=$?
expect "match (arguments): exit code" 0 "$rc"
expect "match (arguments): output" \
  "a1b2c3-ats.iot.eu-west-1.amazonaws.com${TAB}aws${TAB}eu-west-1
command-9.amcrestcloud.com${TAB}amcrest${TAB}primary
samsung-eu.whisk.com${TAB}samsung${TAB}support
myhub.azure-devices.net${TAB}microsoft${TAB}" "$out"
expect "match (arguments): nothing on stderr" "" "$(cat "$TMP/err")"

out=$("$IOTMAP" match example.com 2>&1)
rc=$?
expect "match: a non-matching name prints nothing" "" "$out"
expect "match: a non-matching name is no error" 0 "$rc"

out=$("$IOTMAP" match mqtt.googleapis.com 'a/b.example' 2>"$TMP/err")
rc=$?
expect "match (bad argument): exit code 7" 7 "$rc"
expect "match (bad argument): good names still printed" "mqtt.googleapis.com${TAB}google${TAB}" "$out"
contains "match (bad argument): error names the argument" "<args>:2: not a domain name (bad character '/')" "$(cat "$TMP/err")"

# --- names on stdin ----------------------------------------------------------------------------
out=$(printf '%s\n' X.IOT-MQTTS.CN-NORTH-4.MYHUAWEICLOUD.COM. www.example.org ' tenant.eu10.cp.iot.sap ' \
  | "$IOTMAP" match 2>"$TMP/err")
rc=$?
expect "match (stdin): exit code" 0 "$rc"
expect "match (stdin): output" "X.IOT-MQTTS.CN-NORTH-4.MYHUAWEICLOUD.COM.${TAB}huawei${TAB}cn-north-4
tenant.eu10.cp.iot.sap${TAB}sap${TAB}eu10" "$out"

long=$(printf 'a%.0s' $(seq 1 250)).com
out=$(printf '%s\n' dev.na.airvantage.net 'x..iot.sap' "$long" 'c2.credentials.iot.us-east-1.amazonaws.com' \
  'bad name.example' "*.iot.us-east-1.amazonaws.com" | "$IOTMAP" match 2>"$TMP/err")
rc=$?
err=$(cat "$TMP/err")
expect "match (bad stdin lines): exit code 7" 7 "$rc"
expect "match (bad stdin lines): the good lines are matched" "dev.na.airvantage.net${TAB}sierra${TAB}na
*.iot.us-east-1.amazonaws.com${TAB}aws${TAB}us-east-1" "$out"
contains "match: empty label reported as <stdin>:2" '<stdin>:2: not a domain name (empty label): "x..iot.sap"' "$err"
contains "match: long name reported as <stdin>:3" "<stdin>:3: not a domain name (longer than 253 characters)" "$err"
contains "match: bad character reported as <stdin>:5" "<stdin>:5: not a domain name (bad character \\x20)" "$err"
contains "match: summary of skipped lines" "3 input lines skipped" "$err"
expect "match: exactly the bad lines are reported" 4 "$(wc -l <"$TMP/err")"

out=$("$IOTMAP" match </dev/null 2>&1)
rc=$?
expect "match (empty stdin): exit code" 0 "$rc"
expect "match (empty stdin): no output" "" "$out"

# --- providers ---------------------------------------------------------------------------------
out=$("$IOTMAP" providers 2>&1)
rc=$?
expect "providers: exit code" 0 "$rc"
contains "providers: summary" "16 providers, 49 device services" "$out"
contains "providers: a dictionary brand" "ecobee" "$(printf '%s\n' "$out" | grep '^ecobee ')"
for id in alibaba aws baidu bosch cisco fujitsu google huawei ibm microsoft oracle ptc sap siemens sierra tencent; do
  n=$(printf '%s\n' "$out" | grep -c "^$id ")
  expect "providers: one row for $id" 1 "$n"
done
contains "providers: google is historical" "historical" "$(printf '%s\n' "$out" | grep '^google ')"
contains "providers: AWS MQTT on 443 with ALPN" "mqtts/443[x-amzn-mqtt-ca]" "$(printf '%s\n' "$out" | grep '^aws ')"

"$IOTMAP" providers --json >"$TMP/providers.json"
expect "providers --json: exit code" 0 "$?"
if command -v python3 >/dev/null; then
  n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["providers"]), len(d["services"]), all(s["docs"] and s["brand"] for s in d["services"]))' "$TMP/providers.json")
  expect "providers --json: 16 providers, 49 services, each with docs and a brand" "16 49 True" "$n"
else
  n=$(grep -c '"historical"' "$TMP/providers.json")
  expect "providers --json: 16 providers" 16 "$n"
fi

"$IOTMAP" providers extra >/dev/null 2>&1
expect "providers: an argument is a usage error" 2 "$?"

# --- a catalogue file through the configuration -------------------------------------------------
cat >"$TMP/catalogue.toml" <<'EOF'
[[provider]]
id = "lab"
name = "Lab IoT"
patterns = ['[a-z0-9_-]+\.(?P<region>r[0-9])\.lab\.example\.']
ports = [{ port = 8883, protocol = "mqtt", tls = true }]
EOF
printf '[catalogue]\nfile = "%s"\n' "$TMP/catalogue.toml" >"$TMP/config.toml"
out=$("$IOTMAP" --config "$TMP/config.toml" match dev.r1.lab.example a1.iot.us-east-1.amazonaws.com 2>&1)
expect "match with a catalogue file" "dev.r1.lab.example${TAB}lab${TAB}r1" "$out"
out=$("$IOTMAP" --config "$TMP/config.toml" providers 2>&1)
contains "providers with a catalogue file" "1 providers, 0 device services" "$out"

printf '[[provider]]\nid = "lab"\nname = "Lab"\npatterns = ["(unclosed"]\nports = []\n' >"$TMP/catalogue.toml"
out=$("$IOTMAP" --config "$TMP/config.toml" match x.example 2>&1)
rc=$?
expect "bad catalogue file: exit code 3" 3 "$rc"
contains "bad catalogue file: error names file, line, key and pattern" \
  "$TMP/catalogue.toml:4: provider[lab].patterns: provider lab: invalid RE2 pattern '(unclosed'" "$out"

echo
echo "match_test: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
