#!/usr/bin/env python3
"""Helper for the iotmap test lab (tests/lab). Standard library only.

Subcommands (LAB_JSON defaults to tests/lab/lab.json next to this file):
  addresses                 every address the lab assigns inside its namespace, one a line
  certs LAB_DIR             make the lab CA and every certificate named in lab.json (openssl CLI)
  render LAB_DIR            write the servers' configuration files from lab.json
  resolvers                 ids of the lab's resolver instances, one a line
  ready SERVER              exit 0 when every endpoint of SERVER (mosquitto|nginx|rabbitmq) accepts TCP
  rows KIND                 flatten lab.json into tab-separated rows for tests/lab/lab_test.sh
  mqtt HOST PORT [--tls] [--ca FILE] [--sni NAME]   send MQTT CONNECT, expect CONNACK 0
  amqp HOST PORT [--tls] [--ca FILE] [--sni NAME]   send the AMQP 0-9-1 header, expect Connection.Start
  check                     consistency checks of lab.json itself
  digsum TYPE               read dig output (+noall +comments +answer) on stdin, print
                            RCODE STATUS CNAME_CHAIN ADDRESSES (tab-separated, '-' for none)

Talking to lab addresses (ready, mqtt, amqp) must run inside the lab's namespace
(ip netns exec iotmap-lab ...): outside it those addresses are routed to the real network.
"""
import ipaddress
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LAB_JSON = os.environ.get("LAB_JSON") or os.path.join(HERE, "lab.json")


def load():
    with open(LAB_JSON, encoding="utf-8") as f:
        return json.load(f)


def norm(addr):
    return ipaddress.ip_address(addr).compressed


