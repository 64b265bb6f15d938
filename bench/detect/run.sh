#!/usr/bin/env bash
# `iotmap detect` speed (issue 17 item 8): flow records per second from nfdump CSV and from
# IPFIX (the same records) with a full day's hitlist loaded, next to
# `nfdump -r FILE -o csv > /dev/null` on the same flows.
#   bash bench/detect/run.sh [--flows N] [--endpoints M]   (defaults 1,000,000 and 20,000)
# Builds iotmap unless IOTMAP names a binary. The flows: N records from 50,000 sources in 10.0.0.0/16, one in ten
# to a hitlist endpoint (4,000 device services of 5 domains, half of the endpoints, and one
# backend provider with the other half), the rest to unrelated addresses; written as a pcap
# (one TCP SYN each), turned into NetFlow v5 by softflowd and collected by nfcapd on this
# host's loopback, so that nfdump reads its own file and iotmap reads nfdump's CSV of it.
set -euo pipefail
cd "$(dirname "$0")/../.."
flows=1000000 endpoints=20000
while [ $# -gt 0 ]; do
  case $1 in
    --flows) flows=$2; shift 2 ;;
    --endpoints) endpoints=$2; shift 2 ;;
    *) echo "usage: run.sh [--flows N] [--endpoints M]" >&2; exit 2 ;;
  esac
done
# IOTMAP=BINARY runs that binary instead of building one.
if [ -z "${IOTMAP:-}" ]; then
  bash scripts/build.sh iotmap >/dev/null
  IOTMAP=$PWD/build/src/iotmap
fi
work=$(mktemp -d /tmp/iotmap-bench-detect.XXXXXX)
trap 'kill "${collector:-}" 2>/dev/null; rm -rf "$work"' EXIT
# Today, and packets stamped within the last minute: softflowd exports flows read from a file
# with times relative to its own start, right only for a capture of now.
day=$(date -u +%F)

"$IOTMAP" --db "$work/b.db" db migrate >/dev/null 2>&1
python3 - "$work" "$flows" "$endpoints" "$day" <<'PY'
import calendar, random, sqlite3, struct, sys, time
work, flows, endpoints, day = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
random.seed(17)
db = sqlite3.connect(f"{work}/b.db")
rows, eps = [], []
for i in range(endpoints):
    ip = f"198.{18 + i // 65536}.{(i // 256) % 256}.{i % 256}"
    if i < endpoints // 2:
        svc, level, dom = f"svc{i // 5}", "manufacturer", f"d{i % 5}.svc{i // 5}.example."
    else:
        svc, level, dom = "backend1", "backend", f"h{i}.iot.example."
    rows.append((day, svc, dom, ip, 443, "https", "dedicated", level, "primary", "active_dns"))
    eps.append(ip)
db.executemany("INSERT INTO hitlist (date, provider, domain, ip, port, protocol, infrastructure,"
               " level, domain_class, sources) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
db.commit()
t0 = max(int(time.time()) - 60, calendar.timegm(tuple(int(x) for x in day.split("-")) + (0, 0, 1)))
def ip4(s): return bytes(int(x) for x in s.split("."))
with open(f"{work}/flows.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))  # link type 1: Ethernet
    for n in range(flows):
        src = f"10.0.{(n * 7919) % 50000 // 256}.{(n * 7919) % 50000 % 256}"
        dst = random.choice(eps) if n % 10 == 0 else f"203.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        sport = 1024 + n % 60000
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, n & 0xffff, 0, 64, 6, 0, ip4(src), ip4(dst))
        tcp = struct.pack("!HHIIBBHHH", sport, 443, n, 0, 0x50, 0x02, 65535, 0, 0)
        frame = b"\x00" * 12 + b"\x08\x00" + ip + tcp
        ts = t0 + n * 50 // flows
        f.write(struct.pack("<IIII", ts, 0, len(frame), len(frame)) + frame)
PY
mkdir "$work/nf"
nfcapd -w "$work/nf" -b 127.0.0.1 -p 19997 -t 86400 >/dev/null 2>&1 &
collector=$!
sleep 1
softflowd -d -r "$work/flows.pcap" -v 5 -n 127.0.0.1:19997 >/dev/null 2>&1
sleep 2
kill "$collector"; wait "$collector" 2>/dev/null || true
file=$(ls "$work"/nf/nfcapd.* | head -1)
/usr/bin/time -f "%e %U %S %M" -o "$work/t.nfdump" sh -c "TZ=UTC nfdump -r '$file' -o csv > /dev/null"
TZ=UTC nfdump -r "$file" -o csv >"$work/flows.csv"
records=$(grep -cE '^[0-9]{4}-' "$work/flows.csv")
/usr/bin/time -f "%e %U %S %M" -o "$work/t.detect" env IOTMAP_DETECT_KEY=bench-key-0123456789abcdef \
  "$IOTMAP" --db "$work/b.db" detect --no-store "$work/flows.csv" >/dev/null 2>"$work/detect.err"
# The same records as IPFIX (tests/cli/flows_to_ipfix.py: softflowd's template and options
# record), read by libfixbuf.
python3 tests/cli/flows_to_ipfix.py "$work/flows.csv" ipfix "$work/flows.ipfix"
/usr/bin/time -f "%e %U %S %M" -o "$work/t.ipfix" env IOTMAP_DETECT_KEY=bench-key-0123456789abcdef \
  "$IOTMAP" --db "$work/b.db" detect --no-store "$work/flows.ipfix" >/dev/null 2>"$work/ipfix.err"
read -r nw nu ns nm <"$work/t.nfdump"
read -r dw du ds dm <"$work/t.detect"
read -r iw iu is im <"$work/t.ipfix"
python3 - "$records" "$endpoints" "$nw" "$nu" "$ns" "$dw" "$du" "$ds" "$dm" "$iw" "$iu" "$is" "$im" <<'PY'
import sys
r, e = int(sys.argv[1]), int(sys.argv[2])
nw, nu, ns, dw, du, ds, dm, iw, iu, is_, im = map(float, sys.argv[3:14])
print(f"{r} flow records, {e} hitlist endpoints")
print(f"nfdump -r FILE -o csv > /dev/null: {nw:.2f} s wall, {nu+ns:.2f} s CPU: {r/(nu+ns):,.0f} records per CPU second")
print(f"iotmap detect --no-store (CSV):     {dw:.2f} s wall, {du+ds:.2f} s CPU: {r/(du+ds):,.0f} records per CPU second, max RSS {dm/1024:.0f} MiB")
print(f"iotmap detect --no-store (IPFIX):   {iw:.2f} s wall, {iu+is_:.2f} s CPU: {r/(iu+is_):,.0f} records per CPU second, max RSS {im/1024:.0f} MiB")
print(f"ratio detect/nfdump per CPU second: CSV {(nu+ns)/(du+ds):.2f}x, IPFIX {(nu+ns)/(iu+is_):.2f}x")
PY
tail -1 "$work/ipfix.err"
tail -1 "$work/detect.err"
