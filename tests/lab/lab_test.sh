#!/usr/bin/env bash
# Checks that the running lab (tests/lab/up) answers exactly as tests/lab/lab.json says:
# every name x type x vantage point, ECS answers, every TLS endpoint's certificate over IPv4 and
# IPv6 with and without SNI, MQTT CONNACK, AMQP, the CDN, the fault fixtures, pfx2as.txt, and that
# no lab server listens outside the lab's namespace. Everything that talks to a lab address runs
# inside the namespace. Usage: lab_test.sh IOTMAP_BINARY(ignored) SOURCE_DIR
set -uo pipefail
export LC_ALL=C
SRC=${2:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$SRC/tests/lab/env.sh"

passed=0
failed=0
T0=$(date +%s)
section() { echo "== [$(( $(date +%s) - T0 ))s] $*"; }
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
expect() { # expect DESCRIPTION EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1"$'\n       expected: '"$2"$'\n       actual:   '"$3"; fi
}
finish() {
  echo
  echo "lab_test: $passed passed, $failed failed"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
  exit $?
}
rows() { $LAB_TOOL rows "$1"; }
need_rows() { # need_rows KIND MIN: the comparison must not pass vacuously
  local n
  n=$(rows "$1" | wc -l)
  if [ "$n" -ge "$2" ]; then ok "lab.json has $n $1 checks"; else bad "lab.json has $n $1 checks (want >= $2)"; fi
}
# dig_summary TYPE: dig output (+noall +comments +answer) on stdin -> RCODE STATUS CHAIN ADDRESSES
# (tab-separated, '-' for none, addresses sorted), the shape of `labtool.py rows dns`.
dig_summary() {
  awk -v qt="$1" '
    /->>HEADER<<-/ { s = $0; sub(/.*status: /, "", s); sub(/,.*/, "", s); rc = s; next }
    /^;/ || NF < 5 { next }
    $4 == "CNAME" { chain = chain (chain == "" ? "" : ",") tolower($5); next }
    $4 == qt { a[n++] = $5 }
    END {
      for (i = 1; i < n; i++) { v = a[i]; for (j = i - 1; j >= 0 && a[j] > v; j--) a[j + 1] = a[j]; a[j + 1] = v }
      addrs = ""; for (i = 0; i < n; i++) addrs = addrs (i ? "," : "") a[i]
      if (rc == "") rc = "NO_RESPONSE"
      st = rc; if (rc == "NOERROR") st = (n ? "ANSWER" : "NODATA")
      printf "%s\t%s\t%s\t%s\n", rc, st, (chain == "" ? "-" : chain), (addrs == "" ? "-" : addrs)
    }'
}
hp() { case "$1" in *:*) echo "[$1]:$2" ;; *) echo "$1:$2" ;; esac; }

section "lab.json ($LAB_JSON)"
if $LAB_TOOL check; then ok "lab.json is consistent (names, endpoints, vantage points differ, CDN SANs, doc ranges)"; else bad "lab.json is inconsistent"; fi
need_rows dns 100
need_rows ecs 4
need_rows tls 20
need_rows mqtt 10
need_rows amqp 2
need_rows https 4
need_rows cdn 20
need_rows zones 2

section "the lab is up"
if grep -qx -- "$LAB_NS" <<<"$(ip netns list | awk '{print $1}')"; then ok "namespace $LAB_NS exists"; else
  bad "namespace $LAB_NS does not exist: run tests/lab/up"
  finish
fi

