#!/usr/bin/env python3
"""Encodes the flows of an nfdump CSV (`nfdump -o csv`: ts, sa, da, sp, dp, pr, ipkt, ibyt) as
IPFIX (RFC 7011) or NetFlow v9 (RFC 3954), the way softflowd exports them: start and end as
flowStart/EndSysUpTime, the exporter's boot time in an IPFIX options record
(systemInitTimeMilliseconds) or in the v9 header (sysUptime, unix_secs). Written from the RFCs,
independently of iotmap's reader (libfixbuf), so that each checks the other.

  flows_to_ipfix.py CSV ipfix FILE              an IPFIX file: the messages one after another
  flows_to_ipfix.py CSV ipfix-udp ADDR:PORT     the same messages as UDP datagrams
  flows_to_ipfix.py CSV netflow9-udp ADDR:PORT  NetFlow v9 datagrams
"""
import calendar
import ipaddress
import socket
import struct
import sys
import time

PER_MESSAGE = 20
FIELDS = [(22, 4), (21, 4), (1, 4), (2, 4), (7, 2), (11, 2), (4, 1)]  # after the addresses
V4 = [(8, 4), (12, 4)] + FIELDS
V6 = [(27, 16), (28, 16)] + FIELDS
PROTOCOLS = {"TCP": 6, "UDP": 17, "ICMP": 1}


def flows(path):
    cols = None
    for line in open(path):
        cells = line.rstrip("\n").split(",")
        if cells[0] == "ts":
            cols = {name: i for i, name in enumerate(cells)}
            continue
        if cols is None or len(cells) < len(cols) or not cells[0][:1].isdigit():
            continue
        c = lambda k: cells[cols[k]].strip()
        start = calendar.timegm(time.strptime(c("ts")[:19], "%Y-%m-%d %H:%M:%S"))
        pr = c("pr")
        yield (start, ipaddress.ip_address(c("sa")), ipaddress.ip_address(c("da")), int(c("sp")),
               int(c("dp")), PROTOCOLS.get(pr.upper(), int(pr) if pr.isdigit() else 0),
               int(c("ipkt") or 0), int(c("ibyt")))


def template(tid, fields):
    return struct.pack("!HH", tid, len(fields)) + b"".join(struct.pack("!HH", *f) for f in fields)


def record(flow, init_ms):
    start, sa, da, sp, dp, pr, pkts, byts = flow
    up = start * 1000 - init_ms
    return (sa.packed + da.packed + struct.pack("!IIIIHHB", up, up + 1000, byts, pkts, sp, dp, pr))


def chunks(items):
    for i in range(0, len(items), PER_MESSAGE):
        yield items[i:i + PER_MESSAGE]


def ipfix_messages(all_flows, init_ms):
    templates = template(256, V4) + template(257, V6)
    tset = struct.pack("!HH", 2, 4 + len(templates)) + templates
    opt = struct.pack("!HHHHHHH", 258, 2, 1, 143, 4, 160, 8)
    oset = struct.pack("!HH", 3, 4 + len(opt)) + opt
    odata = struct.pack("!I", 1) + struct.pack("!Q", init_ms)
    seq = 0
    for part in chunks(all_flows):
        body = tset + oset + struct.pack("!HH", 258, 4 + len(odata)) + odata
        count = 1
        for tid, version in ((256, 4), (257, 6)):
            recs = [record(f, init_ms) for f in part if f[1].version == version]
            if recs:
                data = b"".join(recs)
                body += struct.pack("!HH", tid, 4 + len(data)) + data
                count += len(recs)
        export = max(f[0] for f in part) + 1
        yield struct.pack("!HHIII", 10, 16 + len(body), export, seq, 0) + body
        seq += count


def netflow9_packets(all_flows, init_ms):
    templates = template(256, V4) + template(257, V6)
    tset = struct.pack("!HH", 0, 4 + len(templates)) + templates
    for seq, part in enumerate(chunks(all_flows)):
        body, count = tset, 2
        for tid, version in ((256, 4), (257, 6)):
            recs = [record(f, init_ms) for f in part if f[1].version == version]
            if recs:
                data = b"".join(recs)
                pad = (4 - len(data) % 4) % 4
                body += struct.pack("!HH", tid, 4 + len(data) + pad) + data + b"\0" * pad
                count += len(recs)
        export = max(f[0] for f in part) + 1
        yield struct.pack("!HHIIII", 9, count, export * 1000 - init_ms, export, seq, 0) + body


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("ipfix", "ipfix-udp", "netflow9-udp"):
        sys.exit(__doc__)
    all_flows = list(flows(sys.argv[1]))
    init_ms = (min(f[0] for f in all_flows) - 60) * 1000
    kind, target = sys.argv[2], sys.argv[3]
    make = netflow9_packets if kind == "netflow9-udp" else ipfix_messages
    messages = list(make(all_flows, init_ms))
    if kind == "ipfix":
        with open(target, "wb") as out:
            out.write(b"".join(messages))
        return
    host, port = target.rsplit(":", 1)
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
    for m in messages:
        s.sendto(m, (host.strip("[]"), int(port)))
        time.sleep(0.001)


if __name__ == "__main__":
    main()
