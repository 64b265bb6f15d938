#!/usr/bin/env bash
# The backend map end to end in the lab (tests/lab/up first), against lab.json's hand-derived
# `expected_hitlist`:
#   1. `resolve --once --pdns EVIDENCE --bulk FDNS --ptr` (lab.json `evidence`: other sites on
#      provider addresses, as passive DNS shows them; `ptr`: the reverse zones' names, a hint in
#      the reasons) from the expected_hitlist's vantage points, `fetch dnsdb` from the lab's
#      fetch stand-in (tests/lab/fetch_server.py serving lab.json `evidence.dnsdb_rdata`: its
#      reverse look-ups of the candidate addresses alone make Alibaba's address shared), `scan`
#      of the day's resolutions, `classify --date D` with the lab's pfx2as, a catalogue whose providers own
#      the lab's ASNs (lab.json `asns`), an as2org file naming them and the lab's cloud and CDN
#      ASes (asns[].kind);
#   2. `export hitlist --format csv`: row for row the dedicated expected rows; with
#      --include-shared all of them (date, sources, first_seen, last_seen not compared); the CDN
#      addresses are shared in the export and in ip_verdicts;
#   3. `report footprint --format json`: per provider exactly the ASes, prefixes, locations,
#      strategy and ports that lab.json's pfx2as, asns and regions give for the expected rows'
#      addresses (computed here in Python, independently of the tool);
#   4. `report footprint --format html` rendered by headless Chromium inside the lab namespace
#      (no route out): the DOM has one table row per provider and the charts' SVG elements, the
#      screenshot has the window's size and is not blank, the page refers to no URL.
#   bash tests/lab/backend_map_test.sh IOTMAP_BINARY SOURCE_DIR
# IOTMAP_BACKEND_MAP_KEEP=1 keeps the scratch directory (database, CSV, JSON, HTML, PNG).
set -uo pipefail
. "$(cd "$2" && pwd)/tests/lab/ops_lab.bash" backend_map_test "$@" # IOTMAP, SRC, work; the lab is up
. "$SRC/tests/lab/fetch_server.bash"
trap 'fetch_server_stop; [ -n "${IOTMAP_BACKEND_MAP_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"' EXIT
today=$(date -u +%F)
db=$work/lab.db

# The compiled catalogue with each lab provider's ASNs added to its own (DI needs them), and a
# CAIDA as2org file with the lab's AS names.
"$LAB_PYTHON" - "$LAB_JSON" "$SRC/config/catalogue.toml" "$work" <<'PY'
import json, re, sys
lab = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
ids = lab["expected_hitlist"]["catalogue_ids"]
own = {}
for asn, a in lab["asns"].items():
    if a.get("provider") in ids:
        own.setdefault(ids[a["provider"]], []).append(asn)
blocks = re.split(r"(?m)^(?=\[\[provider\]\])", text)
for i, b in enumerate(blocks):
    m = re.search(r'(?m)^id = "([^"]+)"', b)
    if m and m.group(1) in own:
        b, n = re.subn(r"(?m)^asns = \[([^\]]*)\]",
                       lambda a: "asns = [" + ", ".join(filter(None, [a.group(1).strip()] + own[m.group(1)])) + "]", b)
        assert n == 1, m.group(1)
        blocks[i] = b
open(f"{sys.argv[3]}/catalogue.toml", "w").write("".join(blocks))
with open(f"{sys.argv[3]}/as2org.txt", "w") as f:
    f.write("# format:org_id|changed|org_name|country|source\n")
    for asn, a in lab["asns"].items():
        f.write(f"ORG-{asn}|20240101|{a['name']}|ZZ|LAB\n")
    f.write("# format:aut|changed|aut_name|org_id|opaque_id|source\n")
    for asn, a in lab["asns"].items():
        f.write(f"{asn}|20240101|{a['name']}|ORG-{asn}|x|LAB\n")
with open(f"{sys.argv[3]}/cloud_ases.csv", "w") as f:  # the lab's clouds and CDN (asns[].kind)
    for asn, a in lab["asns"].items():
        kind = "cdn" if "cdn" in a["kind"] else "cloud" if "cloud" in a["kind"] else None
        if kind:
            f.write(f"{asn},{kind},{a['name']}\n")