section "authoritative: every zone's SOA"
while IFS=$'\t' read -r addr port zone; do
  out=$(in_lab dig +norec +time=2 +tries=2 -p "$port" @"$addr" "$zone" SOA +noall +comments +answer 2>&1)
  st=$(echo "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
  aa=$(echo "$out" | grep -c 'flags:.* aa')
  expect "SOA $zone @$addr: NOERROR, authoritative" "NOERROR aa" "$st $([ "$aa" -gt 0 ] && echo aa || echo no-aa)"
done < <(rows zones)

section "every name x type x vantage point (through the vantage point's resolvers)"
while IFS=$'\t' read -r vp addr port subnet name type rcode status chain addrs; do
  opt=()
  [ "$subnet" != - ] && opt=(+subnet="$subnet")
  got=$(in_lab dig +time=2 +tries=2 -p "$port" @"$addr" "$name" "$type" "${opt[@]}" +noall +comments +answer 2>&1 |
    dig_summary "$type")
  expect "$vp @$addr${opt:+ ${opt[*]}}: $name $type" "$rcode"$'\t'"$status"$'\t'"$chain"$'\t'"$addrs" "$got"
done < <(rows dns)

section "EDNS Client Subnet: the answer for the subnet, from the authoritative and through the ECS resolver"
while IFS=$'\t' read -r where addr port subnet name type addrs; do
  norec=()
  [ "$where" = authoritative ] && norec=(+norec)
  out=$(in_lab dig "${norec[@]}" +time=2 +tries=2 -p "$port" @"$addr" "$name" "$type" +subnet="$subnet" +noall +comments +answer 2>&1)
  got=$(echo "$out" | dig_summary "$type" | cut -f1,4)
  expect "ECS $subnet via $where @$addr: $name $type" "NOERROR"$'\t'"$addrs" "$got"
  if [ "$where" = authoritative ]; then
    if grep -q 'CLIENT-SUBNET:' <<<"$out"; then ok "ECS $subnet @$addr: the reply carries a CLIENT-SUBNET option"; else
      bad "ECS $subnet @$addr: the reply has no CLIENT-SUBNET option"; fi
  fi
done < <(rows ecs)

section "TLS certificates (IPv4 and IPv6, without and with SNI), verified against the lab CA"
cert_summary() { # stdin: s_client output; prints CN<TAB>O<TAB>sorted SANs
  openssl x509 -noout -subject -nameopt multiline -ext subjectAltName 2>/dev/null | awk '
    /^ *commonName *= /       { sub(/^ *commonName *= /, ""); cn = $0; next }
    /^ *organizationName *= / { sub(/^ *organizationName *= /, ""); o = $0; next }
    /Subject Alternative Name/ { san = 1; next }
    san { gsub(/ /, ""); n = split($0, p, ","); for (i = 1; i <= n; i++) if (p[i] ~ /^DNS:/) s[k++] = substr(p[i], 5); san = 0 }
    END {
      if (cn == "" && k == 0) { print "no certificate"; exit }
      for (i = 1; i < k; i++) { v = s[i]; for (j = i - 1; j >= 0 && s[j] > v; j--) s[j + 1] = s[j]; s[j + 1] = v }
      out = ""; for (i = 0; i < k; i++) out = out (i ? "," : "") s[i]
      printf "%s\t%s\t%s\n", cn, o, out
    }'
}
while IFS=$'\t' read -r addr port server host sni matches cn o sans; do
  if [ "$sni" = - ]; then
    opt=(-noservername)
    what="no SNI"
  elif [ "$matches" = yes ]; then
    opt=(-servername "$sni" -verify_hostname "$sni")
    what="SNI $sni (name checked)"
  else
    opt=(-servername "$sni")
    what="SNI $sni (certificate does not name it)"
  fi
  out=$(in_lab timeout 10 openssl s_client -connect "$(hp "$addr" "$port")" "${opt[@]}" -CAfile "$LAB_CA" \
    -verify_return_error </dev/null 2>&1)
  if grep -q 'Verify return code: 0 (ok)' <<<"$out"; then v=verified; else
    v="not verified: $(grep -iE 'verify|error' <<<"$out" | tail -n 3 | paste -sd'|' -)"; fi
  expect "$server $(hp "$addr" "$port") $what: certificate" "$cn"$'\t'"$o"$'\t'"$sans"$'\t'verified \
    "$(cert_summary <<<"$out")"$'\t'"$v"
done < <(rows tls)

section "MQTT: CONNACK (raw CONNECT and mosquitto_pub)"
while IFS=$'\t' read -r addr port tls server sni; do
  opt=()
  pubopt=()
  if [ "$tls" = tls ]; then
    opt=(--tls --ca "$LAB_CA")
    [ "$sni" != - ] && opt+=(--sni "$sni")
    pubopt=(--cafile "$LAB_CA" --insecure) # --insecure: the certificate names a host, we connect to an address
  fi
  got=$(in_lab timeout 10 $LAB_TOOL mqtt "$addr" "$port" "${opt[@]}" 2>&1)
  expect "mqtt $tls $(hp "$addr" "$port"): raw CONNECT" "CONNACK rc=0" "$got"
  if in_lab timeout 10 mosquitto_pub -h "$addr" -p "$port" "${pubopt[@]}" -i iotmap-lab-test -t iotmap/lab -m probe 2>/dev/null; then
    ok "mqtt $tls $(hp "$addr" "$port"): mosquitto_pub connects and publishes"
  else
    bad "mqtt $tls $(hp "$addr" "$port"): mosquitto_pub failed"
  fi
done < <(rows mqtt)

section "AMQP (RabbitMQ over TLS)"
while IFS=$'\t' read -r addr port tls server sni; do
  got=$(in_lab timeout 10 $LAB_TOOL amqp "$addr" "$port" --tls --ca "$LAB_CA" 2>&1)
  case "$got" in
    *"Connection.Start version=0-9 product=RabbitMQ"*) ok "amqp $(hp "$addr" "$port"): $got" ;;
    *) bad "amqp $(hp "$addr" "$port"): expected Connection.Start from RabbitMQ, got: $got" ;;
  esac
