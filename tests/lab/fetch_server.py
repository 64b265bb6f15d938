#!/usr/bin/env python3
"""A local HTTPS stand-in for the data sources `iotmap fetch` reads (tests/lab/fetch_test.sh).

Serves, from --root:
  /files/<name>                static files with ETag and Last-Modified; If-None-Match and
                               If-Modified-Since give 304
  /dnsdb/v2/regex/rrnames/<re> DNSDB flexible search (SAF lines) over dnsdb.json's records
  /dnsdb/v2/lookup/rrset/name/<name>   DNSDB rrset look-up
  /dnsdb/v2/lookup/rdata/ip/<ip>[,<len>]  DNSDB rdata look-up: A/AAAA records of dnsdb.json
                               whose data is the address or in the network; each one takes one
                               from rate.json's "remaining" (an X-RateLimit-Remaining header
                               says what is left; at 0 the answer is 429)
  /dnsdb/v2/rate_limit         the quota, from rate.json ({"rate": {"limit", "remaining",
                               "reset"}}; no file: "unlimited")
  /?q=%.<domain>&output=json   crt.sh, from crtsh.json
  /api/v2/measurements/...     RIPE Atlas: POST creates one-off measurements, GET <id>/ says
                               "Ongoing" on the first poll and "Stopped" after, GET <id>/results/
                               returns one DNS result per probe (abuf built from atlas.json)
Faults: faults.json maps a path to a list of behaviours, one used per request (then normal):
  "500", "404", "429:<seconds>", "garbage", "truncate" (Content-Length larger than the body),
  "stall" (headers and a few bytes, then silence), "close" (close without an answer).
Every request is logged to --log as "METHOD PATH STATUS" (headers, and so API keys, never).
API keys are checked against --dnsdb-key and --atlas-key; a wrong key gets a 403 whose body
echoes the key it got, so that the client's redaction is tested.
"""
import argparse
import base64
import hashlib
import ipaddress
import json
import os
import re
import ssl
import struct
import threading
import time
import urllib.parse
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
POLLS = {}       # measurement id -> polls so far
MEASUREMENTS = {}  # id -> definition
NEXT_ID = [1001]


def load(name, default):
    path = os.path.join(ARGS.root, name)
    if not os.path.exists(path):
        return default
    with open(path) as f:
        return json.load(f)


def next_fault(path):
    with LOCK:
        faults = load("faults.json", {})
        queue = faults.get(path)
        if not queue:
            return None
        fault = queue.pop(0)
        with open(os.path.join(ARGS.root, "faults.json"), "w") as f:
            json.dump(faults, f)
        return fault