def die(msg):
    print("labtool: " + msg, file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- addresses
def all_addresses(lab):
    out = []
    for a in lab["authoritative"]:
        out.append(a["address"])
    for r in lab["resolvers"]:
        out += r["listen"] + r["outgoing"]
    for vp in lab["vantage_points"]:
        out += [r["address"] for r in vp["resolvers"]]
    for e in lab["endpoints"]:
        out.append(e["address"])
    out += lab["cdn"]["addresses"]
    for v in tls_variants(lab):
        out += v["addresses"]
    for f in lab["faults"].values():
        if isinstance(f, dict):
            out += f.get("addresses", [])
    seen, res = set(), []
    for a in out:
        a = norm(a)
        if a not in seen:
            seen.add(a)
            res.append(a)
    return res


# ---------------------------------------------------------------- certificates
def all_certificates(lab):
    """id -> {subject_cn, subject_o, sans}; every use of an id must agree."""
    certs = {}

    def add(c):
        cid = c["id"]
        body = {k: c[k] for k in ("subject_cn", "subject_o", "sans")}
        if cid in certs and certs[cid] != body:
            die("certificate %s is described differently in two places" % cid)
        certs[cid] = body

    for cid, c in lab["certificates"].items():
        add(dict(c, id=cid))
    for e in lab["endpoints"]:
        if e["certificates"]:
            add(e["certificates"]["no_sni"])
            for c in e["certificates"]["sni"].values():
                add(c)
    add(lab["cdn"]["certificate"])
    return certs


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        die("command failed: %s\n%s" % (" ".join(cmd), r.stdout))


def ca_sign(pki, csr, ext, pem, validity):
    """Signs with `openssl ca`, the one signer that sets notBefore and notAfter (YYYYMMDDHHMMSSZ):
    a test that sets the clock back needs certificates valid at its simulated times."""
    db = os.path.join(pki, "ca-db")
    os.makedirs(os.path.join(db, "new"), exist_ok=True)
    for f, text in (("index.txt", ""), ("serial", "1000\n")):
        if not os.path.exists(os.path.join(db, f)):
            with open(os.path.join(db, f), "w") as out:
                out.write(text)
    cnf = os.path.join(db, "ca.cnf")
    with open(cnf, "w") as f:
        f.write("[ca]\ndefault_ca = lab\n[lab]\ndatabase = %s/index.txt\nnew_certs_dir = %s/new\n"
                "serial = %s/serial\ndefault_md = sha256\npolicy = any\nunique_subject = no\n"
                "[any]\norganizationName = optional\ncommonName = supplied\n" % (db, db, db))
    run(["openssl", "ca", "-batch", "-notext", "-config", cnf, "-cert", os.path.join(pki, "ca.pem"),
         "-keyfile", os.path.join(pki, "ca.key"), "-in", csr, "-out", pem, "-extfile", ext,
         "-startdate", validity[0], "-enddate", validity[1]])


def make_certs(lab, lab_dir, validity=None):
    """The CA and every certificate of `lab`; `validity` = (notBefore, notAfter) as
    YYYYMMDDHHMMSSZ for the leaf certificates (default: 365 days from now)."""
    pki = os.path.join(lab_dir, "pki")
    os.makedirs(pki, exist_ok=True)
    ca_key, ca_pem = os.path.join(pki, "ca.key"), os.path.join(pki, "ca.pem")
    ca = lab["ca"]
    run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", ca_key])
    run(["openssl", "req", "-x509", "-new", "-key", ca_key, "-sha256", "-days", "365", "-out", ca_pem,
         "-subj", "/O=%s/CN=%s" % (ca["subject_o"], ca["subject_cn"]),
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    for cid, c in sorted(all_certificates(lab).items()):
        key, csr, pem = (os.path.join(pki, cid + s) for s in (".key", ".csr", ".pem"))
        ext = os.path.join(pki, cid + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n")
            f.write("keyUsage=critical,digitalSignature\n")
            f.write("extendedKeyUsage=serverAuth\n")
            f.write("subjectAltName=" + ",".join("DNS:" + s for s in c["sans"]) + "\n")
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
        subj = "/O=%s/CN=%s" % (c["subject_o"].replace("/", "\\/"), c["subject_cn"])
        run(["openssl", "req", "-new", "-key", key, "-subj", subj, "-out", csr])
        if validity:
            ca_sign(pki, csr, ext, pem, validity)
        else:
            run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
                 "-CAcreateserial", "-sha256", "-days", "365", "-extfile", ext, "-out", pem])
        with open(os.path.join(pki, cid + ".chain.pem"), "w") as f:
            f.write(open(pem).read() + open(ca_pem).read())
        os.chmod(key, 0o600)
    print("labtool: certificates in %s" % pki)


# ---------------------------------------------------------------- configuration
def hostport(addr, port):
    return "[%s]:%d" % (addr, port) if ":" in addr else "%s:%d" % (addr, port)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def render_knot(lab, d):
    kd = os.path.join(d, "knot")
    zd = os.path.join(kd, "zones")
    os.makedirs(os.path.join(kd, "db"), exist_ok=True)
    os.makedirs(zd, exist_ok=True)
    for z in lab["zones"]:
        shutil.copy(os.path.join(HERE, "zones", z["file"]), os.path.join(zd, z["file"]))
    shutil.copy(os.path.join(HERE, "zones", "geo.conf"), os.path.join(zd, "geo.conf"))
    listen = ", ".join("%s@%d" % (a["address"], a["port"]) for a in lab["authoritative"])
    zones = ""
    for z in lab["zones"]:
        zones += '  - domain: "%s"\n    file: "%s"\n' % (z["name"], z["file"])
        if z.get("geoip"):
            zones += "    module: mod-geoip/lab\n"
    write(os.path.join(kd, "knot.conf"), """# generated by tests/lab/labtool.py render
server:
  identity: "iotmap-lab"
  rundir: "{kd}"
  listen: [ {listen} ]
  edns-client-subnet: on
log:
  - target: stderr
    any: info
database:
  storage: "{kd}/db"
mod-geoip:
  - id: lab
    config-file: "{zd}/geo.conf"
    ttl: 60
    mode: subnet
template:
  - id: default
    storage: "{zd}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: on
zone:
{zones}""".format(kd=kd, zd=zd, listen=listen, zones=zones))


def render_unbound(lab, d):
    hints = ""
    ns = lab["authoritative"][0]["name"]
    hints += ".                3600000 IN NS %s\n" % ns
    for a in lab["authoritative"]:
        hints += "%-16s 3600000 IN %s %s\n" % (ns, "AAAA" if ":" in a["address"] else "A", a["address"])
    for r in lab["resolvers"]:
        ud = os.path.join(d, r["id"])
        os.makedirs(ud, exist_ok=True)
        write(os.path.join(ud, "root.hints"), hints)
        lines = ["# generated by tests/lab/labtool.py render", "server:"]
        s = lambda k, v: lines.append("  %s: %s" % (k, v))
        s("verbosity", 1)
        for a in r["listen"]:
            s("interface", a)
        s("port", 53)
        for a in r["outgoing"]:
            s("outgoing-interface", a)
        for k, v in [("do-ip4", "yes"), ("do-ip6", "yes"), ("do-udp", "yes"), ("do-tcp", "yes"),
                     ("access-control", "0.0.0.0/0 allow"), ("access-control", "::/0 allow"),
                     ("username", '""'), ("chroot", '""'), ("directory", '"%s"' % ud),
                     ("pidfile", '"%s/unbound.pid"' % ud), ("use-syslog", "no"), ("logfile", '""'),
                     ("root-hints", '"%s/root.hints"' % ud),
                     # every answer must come from the authoritative: no caching to speak of
                     ("cache-max-ttl", 0), ("cache-max-negative-ttl", 0), ("cache-min-ttl", 0),
                     ("prefetch", "no"), ("serve-expired", "no"), ("infra-host-ttl", 10),
                     ("qname-minimisation", "no"), ("do-not-query-localhost", "no"),
                     ("num-threads", 1), ("so-reuseport", "no"), ("minimal-responses", "no"),
                     ("harden-dnssec-stripped", "no"), ("val-permissive-mode", "yes")]:
            s(k, v)
        # unbound serves some special-use names itself (RFC 6761: test., invalid., ...): the
        # lab's zones must come from the authoritative instead
        for z in lab["zones"]:
            if z["name"] != ".":
                s("local-zone", '"%s" nodefault' % z["name"])
        if r["forward_ecs"]:
            s("module-config", '"subnetcache iterator"')
            for a in lab["authoritative"]:
                s("send-client-subnet", a["address"])
            s("client-subnet-always-forward", "yes")
            s("max-client-subnet-ipv4", lab["ecs"]["resolver_max_source_prefix"]["ipv4"])
            s("max-client-subnet-ipv6", lab["ecs"]["resolver_max_source_prefix"]["ipv6"])
        else:
            s("module-config", '"iterator"')
        lines += ["remote-control:", "  control-enable: no", ""]
        write(os.path.join(ud, "unbound.conf"), "\n".join(lines))


def tls_variants(lab, server=None):
    return [v for v in lab.get("tls_variants", {}).values()
            if isinstance(v, dict) and (server is None or v["server"] == server)]


def endpoints_of(lab, server):
    return [e for e in lab["endpoints"] if e["server"] == server]


def render_mosquitto(lab, d):
    md = os.path.join(d, "mosquitto")
    pki = os.path.join(d, "pki")
    out = ["# generated by tests/lab/labtool.py render", "per_listener_settings false", "allow_anonymous true",
           "persistence false", "user root", "log_dest stderr", "log_type error", "log_type warning",
           "log_type notice", "log_type information", "connection_messages true", ""]
    for e in endpoints_of(lab, "mosquitto"):
        out.append("listener %d %s" % (e["port"], e["address"]))
        if e["tls"]:
            cid = e["certificates"]["no_sni"]["id"]
            out += ["certfile %s/%s.chain.pem" % (pki, cid), "keyfile %s/%s.key" % (pki, cid),
                    "tls_version tlsv1.2"]
        out.append("")
    for v in tls_variants(lab, "mosquitto"):
        for a in v["addresses"]:
            out += ["listener %d %s" % (v["port"], a),
                    "certfile %s/%s.chain.pem" % (pki, v["certificate"]),
                    "keyfile %s/%s.key" % (pki, v["certificate"]), "tls_version tlsv1.2"]
            if v.get("require_certificate"):
                out += ["cafile %s/ca.pem" % pki, "require_certificate true"]
            out.append("")
    write(os.path.join(md, "mosquitto.conf"), "\n".join(out))


def render_nginx(lab, d):
    nd = os.path.join(d, "nginx")
    pki = os.path.join(d, "pki")
    for t in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(nd, "tmp", t), exist_ok=True)
    cdn = lab["cdn"]
    cdn_sockets = {(norm(a), cdn["port"]) for a in cdn["addresses"]}
    servers = []

    def block(listens, names, cid, body, default=False, protocols=None):
        s = "  server {\n"
        for a, p in listens:
            s += "    listen %s ssl%s;\n" % (hostport(a, p), " default_server" if default else "")
        s += "    server_name %s;\n" % " ".join(names)
        if protocols:  # the default server of its own sockets: its versions are the handshake's
            s += "    ssl_protocols %s;\n" % " ".join(protocols)
        s += "    ssl_certificate %s/%s.chain.pem;\n    ssl_certificate_key %s/%s.key;\n" % (pki, cid, pki, cid)
        s += '    location / { return 200 "%s $host\\n"; }\n  }\n' % body
        return s

    sni = {}  # (name, cert id, host) -> sockets
    for e in endpoints_of(lab, "nginx"):
        sock = (norm(e["address"]), e["port"])
        servers.append(block([sock], ["_"], e["certificates"]["no_sni"]["id"], "lab-" + e["host"], default=True))
        for name, c in e["certificates"]["sni"].items():
            sni.setdefault((name, c["id"], e["host"]), []).append(sock)
    cdn_sites = [s for s in cdn["sites"]]
    for (name, cid, host), socks in sni.items():
        if set(socks) == cdn_sockets and name in cdn_sites and cid == cdn["certificate"]["id"]:
            continue  # served by the CDN block below
        servers.append(block(socks, [name], cid, "lab-" + host))
    servers.append(block(sorted(cdn_sockets), cdn_sites, cdn["certificate"]["id"], "lab-cdn"))
    for v in tls_variants(lab, "nginx"):
        servers.append(block([(norm(a), v["port"]) for a in v["addresses"]], ["_"], v["certificate"],
                             "lab-" + "-".join(p.lower() for p in v["protocols"]), default=True,
                             protocols=v["protocols"]))
    write(os.path.join(nd, "nginx.conf"), """# generated by tests/lab/labtool.py render
daemon off;
master_process on;
worker_processes 1;
pid {nd}/nginx.pid;
error_log {nd}/error.log info;
events {{ worker_connections 512; }}
http {{
  access_log {nd}/access.log;
  client_body_temp_path {nd}/tmp/body;
  proxy_temp_path {nd}/tmp/proxy;
  fastcgi_temp_path {nd}/tmp/fastcgi;
  uwsgi_temp_path {nd}/tmp/uwsgi;
  scgi_temp_path {nd}/tmp/scgi;
  default_type text/plain;
  server_names_hash_bucket_size 128;
  ssl_protocols TLSv1.2 TLSv1.3;
{servers}}}
""".format(nd=nd, servers="".join(servers)))


def render_rabbitmq(lab, d):
    rd = os.path.join(d, "rabbitmq")
    pki = os.path.join(d, "pki")
    for sub in ("mnesia", "log", "home"):
        os.makedirs(os.path.join(rd, sub), exist_ok=True)
    eps = endpoints_of(lab, "rabbitmq")
    conf = ["# generated by tests/lab/labtool.py render", "listeners.tcp = none"]
    cid = None
    for i, e in enumerate(eps, 1):
        conf.append("listeners.ssl.%d = %s:%d" % (i, e["address"], e["port"]))
        cid = e["certificates"]["no_sni"]["id"]
    if cid:
        conf += ["ssl_options.cacertfile = %s/ca.pem" % pki,
                 "ssl_options.certfile = %s/%s.pem" % (pki, cid),
                 "ssl_options.keyfile = %s/%s.key" % (pki, cid),
                 "ssl_options.verify = verify_none",
                 "ssl_options.fail_if_no_peer_cert = false"]
    conf += ["log.console = true", "log.console.level = info", "log.file = false",
             "disk_free_limit.absolute = 1MB", "vm_memory_high_watermark.absolute = 256MB", ""]
    write(os.path.join(rd, "rabbitmq.conf"), "\n".join(conf))
    write(os.path.join(rd, "enabled_plugins"), "[].\n")
    write(os.path.join(rd, "rabbitmq-env.conf"), "# intentionally empty: the lab sets RABBITMQ_* in the environment\n")


def render(lab, d):
    render_knot(lab, d)
    render_unbound(lab, d)
    render_mosquitto(lab, d)
    render_nginx(lab, d)
    render_rabbitmq(lab, d)
    print("labtool: configuration in %s" % d)


# ---------------------------------------------------------------- probes
def connect(host, port, tls, ca, sni, timeout=3.0):
    s = socket.create_connection((host, port), timeout=timeout)
    if not tls:
        return s
    ctx = ssl.create_default_context(cafile=ca) if ca else ssl._create_unverified_context()
    ctx.check_hostname = False
    if not ca:
        ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(s, server_hostname=sni)


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise IOError("connection closed after %d of %d bytes" % (len(b), n))
        b += chunk
    return b


def probe_mqtt(host, port, tls, ca, sni):
    cid = b"iotmap-lab-probe"
    var = b"\x00\x04MQTT\x04\x02\x00\x3c"  # MQTT 3.1.1, clean session, keepalive 60
    payload = struct.pack("!H", len(cid)) + cid
    body = var + payload
    pkt = bytes([0x10, len(body)]) + body
    with connect(host, port, tls, ca, sni) as s:
        s.sendall(pkt)
        resp = recv_exact(s, 4)
        s.sendall(b"\xe0\x00")  # DISCONNECT
    if resp[0] != 0x20 or resp[1] != 2:
        die("%s port %d: not a CONNACK: %r" % (host, port, resp))
    print("CONNACK rc=%d" % resp[3])
    return resp[3] == 0


def probe_amqp(host, port, tls, ca, sni):
    with connect(host, port, tls, ca, sni) as s:
        s.sendall(b"AMQP\x00\x00\x09\x01")
        hdr = recv_exact(s, 7)
        ftype, chan, size = struct.unpack("!BHI", hdr)
        payload = recv_exact(s, size)
    if ftype != 1 or chan != 0:
        die("%s port %d: not an AMQP method frame: %r" % (host, port, hdr))
    cls, meth, vmaj, vmin = struct.unpack("!HHBB", payload[:6])
    if (cls, meth) != (10, 10):
        die("%s port %d: not Connection.Start (class %d method %d)" % (host, port, cls, meth))
    # server-properties field table: find the product string
    product = ""
    i = payload.find(b"\x07product")
    if i >= 0 and payload[i + 8:i + 9] == b"S":
        (n,) = struct.unpack("!I", payload[i + 9:i + 13])
        product = payload[i + 13:i + 13 + n].decode(errors="replace")
    print("AMQP Connection.Start version=%d-%d product=%s" % (vmaj, vmin, product))
    return True


def probe_args(argv):
    host, port = argv[0], int(argv[1])
    tls, ca, sni = False, None, None
    rest = argv[2:]
    while rest:
        a = rest.pop(0)
        if a == "--tls":
            tls = True
        elif a == "--ca":
            ca = rest.pop(0)
        elif a == "--sni":
            sni = rest.pop(0)
        else:
            die("unknown option " + a)
    return host, port, tls, ca, sni


def ready(lab, server):
    eps = endpoints_of(lab, server)
    if not eps:
        die("no endpoints for server " + server)
    for e in eps:
        try:
            socket.create_connection((e["address"], e["port"]), timeout=1.0).close()
        except OSError as ex:
            print("%s not ready: %s port %d: %s" % (server, e["address"], e["port"], ex))
            return False
    if server == "rabbitmq":
        e = eps[0]
        try:
            return probe_amqp(e["address"], e["port"], e["tls"], None, None)
        except (OSError, SystemExit) as ex:
            print("rabbitmq not ready: %s" % ex)
            return False
    return True


# ---------------------------------------------------------------- rows for the shell test
def name_matches(name, pattern):
    """RFC 6125 style: a wildcard stands for exactly one leftmost label."""
    name, pattern = name.lower().rstrip("."), pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = name.partition(".")
        return bool(head) and rest == pattern[2:]
    return name == pattern


def rows(lab, kind):
    out = []
    dash = lambda xs: ",".join(xs) if xs else "-"
    if kind == "dns":
        # vp resolver port client_subnet name type rcode status chain addresses
        vps = {vp["name"]: vp for vp in lab["vantage_points"]}
        for n in lab["names"]:
            for vpname, types in n["answers"].items():
                if vpname not in vps:
                    die("name %s: answers for unknown vantage point %s" % (n["name"], vpname))
                vp = vps[vpname]
                for r in vp["resolvers"]:
                    if r.get("dead"):
                        continue
                    for t, a in types.items():
                        out.append([vpname, norm(r["address"]), str(r["port"]), vp["client_subnet"] or "-",
                                    n["name"], t, a["rcode"], a["status"], dash(a["cname_chain"]),
                                    dash(sorted(norm(x) for x in a["addresses"]))])
        for vp in lab["vantage_points"]:
            missing = [n["name"] for n in lab["names"] if vp["name"] not in n["answers"]]
            if missing:
                die("vantage point %s has no expected answers for %s" % (vp["name"], missing[0]))
    elif kind == "ecs":
        # where(auth|resolver) server port subnet name type addresses
        auth = lab["authoritative"]
        res = lab["ecs"]["resolver"]
        for n in lab["names"]:
            for e in n.get("ecs", []):
                for t in ("A", "AAAA"):
                    addrs = dash(sorted(norm(x) for x in e[t]))
                    for a in auth:
                        out.append(["authoritative", norm(a["address"]), str(a["port"]), e["subnet"], n["name"], t, addrs])
                    out.append(["resolver", norm(res["address"]), str(res["port"]), e["subnet"], n["name"], t, addrs])
    elif kind == "tls":
        # address port server host sni(- for none) name_matches(yes|no) cn o sans
        for e in lab["endpoints"]:
            if not e["tls"]:
                continue
            cs = [("-", e["certificates"]["no_sni"])] + sorted(e["certificates"]["sni"].items())
            for sni, c in cs:
                match = "yes" if sni != "-" and any(name_matches(sni, p) for p in c["sans"]) else "no"
                out.append([norm(e["address"]), str(e["port"]), e["server"], e["host"], sni, match,
                            c["subject_cn"], c["subject_o"], ",".join(sorted(c["sans"]))])
    elif kind in ("mqtt", "amqp", "https"):
        # address port tls server sni
        for e in lab["endpoints"]:
            if e["protocol"] != kind:
                continue
            sni = sorted(e["certificates"]["sni"])[0] if e["tls"] and e["certificates"]["sni"] else "-"
            out.append([norm(e["address"]), str(e["port"]), "tls" if e["tls"] else "plain", e["server"], sni])
    elif kind == "cdn":
        # address port site
        cdn = lab["cdn"]
        for a in cdn["addresses"]:
            for s in cdn["sites"]:
                out.append([norm(a), str(cdn["port"]), s])
    elif kind == "zones":
        for z in lab["zones"]:
            for a in lab["authoritative"]:
                out.append([norm(a["address"]), str(a["port"]), z["name"]])
    elif kind == "addresses":
        out = [[a] for a in all_addresses(lab)]
    elif kind == "pfx2as":
        for p in lab["pfx2as"]:
            net = ipaddress.ip_network(p["prefix"])
            out.append([str(net.network_address), str(net.prefixlen), p["asn"]])
    else:
        die("unknown row kind " + kind)
    for r in out:
        print("\t".join(r))


def digsum(qtype):
    """Summarise dig output the way rows('dns') describes an expected answer."""
    rcode, chain, addrs = "NO_RESPONSE", [], []
    for line in sys.stdin:
        if "->>HEADER<<-" in line and "status:" in line:
            rcode = line.split("status:")[1].split(",")[0].strip()
            continue
        if line.startswith(";") or not line.strip():
            continue
        f = line.split()
        if len(f) < 5:
            continue
        if f[3] == "CNAME":
            chain.append(f[4].lower())
        elif f[3] == qtype:
            addrs.append(norm(f[4]))
    if rcode == "NOERROR":
        status = "ANSWER" if addrs else "NODATA"
    else:
        status = rcode
    print("\t".join([rcode, status, ",".join(chain) or "-", ",".join(sorted(addrs)) or "-"]))


def check(lab):
    """Structural checks of lab.json; prints problems, exit 1 if any."""
    errs = []
    if not lab.get("names"):
        errs.append("no names")
    if not lab.get("endpoints"):
        errs.append("no endpoints")
    vps = [vp["name"] for vp in lab["vantage_points"]]
    if len(vps) < 2:
        errs.append("fewer than two vantage points")
    differ = False
    for n in lab["names"]:
        for vp in vps:
            if vp not in n["answers"]:
                errs.append("%s: no answers for %s" % (n["name"], vp))
        if not n["name"].endswith("."):
            errs.append("%s: names end with a dot" % n["name"])
        if n.get("region") and n["region"] not in lab["regions"]:
            errs.append("%s: region %s not in regions" % (n["name"], n["region"]))
        seen = {json.dumps(n["answers"][v], sort_keys=True) for v in ("vp-a", "vp-b") if v in n["answers"]}
        differ = differ or len(seen) > 1
    if not differ:
        errs.append("vp-a and vp-b never differ")
    cdn = lab["cdn"]
    if len(all_certificates(lab)[cdn["certificate"]["id"]]["sans"]) < 10:
        errs.append("the CDN certificate has fewer than 10 SANs")
    if cdn["sans"] != cdn["certificate"]["sans"] or cdn["address"] not in cdn["addresses"]:
        errs.append("cdn.sans / cdn.address disagree with cdn.certificate / cdn.addresses")
    for site in cdn["sites"]:
        if not any(name_matches(site, p) for p in cdn["sans"]):
            errs.append("CDN site %s is not in the CDN certificate" % site)
    for a in all_addresses(lab):
        ip = ipaddress.ip_address(a)
        ok = any(ip in ipaddress.ip_network(n) for n in
                 ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"))
        if not ok:
            errs.append("address %s is not from a documentation range" % a)
    for p in lab["pfx2as"]:
        for asn in p["asn"].replace(",", "_").split("_"):
            if not 64496 <= int(asn) <= 64511:
                errs.append("pfx2as %s: ASN %s is not a documentation ASN" % (p["prefix"], asn))
    for e in errs:
        print("lab.json: " + e)
    return not errs


def main(argv):
    if not argv:
        print(__doc__)
        return 2
    cmd, args = argv[0], argv[1:]
    lab = load()
    if cmd == "addresses":
        for a in all_addresses(lab):
            print(a)
    elif cmd == "certs":
        make_certs(lab, args[0])
    elif cmd == "render":
        render(lab, args[0])
    elif cmd == "resolvers":
        for r in lab["resolvers"]:
            print(r["id"])
    elif cmd == "ready":
        return 0 if ready(lab, args[0]) else 1
    elif cmd == "rows":
        rows(lab, args[0])
    elif cmd == "mqtt":
        return 0 if probe_mqtt(*probe_args(args)) else 1
    elif cmd == "amqp":
        return 0 if probe_amqp(*probe_args(args)) else 1
    elif cmd == "digsum":
        digsum(args[0])
    elif cmd == "check":
        return 0 if check(lab) else 1
    else:
        die("unknown command " + cmd)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (OSError, ssl.SSLError) as ex:
        die(str(ex))