PY
same "a catalogue with the lab's ASNs and an as2org file" "$?" 0
OPS_VANTAGE_POINTS=$(lab_json '" ".join(d["expected_hitlist"]["vantage_points"])') \
  ops_lab_config "as2org = \"$work/as2org.txt\"
cloud_ases = \"$work/cloud_ases.csv\"
[catalogue]
file = \"$work/catalogue.toml\""

# Passive DNS of today (lab.json evidence) as a DNSDB file: other sites on provider addresses.
"$LAB_PYTHON" - "$LAB_JSON" "$work/evidence.jsonl" <<'PY'
import json, sys, time
lab = json.load(open(sys.argv[1]))
now = int(time.time())
with open(sys.argv[2], "w") as f:
    for name, rrtype, rdata in lab["evidence"]["passive_dns"]:
        f.write(json.dumps({"rrname": name, "rrtype": rrtype, "rdata": [rdata],
                            "time_first": now - now % 86400, "time_last": now}) + "\n")
PY
same "an evidence file from lab.json" "$?" 0
"$LAB_PYTHON" - "$LAB_JSON" "$work/fdns.json.gz" <<'PY'
import gzip, json, sys, time
lab = json.load(open(sys.argv[1]))
with gzip.open(sys.argv[2], "wt") as f:
    for name, rrtype, value in lab["evidence"]["bulk_fdns"]:
        f.write(json.dumps({"timestamp": str(int(time.time())), "name": name, "type": rrtype,
                            "value": value}) + "\n")
PY
same "a Sonar FDNS file from lab.json" "$?" 0

# --- 1. resolve, scan, classify ---
out=$(lab_iotmap resolve --once --pdns "$work/evidence.jsonl" --bulk "$work/fdns.json.gz" --ptr 2>&1); rc=$?
check "resolve from $(lab_json '", ".join(d["expected_hitlist"]["vantage_points"])')" 0 "rows \\([0-9]+ new\\)"
kept=$(lab_json 'd["evidence"]["kept"]')
check "resolve keeps what else points at candidate addresses" 0 \
  "evidence.jsonl: $kept records on [0-9]+ candidate addresses kept as address evidence"
check "resolve keeps what the FDNS file points at candidate addresses" 0 \
  "fdns.json.gz: 2 lines, 2 records in the window, 0 malformed; $(lab_json 'd["evidence"]["bulk_kept"]') records on"
same "address_names holds the evidence file's records on candidate addresses" \
  "$(sqlite3 "$db" "SELECT count(*) FROM address_names WHERE source = 'evidence.jsonl'")" "$kept"
same "names found through an address did not become candidate names" \
  "$(sqlite3 "$db" "SELECT count(*) FROM names WHERE name LIKE '%tenant%' OR name LIKE '%oscar%'")" 0

# Passive DNS in reverse: `iotmap fetch dnsdb` against the lab's fetch stand-in (lab.json
# evidence.dnsdb_rdata), after resolve so that the candidate addresses are known. Its rdata
# look-ups find other sites on Alibaba's address, which nothing else shows.
"$LAB_PYTHON" - "$LAB_JSON" "$work/fetch-root/dnsdb.json" <<'PY'
import json, os, sys, time
lab = json.load(open(sys.argv[1]))
now = int(time.time())
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
json.dump([{"rrname": name, "rrtype": rrtype, "rdata": [rdata], "time_first": now - now % 86400,
            "time_last": now, "count": 1, "bailiwick": "test."}
           for name, rrtype, rdata in lab["evidence"]["dnsdb_rdata"]], open(sys.argv[2], "w"))
PY
same "a DNSDB stand-in's records from lab.json" "$?" 0
fetch_port=${IOTMAP_BACKEND_MAP_FETCH_PORT:-18444}
dnsdb_key=dnsdb-lab-$$
fetch_server_start "$work/fetch-pki" "$fetch_port" "$work/fetch-root" "$work/fetch-access.log" \
  --dnsdb-key "$dnsdb_key" --atlas-key "unused-$$" || bad "the fetch stand-in did not start"
