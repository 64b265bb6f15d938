#!/usr/bin/env bash
# `iotmap info-page`: the page names the contact and says how to opt out; --write writes it;
# --serve answers on 127.0.0.1 only and curl fetches it; no contact means exit 6.
# Usage: ops_info_page_test.sh IOTMAP_BINARY SOURCE_DIR. Only loopback is used.
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: ops_info_page_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: ops_info_page_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"


tmp=$(mktemp -d)
server=
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/c.toml" <<'TOML'
[ethics]
contact = "iot-scan@example.org"
blocklist_file = "/dev/null"
TOML

run --config "$tmp/c.toml" info-page --operator "Example Lab <measurement>"
check "the page names the contact" 0 'mailto:iot-scan@example.org'
check "the page says how to opt out" 0 'How to opt out'
check "the page says the next scan honours it" 0 'the next scan does not connect to them'
check "the page names the operator, escaped" 0 'Example Lab &lt;measurement&gt;'
check "the page lists the catalogue's ports" 0 'TCP [0-9, ]*8883'
check "the page names the research" 0 'Deep Dive into the IoT Backend Ecosystem'

run info-page
check "no contact: refused with exit 6" 6 'ethics.contact'

run --config "$tmp/c.toml" info-page --write "$tmp/www/index.html"
check "--write into a missing directory fails" 1 'cannot write'
mkdir -p "$tmp/www"
run --config "$tmp/c.toml" info-page --write "$tmp/www/index.html"
check "--write writes the page" 0 'wrote .*index.html'
grep -q 'iot-scan@example.org' "$tmp/www/index.html" && ok "the written page has the contact" ||
  bad "the written page has no contact"
[ ! -e "$tmp/www/index.html.tmp" ] && ok "no temporary file left" || bad "index.html.tmp left"

run --config "$tmp/c.toml" info-page --serve 127.0.0.1:8080 --write x
check "--serve and --write together: usage" 2 'not both'
run --config "$tmp/c.toml" info-page --serve localhost:8080
check "--serve wants an address" 2 'not an IP address'

# Serve on an ephemeral port of 127.0.0.1 and fetch the page with curl.
serve_info_page "$tmp/c.toml" "$tmp"
if [ -z "$url" ]; then
  bad "the server did not say where it listens: $(cat "$tmp/serve.log")"
else
  ok "serving at $url"
  port=${url##*:}; port=${port%/}
  body=$(curl -sS --max-time 10 "$url")
  grep -q 'iot-scan@example.org' <<<"$body" && ok "curl gets the page with the contact" ||
    bad "curl: no contact in: $(head -c 500 <<<"$body")"
  grep -q 'How to opt out' <<<"$body" && ok "curl gets the opt-out instructions" ||
    bad "curl: no opt-out instructions"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "${url}nothing-here")
  [ "$code" = 404 ] && ok "another path is 404" || bad "another path gave $code"
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X POST "$url")
  [ "$code" = 405 ] && ok "POST is 405" || bad "POST gave $code"
  head=$(curl -sS -I --max-time 10 "$url")
  grep -qi '^content-type: text/html' <<<"$head" && ok "HEAD gives the headers" || bad "HEAD: $head"
  # Ten requests at once are all answered.
  for i in $(seq 1 10); do curl -s --max-time 10 -o "$tmp/par.$i" "$url" & done
  wait $(jobs -p | grep -vx "$server") 2>/dev/null
  n=$(grep -l 'iot-scan@example.org' "$tmp"/par.* | wc -l)
  [ "$n" = 10 ] && ok "ten parallel requests answered" || bad "only $n of 10 parallel requests answered"
  # Clients that connect and send nothing (more than the 64 slots) do not keep the page from a
  # new one: the server drops the longest-waiting silent client to make room. A request head
  # that never ends is refused at 8 KiB with 431.
  idle=$(python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
silent = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(80)]
time.sleep(0.3)
def ask(data):  # within 5 s: a silent client's own time limit is 10 s
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    out = b""
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            return "no answer within 5 s"
        if not b:
            return out.split(b"\r\n", 1)[0].decode()
        out += b
print(ask(b"GET / HTTP/1.0\r\n\r\n") + "|" + ask(b"GET / HTTP/1.0\r\nX: " + b"a" * 9000))
PY
)
  [ "${idle%%|*}" = "HTTP/1.1 200 OK" ] && ok "80 silent clients do not keep the page from another" ||
    bad "with 80 silent clients connected a request got: ${idle%%|*}"
  [ "${idle#*|}" = "HTTP/1.1 431 Request Header Fields Too Large" ] &&
    ok "a request head over 8 KiB is refused with 431" || bad "an endless request head got: ${idle#*|}"
  # It listens on the address given and nowhere else.
  listen=$(ss -Hltn "sport = :$port" | awk '{print $4}')
  [ "$listen" = "127.0.0.1:$port" ] && ok "listens on 127.0.0.1:$port only" ||
    bad "listening sockets on port $port: $listen"
  kill -TERM "$server"
  wait "$server"
  rc=$?
  server=
  [ "$rc" = 0 ] && ok "SIGTERM stops it with exit 0" || bad "after SIGTERM exit $rc"
  grep -q 'stopped after' "$tmp/serve.log" && ok "it says it stopped" || bad "no stop message"
fi

ops_summary ops_info_page_test