done < <(rows amqp)

section "HTTPS endpoints answer (with SNI, certificate checked by curl)"
while IFS=$'\t' read -r addr port tls server sni; do
  body=$(in_lab curl -sS --max-time 10 --cacert "$LAB_CA" --resolve "$sni:$port:$addr" "https://$sni:$port/" 2>&1)
  case "$body" in
    "lab-"*" $sni") ok "https $(hp "$addr" "$port") $sni: $body" ;;
    *) bad "https $(hp "$addr" "$port") $sni: unexpected answer: $body" ;;
  esac
done < <(rows https)

section "CDN: many unrelated sites on one address"
cdn_sans=$($LAB_PYTHON -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["cdn"]["certificate"]["sans"]))' "$LAB_JSON")
if [ "$cdn_sans" -ge 10 ]; then ok "the CDN certificate in lab.json has $cdn_sans SANs"; else bad "the CDN certificate has only $cdn_sans SANs"; fi
while IFS=$'\t' read -r addr port site; do
  body=$(in_lab curl -sS --max-time 10 --cacert "$LAB_CA" --resolve "$site:$port:$addr" "https://$site:$port/" 2>&1)
  expect "cdn $(hp "$addr" "$port") serves $site with a valid certificate" "lab-cdn $site" "$body"
done < <(rows cdn)
for addr in $($LAB_PYTHON -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["cdn"]["addresses"]))' "$LAB_JSON"); do
  n=$(in_lab timeout 10 openssl s_client -connect "$(hp "$addr" 443)" -noservername </dev/null 2>/dev/null |
    openssl x509 -noout -ext subjectAltName 2>/dev/null | sed 1d | tr ',' '\n' | grep -c 'DNS:')
  if [ "$n" -ge 10 ]; then ok "cdn $(hp "$addr" 443) without SNI shows a certificate with $n SANs"; else
    bad "cdn $(hp "$addr" 443) without SNI shows a certificate with $n SANs (want >= 10)"; fi
done

section "TLS variants: a TLS 1.3-only, a TLS 1.2-only and a client-certificate-required server"
# s_client_version ADDR PORT OPTION...: the protocol of a completed handshake, or "refused".
s_client_version() {
  local addr=$1 port=$2; shift 2
  in_lab timeout 10 openssl s_client -brief -connect "$(hp "$addr" "$port")" "$@" -CAfile "$LAB_CA" </dev/null 2>&1 |
    awk '/^Protocol version:/ { p = $NF } /^Verification: OK/ { v = 1 } END { print (p != "" && v ? p : "refused") }'
}
while read -r name addr port; do
  case $name in
    tls13_only)
      expect "$name $(hp "$addr" "$port"): TLS 1.3 accepted" TLSv1.3 "$(s_client_version "$addr" "$port" -tls1_3)"
      expect "$name $(hp "$addr" "$port"): TLS 1.2 refused" refused "$(s_client_version "$addr" "$port" -tls1_2)" ;;
    tls12_only)
      expect "$name $(hp "$addr" "$port"): TLS 1.2 accepted" TLSv1.2 "$(s_client_version "$addr" "$port" -tls1_2)"
      expect "$name $(hp "$addr" "$port"): TLS 1.3 refused" refused "$(s_client_version "$addr" "$port" -tls1_3)" ;;
    client_cert_required)
      # Without a client certificate the server ends the session after its own certificate.
      out=$(in_lab timeout 10 openssl s_client -connect "$(hp "$addr" "$port")" -tls1_2 -CAfile "$LAB_CA" </dev/null 2>&1)
      if grep -qiE 'alert (handshake failure|certificate required)|peer did not return a certificate' <<<"$out"; then
        ok "$name $(hp "$addr" "$port"): a client without a certificate is refused"
      else bad "$name $(hp "$addr" "$port"): no refusal without a client certificate: $(tail -3 <<<"$out" | tr '\n' ' ')"; fi ;;
  esac