cat >"$work/sources.toml" <<TOML
[fetch]
defaults = false
ca_file = "$work/fetch-pki/ca.pem"
retries = 1
[source.dnsdb]
kind = "dnsdb"
url = "https://127.0.0.1:$fetch_port/dnsdb/v2"
key_env = "IOTMAP_DNSDB_KEY"
file = "dnsdb-rrsets.jsonl"
window_days = 1
rrtypes = ["A", "AAAA", "CNAME"]
TOML
out=$(in_lab env IOTMAP_FETCH_LOOPBACK_ONLY=1 IOTMAP_DNSDB_KEY="$dnsdb_key" "$IOTMAP" \
  --config "$work/lab.toml" --db "$db" fetch --sources "$work/sources.toml" \
  --data-dir "$work/fetch-data" dnsdb 2>&1); rc=$?
check "fetch dnsdb from the lab's stand-in" 0 "[1-9][0-9]* reverse look-ups"
grep -q "^GET /dnsdb/v2/lookup/rdata/ip/198.51.100.0%2C24?" "$work/fetch-access.log" &&
  ok "the candidate addresses of 198.51.100.0/24 were looked up in reverse" ||
  bad "no /24 rdata look-up: $(grep rdata "$work/fetch-access.log")"
same "address_names: the reverse look-ups' sites on Alibaba's address (source dnsdb-rdata)" \
  "$(sqlite3 "$db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM address_names
                    WHERE source = 'dnsdb-rdata' AND ip = '198.51.100.130' ORDER BY name)")" \
  "mail.whiskey-mail.test. shop.victor-books.test. www.uniform-garden.test."
same "a reverse answer on no candidate address is not kept" \
  "$(sqlite3 "$db" "SELECT count(*) FROM address_names WHERE ip = '203.0.113.99'")" 0
fetch_server_stop

out=$(lab_iotmap scan --resolutions "$today" 2>&1); rc=$?
check "scan of the day's resolutions" 0 "iotmap scan: run #[0-9]+: [0-9]+ connections"
out=$(lab_iotmap classify --date "$today" 2>&1); rc=$?
check "classify $today" 0 "^classify $today .* [0-9]+ hitlist rows, 4 providers in the footprint"
check "classify states the evidence coverage" 0 "evidence coverage [0-9]+ of [0-9]+ verdict addresses"
# sharing IP: the day's two verdicts and sharing counts per source of IP; reason_of IP: its reason.
sharing() {
  sqlite3 "$db" "SELECT verdict_exclusive || ' ' || verdict_threshold || ' reverse=' ||
                 sharing_pdns_reverse || ' bulk=' || sharing_bulk || ' cert=' || sharing_cert
                 FROM ip_verdicts WHERE date = '$today' AND ip = '$1'"
}
reason_of() { sqlite3 "$db" "SELECT reason FROM ip_verdicts WHERE date = '$today' AND ip = '$1'"; }
# Google's address: its certificate (chosen by SNI) names only Google, passive DNS shows two
# other sites; no certificate name counts (invalid2.invalid is no site).
same "ip_verdicts: Google's address shared by passive DNS (reverse) and FDNS, no certificate name counted" \
  "$(sharing 198.51.100.200)" "shared shared reverse=3 bulk=1 cert=0"
reason=$(reason_of 198.51.100.200)
case $reason in
  *"3 from passive DNS (reverse): api.tenant-two.test, lb.tenant-two.test, www.tenant-one.test"*)
    ok "the reason names the sites and their source" ;;
  *) bad "reason: $reason" ;;
esac
# Alibaba's address: its own certificate, no other name in forward passive DNS or FDNS; only
# DNSDB's reverse look-ups show other sites there.
same "ip_verdicts: Alibaba's address shared by the DNSDB reverse look-ups alone" \
  "$(sharing 198.51.100.130)" "shared shared reverse=3 bulk=0 cert=0"
reason=$(reason_of 198.51.100.130)
case $reason in
  *"3 from passive DNS (reverse): mail.whiskey-mail.test, shop.victor-books.test, www.uniform-garden.test"*)
    ok "Alibaba's reason names the sites the reverse look-ups found" ;;
  *) bad "reason of 198.51.100.130: $reason" ;;
esac
# PTR names (lab.json ptr, the lab's reverse zones): kept, a hint in the reason, no served name.
same "address_names holds the PTR names of candidate addresses (lab.json ptr)" \
  "$(sqlite3 "$db" "SELECT count(DISTINCT ip) FROM address_names WHERE rrtype = 'PTR'")" \
  "$(lab_json 'len(d["ptr"]["names"])')"
