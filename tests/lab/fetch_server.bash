# Shared by the lab tests that run `iotmap fetch` against tests/lab/fetch_server.py
# (fetch_test.sh, backend_map_test.sh). Not a test itself. Source it after tests/lab/env.sh.
#
# fetch_server_start DIR PORT ROOT LOG [SERVER-ARGS...]: makes a test CA (DIR/ca.pem) and a
# certificate for 127.0.0.1, starts the stand-in inside the lab namespace on 127.0.0.1:PORT
# serving ROOT (requests logged to LOG, its own output in DIR/server.log), waits until it is
# ready and sets fetch_server_pid; returns 1 (the server's output on stderr) if it does not come up.
# fetch_server_stop: stops it (call it from the test's EXIT trap).
fetch_server_pid="" fetch_server_port=""

fetch_server_start() {
  local dir=$1 port=$2 root=$3 log=$4
  shift 4
  mkdir -p "$dir" "$root"
  openssl req -x509 -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 2 \
    -subj "/O=iotmap fetch test/CN=fetch test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -days 2 \
    -set_serial 2 -out "$dir/server.pem" \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n') 2>/dev/null
  in_lab ip link set lo up 2>/dev/null || true
  rm -f "$root/ready"
  # ip netns exec execs the server, so $! is the server's own pid (a shell function would fork).
  ip netns exec "$LAB_NS" "$LAB_PYTHON" "$SRC/tests/lab/fetch_server.py" --port "$port" \
    --cert "$dir/server.pem" --key "$dir/server.key" --root "$root" --log "$log" "$@" \
    >"$dir/server.log" 2>&1 &
  fetch_server_pid=$! fetch_server_port=$port
  [ -d "$LAB_DIR/run" ] && echo "$fetch_server_pid" >"$LAB_DIR/run/fetch-server-$port.pid"
  for _ in $(seq 1 300); do
    [ -f "$root/ready" ] && return 0
    kill -0 "$fetch_server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the fetch stand-in did not start:" >&2
  cat "$dir/server.log" >&2
  return 1
}

fetch_server_stop() {
  [ -n "$fetch_server_pid" ] || return 0
  kill "$fetch_server_pid" 2>/dev/null || true
  wait "$fetch_server_pid" 2>/dev/null || true
  rm -f "$LAB_DIR/run/fetch-server-$fetch_server_port.pid"
  fetch_server_pid=""
}