def dns_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_reply(qname, qtype, rcode, answers):
    """answers: [(owner, type, ttl, value)] with type "A", "AAAA" or "CNAME"."""
    codes = {"A": 1, "AAAA": 28, "CNAME": 5}
    msg = struct.pack(">HHHHHH", 0x1234, 0x8180 | rcode, 1, len(answers), 0, 0)
    msg += dns_name(qname) + struct.pack(">HH", codes[qtype], 1)
    for owner, rtype, ttl, value in answers:
        if rtype == "A":
            rdata = bytes(int(x) for x in value.split("."))
        elif rtype == "AAAA":
            import ipaddress
            rdata = ipaddress.IPv6Address(value).packed
        else:
            rdata = dns_name(value)
        msg += dns_name(owner) + struct.pack(">HHIH", codes[rtype], 1, ttl, len(rdata)) + rdata
    return base64.b64encode(msg).decode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, status):
        with LOCK, open(ARGS.log, "a") as f:
            f.write("%s %s %d\n" % (self.command, self.path, status))

    def send(self, status, body, ctype="application/json", headers=None, length=None):
        if isinstance(body, str):
            body = body.encode()
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def apply_fault(self, fault):
        if fault is None:
            return False
        if fault in ("500", "404"):
            self.send(int(fault), "error %s from the stand-in\n" % fault, "text/plain")
        elif fault.startswith("429:"):
            self.send(429, "slow down\n", "text/plain", {"Retry-After": fault[4:]})
        elif fault == "garbage":
            self.send(200, "<html><body>this is not the data you asked for</body></html>\n", "text/html")
        elif fault == "truncate":
            self.record(200)
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"192.0.2.0/24\n" * 10)
            self.wfile.flush()
            self.close_connection = True
        elif fault == "stall":
            self.record(200)
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"{\"prefixes\": [")
            self.wfile.flush()
            time.sleep(ARGS.stall_seconds)
            self.close_connection = True
        elif fault == "close":
            self.record(0)
            self.close_connection = True
        else:
            raise ValueError("unknown fault " + fault)
        return True

    def key_ok(self, header, expected, prefix=""):
        got = self.headers.get(header, "")
        if got == prefix + expected:
            return True
        self.send(403, "Error: API key '%s' is not valid\n" % got[len(prefix):], "text/plain")
        return False

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if self.apply_fault(next_fault(url.path)):
            return
        if url.path.startswith("/files/"):
            return self.static(url.path[len("/files/"):])
        if url.path.startswith("/dnsdb/v2/"):
            if self.key_ok("X-API-Key", ARGS.dnsdb_key):
                self.dnsdb(url)
            return
        if url.path == "/" and "q" in urllib.parse.parse_qs(url.query):
            return self.crtsh(urllib.parse.parse_qs(url.query))
        if url.path.startswith("/api/v2/measurements/"):
            if self.key_ok("Authorization", ARGS.atlas_key, "Key "):
                self.atlas_get(url.path)
            return
        self.send(404, "not found\n", "text/plain")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        if self.apply_fault(next_fault(url.path)):
            return
        if url.path != "/api/v2/measurements/":
            return self.send(404, "not found\n", "text/plain")
        if not self.key_ok("Authorization", ARGS.atlas_key, "Key "):
            return
        req = json.loads(body)
        ids = []
        with LOCK:
            for d in req["definitions"]:
                assert d["type"] == "dns" and req["is_oneoff"] is True
                mid = NEXT_ID[0]
                NEXT_ID[0] += 1
                MEASUREMENTS[mid] = {"def": d, "probes": req["probes"][0]}
                ids.append(mid)
        with open(os.path.join(ARGS.root, "atlas-created.json"), "a") as f:
            f.write(json.dumps(req) + "\n")
        self.send(201, json.dumps({"measurements": ids}))

    def static(self, name):
        path = os.path.join(ARGS.root, "files", name)
        if not os.path.isfile(path):
            return self.send(404, "no such file\n", "text/plain")
        with open(path, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        mtime = int(os.path.getmtime(path))
        headers = {"ETag": etag, "Last-Modified": formatdate(mtime, usegmt=True)}
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (inm and inm == etag) or (not inm and ims and parsedate_to_datetime(ims).timestamp() >= mtime):
            self.record(304)
            self.send_response(304)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        ctype = "application/json" if name.endswith(".json") else "application/octet-stream"
        self.send(200, data, ctype, headers)

    def dnsdb(self, url):
        records = load("dnsdb.json", [])
        parts = url.path.split("/")
        lines = [{"cond": "begin"}]
        if url.path.startswith("/dnsdb/v2/regex/rrnames/"):
            regex = urllib.parse.unquote(parts[5])
            seen = set()
            for r in records:
                if re.search(regex, r["rrname"]) and (r["rrname"], r["rrtype"]) not in seen:
                    seen.add((r["rrname"], r["rrtype"]))
                    lines.append({"obj": {"rrname": r["rrname"], "rrtype": r["rrtype"]}})
        elif url.path == "/dnsdb/v2/rate_limit":
            rate = load("rate.json", {"rate": {"limit": "unlimited", "remaining": "n/a", "reset": "n/a"}})
            return self.send(200, json.dumps(rate))
        elif url.path.startswith("/dnsdb/v2/lookup/rdata/ip/"):
            headers = {}
            with LOCK:
                rate = load("rate.json", None)
                if rate is not None:
                    if rate["rate"]["remaining"] <= 0:
                        return self.send(429, "quota exceeded\n", "text/plain")
                    rate["rate"]["remaining"] -= 1
                    with open(os.path.join(ARGS.root, "rate.json"), "w") as f:
                        json.dump(rate, f)
                    headers = {"X-RateLimit-Limit": str(rate["rate"]["limit"]),
                               "X-RateLimit-Remaining": str(rate["rate"]["remaining"]),
                               "X-RateLimit-Reset": str(rate["rate"]["reset"])}
            arg = urllib.parse.unquote(parts[6])
            net = ipaddress.ip_network(arg.replace(",", "/"), strict=False)
            for r in records:
                if r["rrtype"] not in ("A", "AAAA"):
                    continue
                for a in r["rdata"]:  # an rdata answer carries one value per object
                    if ipaddress.ip_address(a) in net:
                        lines.append({"obj": dict(r, rdata=a)})
            lines.append({"cond": "succeeded"})
            return self.send(200, "".join(json.dumps(l) + "\n" for l in lines),
                             "application/x-ndjson", headers)
        elif url.path.startswith("/dnsdb/v2/lookup/rrset/name/"):
            name = urllib.parse.unquote(parts[6]).rstrip(".") + "."
            for r in records:
                if r["rrname"] == name:
                    lines.append({"obj": r})
        else:
            return self.send(404, "not found\n", "text/plain")
        lines.append({"cond": "succeeded"})
        self.send(200, "".join(json.dumps(l) + "\n" for l in lines), "application/x-ndjson")

    def crtsh(self, query):
        table = load("crtsh.json", {})
        q = query["q"][0]
        assert query.get("output") == ["json"], query
        domain = q[2:] if q.startswith("%.") else q
        self.send(200, json.dumps(table.get(domain, [])))

    def atlas_get(self, path):
        m = re.fullmatch(r"/api/v2/measurements/(\d+)/(results/)?", path)
        if not m or int(m.group(1)) not in MEASUREMENTS:
            return self.send(404, json.dumps({"error": {"detail": "Not found."}}))
        mid = int(m.group(1))
        msm = MEASUREMENTS[mid]
        if not m.group(2):
            with LOCK:
                POLLS[mid] = POLLS.get(mid, 0) + 1
                done = POLLS[mid] >= 2
            status = {"id": 4, "name": "Stopped"} if done else {"id": 2, "name": "Ongoing"}
            return self.send(200, json.dumps({"id": mid, "type": "dns", "is_oneoff": True, "status": status}))
        answers = load("atlas.json", {})
        d = msm["def"]
        qname, qtype = d["query_argument"], d["query_type"]
        entry = answers.get("%s %s" % (qname, qtype), {"rcode": 3, "answers": []})
        results = []
        for probe in range(msm["probes"]["requested"]):
            ts = 1700003600 + 10 * probe
            if probe == 0 and entry.get("first_probe_times_out"):
                results.append({"prb_id": 100 + probe, "msm_id": mid, "timestamp": ts, "type": "dns",
                                "resultset": [{"time": ts, "error": {"timeout": 5000}}]})
                continue
            abuf = dns_reply(qname, qtype, entry["rcode"], [tuple(a) for a in entry["answers"]])
            results.append({"prb_id": 100 + probe, "msm_id": mid, "timestamp": ts, "type": "dns",
                            "from": "192.0.2.%d" % (100 + probe),
                            "resultset": [{"time": ts, "dst_addr": "192.0.2.11", "af": 4,
                                           "result": {"rt": 10.5, "size": 60, "abuf": abuf, "ANCOUNT": len(entry["answers"])}}]})
        self.send(200, json.dumps(results))


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--root", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--dnsdb-key", required=True)
    p.add_argument("--atlas-key", required=True)
    p.add_argument("--stall-seconds", type=float, default=30)
    ARGS = p.parse_args()
    httpd = ThreadingHTTPServer((ARGS.bind, ARGS.port), Handler)
    httpd.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    with open(os.path.join(ARGS.root, "ready"), "w") as f:
        f.write("ok\n")
    httpd.serve_forever()


if __name__ == "__main__":
    main()