reason=$(reason_of 203.0.113.30)
case $reason in
  "exclusive: only names of "*" and their CNAME targets; threshold: "*"; host name (PTR): ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com")
    ok "the EC2 address's reason carries its PTR name and stays dedicated" ;;
  *) bad "reason of 203.0.113.30: $reason" ;;
esac
same "ip_verdicts: the second CDN's address is shared, no scan answered there" \
  "$(sqlite3 "$db" "SELECT verdict_exclusive || ' ' || sharing_pdns_reverse FROM ip_verdicts
                    WHERE date = '$today' AND ip = '203.0.113.210'")" "shared 3"

# --- 2. the hitlist ---
out=$(lab_iotmap export hitlist --date "$today" --format csv --output "$work/dedicated.csv" 2>&1); rc=$?
check "export hitlist (dedicated rows)" 0 "rows"
out=$(lab_iotmap export hitlist --date "$today" --format csv --include-shared \
  --output "$work/all.csv" 2>&1); rc=$?
check "export hitlist --include-shared" 0 "rows"
"$LAB_PYTHON" - "$LAB_JSON" "$work" "$today" >"$work/hitlist.check" 2>&1 <<'PY'
import collections, csv, json, sys
lab, work, today = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
eh = lab["expected_hitlist"]
cols = eh["columns"]
# The rows without the DNSDB step, with the addresses its reverse look-ups make shared.
rdata_shared = set(lab["evidence"]["dnsdb_rdata_shared_ips"])
expected = [tuple(str(v) for v in r[:5]) + ("shared" if r[2] in rdata_shared else r[5],)
            for r in eh["rows"]]
header = "date,provider,domain,ip,port,protocol,infrastructure,sources,first_seen,last_seen"
def rows_of(path):
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    if not lines or lines[0] != header:
        print(f"FAIL {path}: header {lines[:1]}, want {header}")
        return []
    got = list(csv.DictReader(lines))
    dates = {r["date"] for r in got}
    if dates - {today}:
        print(f"FAIL {path}: dates {sorted(dates)}, want only {today}")
    return [tuple(r[c] for c in cols) for r in got]
def compare(what, got, want):
    g, w = collections.Counter(got), collections.Counter(want)
    if g == w:
        print(f"ok {what}: the {len(want)} expected rows, row for row")
        return
    for r in sorted(w - g):
        print(f"FAIL {what}: missing {','.join(r)}")
    for r in sorted(g - w):
        print(f"FAIL {what}: unexpected {','.join(r)}")
compare("hitlist", rows_of(f"{work}/dedicated.csv"), [r for r in expected if r[5] == "dedicated"])
compare("hitlist --include-shared", rows_of(f"{work}/all.csv"), expected)
cdn = set(lab["cdn"]["addresses"])
verdicts = {r[2]: r[5] for r in rows_of(f"{work}/all.csv") if r[2] in cdn}
if set(verdicts) == cdn and set(verdicts.values()) == {"shared"}:
    print(f"ok the CDN addresses {' '.join(sorted(cdn))} are shared in the hitlist")
else:
    print(f"FAIL the CDN addresses in the hitlist: {verdicts}")
PY
tally hitlist "$?" <"$work/hitlist.check"
for a in $(lab_json '" ".join(d["cdn"]["addresses"])'); do
  same "ip_verdicts: CDN address $a is shared (exclusive rule)" \
    "$(sqlite3 "$db" "SELECT group_concat(provider || ' ' || verdict_exclusive) FROM ip_verdicts
                     WHERE date = '$today' AND ip = '$a'")" "aws shared"
done

# --- 3. the footprint ---
out=$(lab_iotmap report footprint --date "$today" --format json --output "$work/footprint.json" 2>&1)
rc=$?
check "report footprint --format json" 0 ""
"$LAB_PYTHON" - "$LAB_JSON" "$work/footprint.json" >"$work/footprint.check" 2>&1 <<'PY'
import collections, ipaddress, json, sys
lab, fp = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
eh = lab["expected_hitlist"]
table = [(ipaddress.ip_network(p["prefix"]), [int(a) for a in p["asn"].replace(",", "_").split("_")])
         for p in lab["pfx2as"]]
def longest(ip):
    a = ipaddress.ip_address(ip)
    hits = [(n, o) for n, o in table if a.version == n.version and a in n]
    return max(hits, key=lambda h: h[0].prefixlen) if hits else None
