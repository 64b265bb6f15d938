#!/usr/bin/env python3
"""TLS servers of the simulated fortnight, all in one process (standard library only).

  tls_server.py STATE_DIR

Listens on every (address, port) of STATE_DIR/listen.json and, for each connection, presents
the certificate that STATE_DIR/tls.json assigns to the (address, port) today: the driver
rewrites tls.json (atomically) when a day changes a certificate, and the server reads it again
when its modification time changes. After the handshake it answers like the service the port
stands for, enough for iotmap's probes: an MQTT CONNACK (accepted) to a CONNECT, an HTTP 200
to a request. An (address, port) without a certificate today closes the connection at once.
Runs inside the lab's network namespace; prints "ready" when every socket listens.
"""
import json
import os
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from count_connections import listen_on  # noqa: E402  (tests/lab/, one listener set-up)


class Certificates:
    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, "tls.json")
        self.pki = os.path.join(state_dir, "pki")
        self.mtime = None
        self.table = {}
        self.contexts = {}
        self.lock = threading.Lock()

    def context(self, address, port):
        """(SSLContext, protocol) for today, or None."""
        with self.lock:
            mtime = os.stat(self.path).st_mtime_ns
            if mtime != self.mtime:
                with open(self.path, encoding="utf-8") as f:
                    self.table = json.load(f)
                self.mtime = mtime
            entry = self.table.get("%s %d" % (address, port))
            if entry is None:
                return None
            cert, protocol = entry
            if cert not in self.contexts:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(os.path.join(self.pki, cert + ".chain.pem"),
                                    os.path.join(self.pki, cert + ".key"))
                self.contexts[cert] = ctx
            return self.contexts[cert], protocol


def recv_some(conn, want):
    """Reads until `want` says the request is complete (or the peer stops)."""
    data = b""
    while not want(data):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def mqtt_connect_done(data):
    if len(data) < 2:
        return False
    length, shift, i = 0, 0, 1
    while i < len(data) and i < 5:
        length |= (data[i] & 0x7F) << shift
        if not data[i] & 0x80:
            return len(data) >= i + 1 + length
        shift, i = shift + 7, i + 1
    return False


def serve(conn, certs, address, port):
    try:
        conn.settimeout(10)
        found = certs.context(address, port)
        if found is None:
            return
        ctx, protocol = found
        with ctx.wrap_socket(conn, server_side=True) as tls:
            if protocol == "mqtt":
                recv_some(tls, mqtt_connect_done)
                tls.sendall(b"\x20\x02\x00\x00")
            else:
                recv_some(tls, lambda d: b"\r\n\r\n" in d)
                tls.sendall(b"HTTP/1.1 200 OK\r\nServer: fortnight\r\nContent-Length: 0\r\n"
                            b"Connection: close\r\n\r\n")
    except (OSError, ssl.SSLError):
        pass  # a scanner that stops after the certificate, or a closed connection
    finally:
        conn.close()


def main(state_dir):
    with open(os.path.join(state_dir, "listen.json"), encoding="utf-8") as f:
        listen = json.load(f)
    certs = Certificates(state_dir)
    sel = listen_on([(address, port) for address, port in listen], backlog=64)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept()
            threading.Thread(target=serve, args=(conn, certs) + key.data, daemon=True).start()


if __name__ == "__main__":
    main(sys.argv[1])
