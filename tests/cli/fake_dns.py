# A fake recursive resolver on 127.0.0.1 for the CLI tests (not a test itself):
#   python3 fake_dns.py MODE PORT
# MODE "silent" reads queries and never answers (every query times out); "nxdomain" answers
# every query NXDOMAIN at once. PORT 0: any free port. Prints "ready PORT" once it listens.
import socket, sys
mode, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
print("ready", s.getsockname()[1], flush=True)
while True:
    q, addr = s.recvfrom(4096)
    if mode == "silent" or len(q) < 12:
        continue
    qd = q[12:]
    end = 0
    while end < len(qd) and qd[end] != 0:
        end += qd[end] + 1
    question = qd[:end + 5]
    flags = 0x8000 | (q[2] & 0x01) << 8 | 0x0080 | 3  # QR, RD copied, RA, NXDOMAIN
    s.sendto(q[:2] + flags.to_bytes(2, "big") + b"\x00\x01\x00\x00\x00\x00\x00\x00" + question, addr)