region = {n["name"].rstrip("."): n["region"] for n in lab["names"]}
ids = eh["catalogue_ids"]
owner = {int(asn): ids.get(a.get("provider")) for asn, a in lab["asns"].items()}
want = {}
unscanned = set(eh["unscanned"])  # rows with catalogue ports: the footprint counts answers
for prov, dom, ip, port, proto, _ in eh["rows"]:
    w = want.setdefault(prov, {"ips": {}, "ports": collections.defaultdict(set)})
    w["ips"].setdefault(ip, set())
    if region.get(dom):
        w["ips"][ip].add(region[dom])
    if ip not in unscanned:
        w["ports"][(port, proto)].add(ip)
got = {p["provider"]: p for p in fp["providers"]}
if set(got) == set(want):
    print(f"ok footprint providers: {' '.join(sorted(want))}")
else:
    print(f"FAIL footprint providers {sorted(got)}, want {sorted(want)}")
for prov, w in sorted(want.items()):
    g = got.get(prov)
    if g is None:
        continue
    ases, prefixes, locations, unlocated = collections.Counter(), {}, collections.Counter(), 0
    for ip, regions in w["ips"].items():
        net, origins = longest(ip)
        for o in origins:
            ases[o] += 1
        prefixes.setdefault(str(net), [origins, 0])[1] += 1
        if regions:
            (r,) = regions  # one region per address in the lab
            reg = lab["regions"][r]
            locations[(reg["city"], reg["country"])] += 1
        else:
            unlocated += 1
    own = {o for o in ases if owner.get(o) == prov}
    cloud = {int(a) for a, v in lab["asns"].items() if "cloud" in v["kind"] or "cdn" in v["kind"]}
    di = sum(1 for ip in w["ips"] if any(o in own for o in longest(ip)[1]))
    pr = sum(1 for ip in w["ips"] if not any(o in own for o in longest(ip)[1])
             and any(o in cloud for o in longest(ip)[1]))
    other = len(w["ips"]) - di - pr
    strategy = "+".join(n for n, c in (("DI", di), ("PR", pr), ("other", other)) if c)
    checks = [
        ("IPv4 addresses", g["ipv4"], sum(1 for ip in w["ips"] if ":" not in ip)),
        ("IPv6 addresses", g["ipv6"], sum(1 for ip in w["ips"] if ":" in ip)),
        ("ASes", sorted((a["asn"], a["ips"], a["own"], a["name"]) for a in g["ases"]),
         sorted((a, n, a in own, lab["asns"][str(a)]["name"]) for a, n in ases.items())),
        ("prefixes", sorted((p["prefix"], p["origins"], p["ips"]) for p in g["prefixes"]),
         sorted((p, o, n) for p, (o, n) in prefixes.items())),
        ("announced prefixes", g["announced_prefixes"], len(prefixes)),
        ("unrouted", g["unrouted_ips"], 0),
        ("locations", sorted((l["city"], l["country"], l["ips"]) for l in g["locations"]),
         sorted((c, k, n) for (c, k), n in locations.items())),
        ("unlocated", g["unlocated"], unlocated),
        ("strategy", g["strategy"], strategy),
        ("PTR addresses", g["ptr"]["ips"],
         sum(1 for ip in w["ips"] if ip in {str(ipaddress.ip_address(a)) for a in lab["ptr"]["names"]})),
        ("ports", sorted((p["port"], p["protocol"], p["ips"]) for p in g["ports"]),
         sorted((p, pr_, len(ips)) for (p, pr_), ips in w["ports"].items())),
    ]
    for what, a, b in checks:
        if a == b:
            print(f"ok footprint {prov}: {what} {b}")
        else:
            print(f"FAIL footprint {prov}: {what} {a}, want {b}")
PY
tally footprint "$?" <"$work/footprint.check"

