#!/usr/bin/env python3
"""Counts the TCP connections a scan makes: the listener the ethics lab tests count with.

  count_connections.py LOG PORTS ADDRESS...

Listens on every ADDRESS (IPv4 or IPv6) at each of PORTS (comma-separated), accepts every
connection, closes it at once, and appends one line per accepted connection to LOG:
"<local address> <local port> <peer address> <monotonic seconds>". A connection to an
IPv4-mapped target ::ffff:a.b.c.d arrives at the IPv4 listener of a.b.c.d and is logged
there. Prints "ready" when every socket listens. Standard library only; the tests run it in a
network namespace with `ip netns exec`, which execs it in place, so $! is the listener.
"""
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
        sel.register(s, selectors.EVENT_READ, (address, port))
    return sel


def main(log_path, ports, addresses):
    log = open(log_path, "a", buffering=1, encoding="ascii")
    sel = listen_on([(address, port) for address in addresses for port in ports])
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            conn, peer = key.fileobj.accept()
            log.write(f"{key.data[0]} {key.data[1]} {peer[0]} {time.monotonic():.3f}\n")
            conn.close()


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit("usage: count_connections.py LOG PORTS ADDRESS...")
    main(sys.argv[1], [int(p) for p in sys.argv[2].split(",")], sys.argv[3:])