done < <($LAB_PYTHON -c '
import json, sys
for name, v in json.load(open(sys.argv[1]))["tls_variants"].items():
    if isinstance(v, dict):
        for a in v["addresses"]: print(name, a, v["port"])' "$LAB_JSON")

section "faults"
jq_py() { $LAB_PYTHON -c 'import json,sys; d=json.load(open(sys.argv[1])); exec(sys.argv[2])' "$LAB_JSON" "$1"; }
# dead resolver of vp-dead: assigned, nothing answers
for addr in $(jq_py 'print(" ".join(r["address"] for vp in d["vantage_points"] for r in vp["resolvers"] if r.get("dead")))'); do
  out=$(in_lab dig +time=1 +tries=1 @"$addr" edge.cdn.example A 2>&1)
  if grep -q 'status:' <<<"$out"; then
    bad "dead resolver $addr answered"
  else ok "dead resolver $addr does not answer"; fi
done
# reserved fault addresses: assigned inside the namespace, nothing listening
lo_addrs=$(in_lab ip -o addr show dev lo | awk '{print $4}' | sed 's#/.*##')
listening=$(in_lab ss -ltnuH | awk '{print $5}')
for addr in $(jq_py 'print(" ".join(a for f in d["faults"].values() if isinstance(f, dict) for a in f.get("addresses", [])))'); do
  if grep -qx -- "$addr" <<<"$lo_addrs"; then ok "fault address $addr is assigned in $LAB_NS"; else bad "fault address $addr is not assigned"; fi
  if grep -qE "^\[?$addr\]?:" <<<"$listening"; then bad "something listens on fault address $addr"; else ok "nothing listens on fault address $addr"; fi
done
# CNAME loop and long chain
loop_rc=$(jq_py 'print(d["faults"]["cname_loop"]["resolver_rcode"])')
chain_rc=$(jq_py 'print(d["faults"]["long_cname_chain"]["resolver_rcode"])')
first=$(jq_py 'print(d["faults"]["long_cname_chain"]["first"])')
for res in $(jq_py 'print(" ".join(r["address"] for vp in d["vantage_points"] if vp["name"] in ("vp-a","vp-b") for r in vp["resolvers"]))'); do
  for name in $(jq_py 'print(" ".join(d["faults"]["cname_loop"]["names"]))'); do
    got=$(in_lab dig +time=3 +tries=1 @"$res" "$name" A +noall +comments 2>&1 | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
    expect "CNAME loop $name via $res" "$loop_rc" "$got"
  done
  got=$(in_lab dig +time=3 +tries=1 @"$res" "$first" A +noall +comments 2>&1 | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
  expect "long CNAME chain $first via $res" "$chain_rc" "$got"
done
auth=$(jq_py 'print(d["authoritative"][0]["address"])')
while IFS=$'\t' read -r from to; do
  got=$(in_lab dig +norec +time=2 @"$auth" "$from" CNAME +short 2>&1)
  expect "authoritative: $from is a CNAME to $to" "$to" "$got"
done < <(jq_py 'for k, v in d["faults"]["cname_loop"]["authoritative"].items(): print(k + "\t" + v)')
# walk the long chain at the authoritative, one hop at a time
name=$first
hops=0
while [ "$hops" -le 64 ]; do
  next=$(in_lab dig +norec +time=2 @"$auth" "$name" CNAME +short 2>&1)
  [ -n "$next" ] || break
  name=$next
  hops=$((hops + 1))
done
final=$(in_lab dig +norec +time=2 @"$auth" "$name" A +short 2>&1)
expect "authoritative: the long chain from $first" \
  "$(jq_py 'c=d["faults"]["long_cname_chain"]; print(c["cnames"], c["last"], c["final_address"])')" "$hops $name $final"

section "pfx2as.txt matches lab.json"
expect "tests/lab/pfx2as.txt" "$(rows pfx2as)" "$(grep -v '^#' "$LAB_HOME/pfx2as.txt")"

section "nothing of the lab listens outside its namespace"
lab_pids=$(ip netns pids "$LAB_NS" | sort)
npids=$(echo "$lab_pids" | grep -c .)
if [ "$npids" -ge 7 ]; then ok "$npids processes run in $LAB_NS"; else bad "only $npids processes run in $LAB_NS (want >= 7)"; fi
for f in "$LAB_DIR"/run/*.pid; do
  p=$(cat "$f")
  if [ "$(ip netns identify "$p" 2>/dev/null)" = "$LAB_NS" ]; then ok "$(basename "$f" .pid) (pid $p) runs in $LAB_NS"; else
    bad "$(basename "$f" .pid) (pid $p) does not run in $LAB_NS"; fi
done
host_pids=$(ss -ltnupH | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
common=$(comm -12 <(echo "$lab_pids") <(echo "$host_pids") | paste -sd' ' -)
expect "host namespace: no socket of a lab process (ss -ltnup)" "" "$common"
host_addrs=$(ip -o addr show | awk '{print $4}' | sed 's#/.*##')
leaked=$(comm -12 <($LAB_TOOL addresses | sort) <(echo "$host_addrs" | sort) | paste -sd' ' -)
expect "host namespace: none of the lab's addresses" "" "$leaked"

finish