# --- 4. the HTML report in headless Chromium ---
out=$(lab_iotmap report footprint --date "$today" --format html --output "$work/report.html" 2>&1)
rc=$?
check "report footprint --format html" 0 ""
refs=$(grep -oE "(https?|ftp)://[^\"' <>)]*" "$work/report.html" | grep -vx "http://www.w3.org/2000/svg" | sort -u)
same "the HTML refers to no URL (SVG's namespace name aside)" "$refs" ""
chromium=${IOTMAP_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  bad "no $chromium (bash scripts/install-deps.sh installs it)"
else
  # Inside the lab namespace Chromium has no route out; the flags keep it from trying anyway.
  shot() {
    local profile
    profile=$(mktemp -d "$work/chromium.XXXXXX")
    timeout 120 ip netns exec "$LAB_NS" "$chromium" --headless --no-sandbox --disable-gpu \
      --disable-quic --no-first-run --disable-background-networking --disable-component-update \
      --disable-sync --disable-dev-shm-usage --user-data-dir="$profile" --window-size=1366,900 \
      "$@" "file://$work/report.html"
  }
  shot --dump-dom >"$work/dom.html" 2>"$work/chromium-dom.log"
  same "chromium --dump-dom exits 0" "$?" 0
  shot --screenshot="$work/report.png" >"$work/chromium-shot.log" 2>&1
  same "chromium --screenshot exits 0" "$?" 0
  "$LAB_PYTHON" - "$work/dom.html" "$work/report.png" "$work/footprint.json" \
    >"$work/render.check" 2>&1 <<'PY'
import html.parser, json, struct, sys, zlib
dom, png, fp = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))
providers = {p["name"] for p in fp["providers"]}

class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.tables, self.svgs, self.text = [], [], [], []
    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("")
        if tag == "svg":
            self.svgs.append({})
        elif "svg" in self.stack[:-1] and self.svgs:
            self.svgs[-1][tag] = self.svgs[-1].get(tag, 0) + 1
    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass
    def handle_data(self, data):
        if self.tables and self.tables[-1] and self.tables[-1][-1] and {"td", "th"} & set(self.stack):
            self.tables[-1][-1][-1] += data.strip()

d = Dom()
d.feed(open(dom).read())
main = next((t for t in d.tables if any(providers & set(row) for row in t)), None)
if main is None:
    print(f"FAIL rendered DOM: no table naming the providers ({len(d.tables)} tables)")
else:
    named = [row for row in main if providers & set(row)]
    names = sorted(n for row in named for n in providers & set(row))
    if len(named) == len(providers) and names == sorted(providers):
        print(f"ok rendered DOM: the footprint table has one row per provider ({len(named)})")
    else:
        print(f"FAIL rendered DOM: provider rows {names}, want {sorted(providers)}")
marks = [s for s in d.svgs if sum(s.get(t, 0) for t in ("rect", "path", "line", "polyline", "circle")) > 0]
if len(d.svgs) >= 2 and len(marks) == len(d.svgs):
    print(f"ok rendered DOM: {len(d.svgs)} SVG charts, each with drawn elements "
          + "; ".join(",".join(f"{k}={v}" for k, v in sorted(s.items())) for s in d.svgs))
else:
    print(f"FAIL rendered DOM: SVG charts {d.svgs}, want at least 2 with rect/path/line elements")

# PNG: the IHDR's size, then the pixels (8-bit RGB or RGBA, filters undone) without PIL.
data = open(png, "rb").read() if __import__("os").path.exists(png) else b""
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("FAIL screenshot: no PNG written")
    sys.exit()
w, h, depth, ctype = struct.unpack(">IIBB", data[16:26])
print(("ok" if (w, h) == (1366, 900) else "FAIL") + f" screenshot is {w}x{h} (want 1366x900)")
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    if kind == b"IDAT":
        idat += data[pos + 8:pos + 8 + n]
    pos += 12 + n
raw = zlib.decompress(idat)
bpp = {2: 3, 6: 4}.get(ctype)
if depth != 8 or bpp is None:
    print(f"FAIL screenshot: PNG colour type {ctype} depth {depth} not decoded here")
    sys.exit()
stride, prev, colours, ink = w * bpp, bytearray(w * bpp), set(), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3])
        colours.add(px)
        ink += px != b"\xff\xff\xff"
    prev = line
share = ink / (w * h)
print(("ok" if 0.02 < share < 0.9 else "FAIL") + f" screenshot: {share:.1%} of the pixels are not white")
print(("ok" if len(colours) >= 16 else "FAIL") + f" screenshot: {len(colours)} distinct colours")
PY
  tally rendering "$?" <"$work/render.check"
fi
ops_summary backend_map_test
