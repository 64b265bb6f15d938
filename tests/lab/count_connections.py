#!/usr/bin/env python3
"""Counts the TCP connections a scan makes: the listener the ethics lab tests count with.

  count_connections.py LOG PORTS ADDRESS...

  count_connections.py --sync LOG

Listens on every ADDRESS (IPv4 or IPv6) at each of PORTS (comma-separated), accepts every
connection, closes it at once, and appends one line per accepted connection to LOG:
"<local address> <local port> <peer address> <monotonic seconds>". The time is when the
connection's last packet arrived (the kernel's TCP_INFO), not when this process got round to
accepting it: on a loaded machine the listener can be descheduled for a second while
connections queue, and the gaps between them are what the tests check. A connection to an
IPv4-mapped target ::ffff:a.b.c.d arrives at the IPv4 listener of a.b.c.d and is logged
there. Prints "ready" when every socket listens. Standard library only; the tests run it in a
network namespace with `ip netns exec`, which execs it in place, so $! is the listener.

A scan's connections are complete (in the kernel's accept queue) when the scan exits, but not
yet logged. `--sync LOG` asks the listener, through the Unix socket LOG.sync, to accept and log
every connection queued so far, and returns when it has: the tests count after it.
"""
import struct
import selectors
import socket
import sys
import time


def listen_on(pairs, backlog=128):
    """A selector with a listening TCP socket per (address, port), each keyed by that pair."""
    sel = selectors.DefaultSelector()
    for address, port in pairs:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((address, port))
        s.listen(backlog)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, (address, port))
    return sel


def arrival(conn):
    """The monotonic time the connection's last packet arrived (tcpi_last_data_recv, ms ago)."""
    info = conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    (last_data_recv_ms,) = struct.unpack_from("I", info, 52)
    return time.monotonic() - last_data_recv_ms / 1000


def drain(sock, where, log):
    """Accepts and logs every connection queued on the listening socket."""
    while True:
        try:
            conn, peer = sock.accept()
        except BlockingIOError:
            return
        log.write(f"{where[0]} {where[1]} {peer[0]} {arrival(conn):.3f}\n")
        conn.close()


def main(log_path, ports, addresses):
    log = open(log_path, "a", buffering=1, encoding="ascii")
    sel = listen_on([(address, port) for address in addresses for port in ports])
    listeners = [(key.fileobj, key.data) for key in sel.get_map().values()]
    sync = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sync.bind(log_path + ".sync")
    sync.listen(8)
    sel.register(sync, selectors.EVENT_READ, None)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            if key.data is not None:
                drain(key.fileobj, key.data, log)
                continue
            asker, _ = sync.accept()
            for sock, where in listeners:
                drain(sock, where, log)
            asker.sendall(b"synced\n")
            asker.close()


def ask_sync(log_path):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(60)
        s.connect(log_path + ".sync")
        if s.recv(16) != b"synced\n":
            sys.exit("count_connections.py: the listener did not confirm the sync")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--sync":
        ask_sync(sys.argv[2])
    elif len(sys.argv) < 4:
        sys.exit("usage: count_connections.py LOG PORTS ADDRESS... | --sync LOG")
    else:
        main(sys.argv[1], [int(p) for p in sys.argv[2].split(",")], sys.argv[3:])
