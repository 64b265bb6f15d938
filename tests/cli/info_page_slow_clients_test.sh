#!/usr/bin/env bash
# The info page's server on 127.0.0.1 cannot be stalled by slow clients: with 64 connections
# open that never send a request (every slot the server has), a normal client still gets the
# page within 8 s (it waited for a slot to time out, 10 s; it takes milliseconds, the bound is
# wide for a loaded CI machine where either process can be descheduled for a second or two).
# Usage: info_page_slow_clients_test.sh IOTMAP_BINARY SOURCE_DIR
set -uo pipefail
export LC_ALL=C
IOTMAP=${1:?usage: info_page_slow_clients_test.sh IOTMAP_BINARY SOURCE_DIR}
SRC=${2:?usage: info_page_slow_clients_test.sh IOTMAP_BINARY SOURCE_DIR}
. "$SRC/tests/cli/ops_common.bash"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

tmp=$(mktemp -d)
server=
trap 'stop_server; rm -rf "$tmp"' EXIT
printf '[ethics]\ncontact = "research@example.org"\n' >"$tmp/c.toml"

serve_info_page "$tmp/c.toml" "$tmp"
port=${url##*:}
port=${port%/}
if [ -z "$url" ]; then
  bad "the server did not say where it listens: $(cat "$tmp/serve.log")"
  ops_summary info_page_slow_clients_test
  exit
fi

# 64 silent clients, then (after the server took them) one normal GET; prints the seconds the
# normal client waited and the status line it got.
out=$("$PY" - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
slow = []
for _ in range(64):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET / HT")  # a request that never ends
    slow.append(s)
time.sleep(0.5)
start = time.monotonic()
c = socket.create_connection(("127.0.0.1", port), timeout=20)
c.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
reply = b""
try:
    while True:
        chunk = c.recv(65536)
        if not chunk:
            break
        reply += chunk
except socket.timeout:
    pass
print("%.2f %s" % (time.monotonic() - start, reply.split(b"\r\n", 1)[0].decode(errors="replace")))
PY
)
echo "normal client: $out"
seconds=${out%% *}
status=${out#* }
same "the normal client got the page" "$status" "HTTP/1.1 200 OK"
awk -v s="$seconds" 'BEGIN { exit !(s != "" && s < 8) }' && ok "within 8 s ($seconds s)" ||
  bad "the normal client waited $seconds s"
kill -0 "$server" 2>/dev/null && ok "the server still runs" || bad "the server died"

ops_summary info_page_slow_clients_test
