#!/usr/bin/env python3
"""A simulated fortnight in a lab of its own (issue 13; tests/lab/fortnight/README.md).

  fortnight.py IOTMAP_BINARY SOURCE_DIR

Builds a small world in a network namespace of its own (two knot authoritative servers, one
per vantage point, two unbound resolvers, one process of TLS servers), then drives iotmap's
`hourly` job at minute 5 of every hour and its `daily` job at 02:30 of every day for 14
simulated days, with the clock set through IOTMAP_NOW. Before each day and hour the world
changes as truth.json says. Some jobs are killed with SIGKILL at seeded random moments and
started again in the same hour, as a retrying cron line would. At the end each day's hitlist,
domain and IP verdicts and footprint are compared row for row with what model.py computes from
truth.json alone, every (hour, name, type, vantage point) must be stored exactly once with the
answer the truth gives, PRAGMA integrity_check must say ok, and the database size per day is
printed. The model with one rule changed (window 6 days; exclusive on any day instead of every
day) must disagree with iotmap on some day, which shows the comparison can fail.

Root is needed (network namespaces). Environment: IOTMAP_FORTNIGHT_NS (namespace, default
iotmap-fn-PID), IOTMAP_FORTNIGHT_DIR (state directory, default a new one under /tmp),
IOTMAP_FORTNIGHT_KEEP=1 (keep the state directory), IOTMAP_FORTNIGHT_SEED (the kills' seed,
default truth.json's), IOTMAP_FORTNIGHT_DAYS (fewer days, for debugging).
"""
import csv
import io
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import labtool  # noqa: E402  (tests/lab/labtool.py: certificates and unbound configuration)
import model as model_mod  # noqa: E402
import world as world_mod  # noqa: E402

TRUTH = os.path.join(HERE, "truth.json")
T0 = time.monotonic()


def say(text):
    print("[%6.1fs] %s" % (time.monotonic() - T0, text), flush=True)


# ====================================================================== the lab
class Lab:
    """The world's servers inside the namespace, and the files they and iotmap read."""

    def __init__(self, w, state):
        self.w, self.d = w, state
        self.procs = {}
        self.zones = {}

    def path(self, *parts):
        return os.path.join(self.d, *parts)

    def write(self, rel, text):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        tmp = p + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, p)  # readers never see half a file

    def build(self):
        t = self.w.t
        os.makedirs(self.path("log"), exist_ok=True)
        lab = {"ca": {"subject_o": "iotmap fortnight", "subject_cn": "iotmap fortnight CA"},
               "certificates": t["certificates"], "endpoints": [],
               "cdn": {"certificate": dict(t["certificates"]["cdn-edge"], id="cdn-edge")}}
        with open(os.devnull, "w") as quiet:
            out, sys.stdout = sys.stdout, quiet
            try:
                # valid over the simulated days, which lie before the real date
                labtool.make_certs(lab, self.d, (self.w.date(-30).replace("-", "") + "000000Z",
                                                 self.w.date(400).replace("-", "") + "000000Z"))
            finally:
                sys.stdout = out
        for vp, v in t["vantage_points"].items():
            self.write("knot-%s/knot.conf" % vp, KNOT_CONF.format(d=self.path("knot-" + vp),
                                                                  listen=v["authoritative"]))
            os.makedirs(self.path("knot-%s/db" % vp), exist_ok=True)
            self.write_zone(vp, 1)
            labtool.render_unbound({
                "authoritative": [{"address": v["authoritative"], "name": "ns.fortnight."}],
                "resolvers": [{"id": "unbound-" + vp, "listen": [v["resolver"]],
                               "outgoing": [v["outgoing"]], "forward_ecs": False}],
                "zones": [{"name": "."}, {"name": "test."}]}, self.d)
        listen = sorted({(world_mod.norm_ip(a), s["port"]) for s in t["tls"] for a in s["addresses"]})
        self.write("listen.json", json.dumps(listen))
        self.write_tls(1)
        self.write("pdns/feed.jsonl", "")
        self.write("catalogue.toml", catalogue_toml(self.w))
        self.write("pfx2as.txt", "".join("%s\t%d\t%s\n" % tuple(r) for r in t["pfx2as"]))
        self.write("cloud_ases.csv", "".join("%d,%s,%s\n" % tuple(r) for r in t["cloud_ases"]))
        self.write("blocklist.txt", "# nothing of the fortnight's world is blocked\n192.0.2.203/32\n")
        self.write("iotmap.toml", iotmap_toml(self.w, self.d))

    def zone_text(self, vp, day):
        v = self.w.t["vantage_points"][vp]
        lines = ["$ORIGIN .", "$TTL 60",
                 "@ IN SOA ns.fortnight. hostmaster.fortnight. %d 3600 600 604800 60" % (1000 + day),
                 "@ IN NS ns.fortnight.", "ns.fortnight. IN A %s" % v["authoritative"]]
        for name, rrs in sorted(self.w.zone(vp, day).items()):
            for rtype, values in sorted(rrs.items()):
                for value in values:
                    lines.append("%s. IN %s %s%s" % (name, rtype, value, "." if rtype == "CNAME" else ""))
        return "\n".join(lines) + "\n"

    def write_zone(self, vp, day):
        """Writes vp's zone for `day`; True when it changed."""
        text = self.zone_text(vp, day)
        if self.zones.get(vp) == text.split("\n", 3)[3]:
            return False
        self.zones[vp] = text.split("\n", 3)[3]
        self.write("knot-%s/root.zone" % vp, text)
        return True

    def write_tls(self, day):
        table = {"%s %d" % k: list(v) for k, v in self.w.tls_servers(day).items()}
        self.write("tls.json", json.dumps(table, sort_keys=True))

    def start(self, name, cmd):
        log = open(self.path("log", name + ".log"), "a")
        self.procs[name] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT)

    def stop(self, name):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def running(self, name):
        return name in self.procs and self.procs[name].poll() is None

    def start_all(self):
        for vp in self.w.vps:
            self.start("knot-" + vp, ["knotd", "-c", self.path("knot-%s/knot.conf" % vp)])
            self.start("unbound-" + vp, ["unbound", "-d", "-p", "-c",
                                         self.path("unbound-%s/unbound.conf" % vp)])
        self.start("tls", [sys.executable, os.path.join(HERE, "tls_server.py"), self.d])
        for vp in self.w.vps:
            self.wait_dns(vp)

    def dig_ok(self, server, *query):
        r = subprocess.run(["dig", "+time=1", "+tries=1", "@" + server] + list(query),
                           capture_output=True, text=True)
        return "status: NOERROR" in r.stdout

    def wait_dns(self, vp, timeout=30):
        v = self.w.t["vantage_points"][vp]
        deadline = time.monotonic() + timeout
        for name, server, query in (("knot-" + vp, v["authoritative"], ["+norec", ".", "SOA"]),
                                    ("unbound-" + vp, v["resolver"], ["ns.fortnight.", "A"])):
            while not self.dig_ok(server, *query):
                if not self.running(name):
                    raise RuntimeError("%s exited; see %s" % (name, self.path("log", name + ".log")))
                if time.monotonic() > deadline:
                    raise RuntimeError("%s does not answer after %ds" % (name, timeout))
                time.sleep(0.1)

    def reload_zone(self, vp):
        subprocess.run(["knotc", "-c", self.path("knot-%s/knot.conf" % vp), "-b", "zone-reload", "."],
                       check=True, capture_output=True)

    def set_resolver(self, vp, up):
        name = "unbound-" + vp
        if up and not self.running(name):
            self.start(name, ["unbound", "-d", "-p", "-c", self.path("unbound-%s/unbound.conf" % vp)])
            self.wait_dns(vp)
            return "started"
        if not up and self.running(name):
            self.stop(name)
            return "stopped"
        return None

    def stop_all(self):
        for name in list(self.procs):
            self.stop(name)


KNOT_CONF = """# generated by tests/lab/fortnight/fortnight.py
server:
  identity: "iotmap-fortnight"
  rundir: "{d}"
  listen: [ {listen}@53 ]
log:
  - target: stderr
    any: warning
database:
  storage: "{d}/db"
template:
  - id: default
    storage: "{d}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: "."
    file: "root.zone"
"""


def catalogue_toml(w):
    out = ["# generated by tests/lab/fortnight/fortnight.py from truth.json"]
    for p in w.providers:
        out += ["", "[[provider]]", 'id = "%s"' % p["id"], 'name = "%s"' % p["name"],
                "registrable_domains = %s" % json.dumps(p["registrable_domains"]),
                "asns = %s" % json.dumps(p["asns"]),
                "patterns = [%s]" % ", ".join("'%s'" % x for x in p["patterns"]),
                "fixed_names = %s" % json.dumps([n + "." for n in p["fixed_names"]]),
                "ports = [%s]" % ", ".join('{ port = %d, protocol = "%s", tls = true }'
                                           % (x["port"], x["protocol"]) for x in p["ports"])]
    return "\n".join(out) + "\n"


def iotmap_toml(w, d):
    out = ["# generated by tests/lab/fortnight/fortnight.py",
           '[catalogue]\nfile = "%s/catalogue.toml"\n' % d]
    for vp in w.vps:
        out.append('[[vantage_point]]\nname = "%s"\nlocation = "lab-%s"\nresolvers = ["%s:53"]\n'
                   % (vp, vp, w.t["vantage_points"][vp]["resolver"]))
    out.append("[resolver]\ntimeout_ms = 500\nretries = 1\nqps = 2000\n")
    out.append("[scan]\nrate = 1000\nmax_in_flight = 200\ntimeout_ms = 3000\nper_ip_spacing_ms = 0\n"
               "per_prefix_spacing_ms = 0\nseed = 4242\n")
    out.append('[ethics]\ndefault_blocklist = false\nblocklist_file = "%s/blocklist.txt"\n'
               'contact = "fortnight-lab@example.org"\n' % d)
    out.append('[sources]\npassive_dns = ["%s/pdns/feed.jsonl"]\npfx2as = "%s/pfx2as.txt"\n'
               'cloud_ases = "%s/cloud_ases.csv"\n' % (d, d, d))
    return "\n".join(out)


# ====================================================================== the jobs
class Jobs:
    """Runs iotmap at simulated times, kills some runs, records what happened."""

    def __init__(self, w, lab, iotmap, seed):
        self.w, self.lab, self.iotmap = w, lab, iotmap
        self.db = lab.path("iotmap.db")
        self.log = open(lab.path("log", "jobs.log"), "a")
        self.events = []  # (day, hour, job, what)
        self.exits = {}   # (day, hour, job) -> exit code of the run that completed
        self.seconds = {"hourly": [], "daily": []}
        rng = random.Random(seed)
        cells = [(d, h) for d in range(1, w.days + 1) for h in range(24)]
        k = w.t["kills"]
        self.kill_daily = {d: rng.random() for d in rng.sample(range(1, w.days + 1), k["dailies"])}
        self.kill_hourly = {c: rng.random() for c in rng.sample(cells, k["hourlies"])}

    def run(self, args, when, kill_fraction=None, typical=1.0):
        """(exit code or 'killed', seconds). kill_fraction: SIGKILL after that share of `typical`."""
        env = dict(os.environ, IOTMAP_NOW=str(when))
        self.log.write("\n=== IOTMAP_NOW=%d (%s) iotmap %s\n" % (
            when, time.strftime("%Y-%m-%dT%H:%M", time.gmtime(when)), " ".join(args)))
        self.log.flush()
        t = time.monotonic()
        p = subprocess.Popen([self.iotmap, "--config", self.lab.path("iotmap.toml"), "--db", self.db]
                             + args, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        if kill_fraction is None:
            return p.wait(), time.monotonic() - t
        delay = kill_fraction * typical
        try:
            rc = p.wait(timeout=delay)
            return rc, time.monotonic() - t
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            self.log.write("=== killed with SIGKILL after %.2fs\n" % delay)
            self.log.flush()
            self.wait_children()
            return "killed", delay

    def wait_children(self):
        """A killed job's stage dies with it (PR_SET_PDEATHSIG): wait until no process works on
        the database any more, as the next cron run would find it."""
        needle = ("--db\0" + self.db + "\0").encode()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            busy = False
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    try:
                        with open("/proc/%s/cmdline" % pid, "rb") as f:
                            busy = busy or needle in f.read()
                    except OSError:
                        pass
            if not busy:
                return
            time.sleep(0.05)
        raise RuntimeError("a stage of a killed job is still running after 30 s")

    def typical(self, job):
        s = self.seconds[job]
        return sorted(s)[len(s) // 2] if s else (0.3 if job == "hourly" else 2.0)

    def job(self, day, hour, name, args, minute, retry_minute):
        """Runs a job at day/hour:minute; a seeded kill, then the rerun at retry_minute."""
        cell = (day, hour)
        frac = self.kill_daily.get(day) if name == "daily" else self.kill_hourly.get(cell)
        when = self.w.epoch(day, hour, minute)
        rc, secs = self.run(args, when, frac, self.typical(name))
        if rc == "killed":
            stage = self.last_stage()
            self.events.append((day, hour, name, "killed after %.2fs (%s)" % (secs, stage)))
            rc, secs = self.run(args, self.w.epoch(day, hour, retry_minute))
            self.events.append((day, hour, name, "rerun at %02d:%02d: exit %s" % (hour, retry_minute, rc)))
        elif frac is not None:
            self.events.append((day, hour, name, "finished (exit %s) before its kill" % rc))
        self.seconds[name].append(secs)
        self.exits[(day, hour, name)] = rc
        return rc

    def last_stage(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            tail = f.read()[-20000:]
        run = tail[tail.rfind("=== IOTMAP_NOW"):]
        stages = [line.split(": --- ", 1)[1].split(":")[0] for line in run.splitlines()
                  if ": --- " in line]
        return "in stage " + stages[-1] if stages else "before its first stage"


# ====================================================================== reading iotmap's results
def exported_hitlist(jobs, w, day):
    out = subprocess.run([jobs.iotmap, "--config", jobs.lab.path("iotmap.toml"), "--db", jobs.db,
                          "export", "hitlist", "--date", w.date(day), "--include-shared",
                          "--format", "csv"], capture_output=True, text=True)
    if out.returncode != 0:
        return None, out.stderr
    return [tuple(r) for r in list(csv.reader(io.StringIO(out.stdout)))[1:]], ""


def daily_csv(lab, w, day):
    path = lab.path("out", w.date(day), "hitlist-%s.csv" % w.date(day))
    if not os.path.exists(path):
        return None
    with open(path, newline="") as f:
        return [tuple(r) for r in list(csv.reader(f))[1:]]


def footprint_of(doc):
    out = {}
    keys = ("ipv4", "ipv6", "ips_dedicated", "ips_shared", "ips_unknown", "unrouted_ips",
            "di_ips", "pr_ips", "other_ips", "unlocated", "prefixes_v4_24", "prefixes_v6_56",
            "announced_prefixes", "strategy", "sources")
    for p in doc["providers"]:
        f = {k: p[k] for k in keys}
        f["prefixes"] = sorted((x["prefix"], tuple(x["origins"]), x["ips"]) for x in p["prefixes"])
        f["ases"] = sorted((a["asn"], a["ips"], a["own"]) for a in p["ases"])
        f["ports"] = sorted((x["port"], x["protocol"], x["ips"]) for x in p["ports"])
        f["stability"] = [(s["day"], s["both"], s["new"], s["gone"]) for s in p["stability"]]
        out[p["provider"]] = f
    return out


def stored_verdicts(db, w, day):
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        ips = sorted(con.execute("SELECT ip, provider, verdict_exclusive FROM ip_verdicts "
                                 "WHERE date = ?", (w.date(day),)).fetchall(),
                     key=lambda r: (r[0], r[1]))
        doms = sorted((p, d.rstrip("."), v) for p, d, v in con.execute(
            "SELECT provider, domain, verdict FROM domain_verdicts WHERE date = ?", (w.date(day),)))
    finally:
        con.close()
    ips = sorted(ips, key=lambda r: (model_mod.ip_key(r[0]), r[1]))
    return ips, doms


def stored_resolutions(db):
    """{(day, hour, name, type, vp): [(status, chain, addresses), ...]} for every stored row."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    rows = {}
    try:
        for hour, name, qtype, vp, status, chain, addrs in con.execute("""
                SELECT r.hour, n.name, r.qtype, v.name, r.status, r.cname_chain,
                       (SELECT group_concat(a.ip, ' ') FROM resolution_answers a
                        WHERE a.resolution_id = r.id)
                FROM resolutions r JOIN names n ON n.id = r.name_id
                JOIN vantage_points v ON v.id = r.vantage_id"""):
            key = (hour, name.rstrip("."), qtype, vp)
            chain = [c.rstrip(".") for c in json.loads(chain or "[]")]
            ips = sorted(world_mod.norm_ip(a) for a in (addrs or "").split())
            rows.setdefault(key, []).append((status, chain, ips))
    finally:
        con.close()
    return rows


# ====================================================================== comparing
class Report:
    def __init__(self):
        self.failures = 0
        self.checks = 0

    def same(self, what, expected, actual, limit=6):
        self.checks += 1
        if expected == actual:
            print("ok   %s" % what)
            return True
        self.failures += 1
        print("FAIL %s" % what)
        if isinstance(expected, list) and isinstance(actual, list):
            exp, act = set(expected), set(actual)
            for r in sorted(exp - act, key=str)[:limit]:
                print("       missing    %s" % (r,))
            for r in sorted(act - exp, key=str)[:limit]:
                print("       unexpected %s" % (r,))
            if exp == act:
                print("       same rows, different order")
        elif isinstance(expected, dict) and isinstance(actual, dict):
            for k in sorted(set(expected) | set(actual)):
                if expected.get(k) != actual.get(k):
                    print("       %s: want %s" % (k, expected.get(k)))
                    print("       %s  got  %s" % (" " * len(str(k)), actual.get(k)))
        else:
            print("       want %s\n       got  %s" % (expected, actual))
        return False

    def ok(self, what):
        self.checks += 1
        print("ok   %s" % what)

    def fail(self, what):
        self.checks += 1
        self.failures += 1
        print("FAIL %s" % what)


def day_results(jobs, lab, w, day):
    hitlist, err = exported_hitlist(jobs, w, day)
    ip_rows, dom_rows = stored_verdicts(jobs.db, w, day)
    fp_path = lab.path("out", w.date(day), "footprint.json")
    fp = footprint_of(json.load(open(fp_path))) if os.path.exists(fp_path) else None
    return {"hitlist": hitlist, "hitlist_err": err, "ip": ip_rows, "domain": dom_rows,
            "footprint": fp, "daily_csv": daily_csv(lab, w, day)}


def compare_day(rep, model, day, got, quiet=False):
    """Compares one day; returns the kinds that differ."""
    ip_rows, dom_rows, hitlist, footprint = model.classify(day)
    want = {"hitlist": hitlist, "ip": ip_rows, "domain": dom_rows, "footprint": footprint,
            "daily_csv": [r for r in hitlist if r[6] == "dedicated"]}
    differ = []
    for kind in ("hitlist", "daily_csv", "domain", "ip", "footprint"):
        if quiet:
            if want[kind] != got[kind]:
                differ.append(kind)
            continue
        what = "day %2d %s: %s (%d rows)" % (day, model.w.date(day), kind, len(want[kind]))
        if got[kind] is None:
            rep.fail(what + ": nothing exported " + got.get(kind + "_err", ""))
            differ.append(kind)
        elif not rep.same(what, want[kind], got[kind]):
            differ.append(kind)
    return differ


def check_resolutions(rep, w, model, db, days):
    stored = stored_resolutions(db)
    expected = {}
    for day in range(1, days + 1):
        for (hour, name, qtype, vp), r in model.resolutions(day, range(24)).items():
            expected[(w.epoch(day, hour), name, qtype, vp)] = r
    twice = {k: v for k, v in stored.items() if len(v) != 1}
    rep.same("every stored (hour, name, type, vantage point) is there exactly once",
             [], sorted(twice, key=str))
    rep.same("every (hour, name, type, vantage point) of the %d days is stored (%d)"
             % (days, len(expected)), sorted(expected, key=str), sorted(stored, key=str))
    wrong, failed = [], {}
    for key, r in expected.items():
        got = stored.get(key, [None])[0]
        if got is None:
            continue
        if r is None:  # the resolver was down: a failure status, no answer
            failed[got[0]] = failed.get(got[0], 0) + 1
            if got[0] not in ("NETWORK_ERROR", "TIMEOUT", "NO_RESOLVER") or got[2]:
                wrong.append((key, "a failure", got))
        elif (got[0], got[1], got[2]) != (r[0], r[1], r[2]):
            wrong.append((key, r, got))
    rep.same("every stored answer is the truth's (status, CNAME chain, addresses); outage rows: %s"
             % failed, [], wrong)


def db_sizes(db):
    size = os.path.getsize(db)
    wal = os.path.getsize(db + "-wal") if os.path.exists(db + "-wal") else 0
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        pages = con.execute("PRAGMA page_count").fetchone()[0] * con.execute("PRAGMA page_size").fetchone()[0]
        rows = con.execute("SELECT count(*) FROM resolutions").fetchone()[0]
    finally:
        con.close()
    return size, wal, pages, rows


# ====================================================================== the fortnight
def fortnight(iotmap, state):
    w = world_mod.World(TRUTH)
    days = int(os.environ.get("IOTMAP_FORTNIGHT_DAYS", w.days))
    seed = int(os.environ.get("IOTMAP_FORTNIGHT_SEED", w.t["seed"]))
    lab = Lab(w, state)
    lab.build()
    lab.start_all()
    say("lab up in %s: %d addresses, knot and unbound for %s, TLS servers" %
        (state, len(w.addresses()), " and ".join(w.vps)))
    jobs = Jobs(w, lab, iotmap, seed)
    say("kills (seed %d): dailies on days %s; hourlies at %s" % (
        seed, sorted(jobs.kill_daily), sorted("%d/%02d:05" % c for c in jobs.kill_hourly)))
    sizes = {}
    try:
        for day in range(1, days + 1):
            notes = []
            for vp in w.vps:
                if lab.write_zone(vp, day):
                    lab.reload_zone(vp)
                    notes.append("zone of %s changed" % vp)
            if day > 1 and w.tls_servers(day) != w.tls_servers(day - 1):
                notes.append("certificates changed")
            lab.write_tls(day)
            if w.feed_lines(day) != w.feed_lines(day - 1):
                lab.write("pdns/feed.jsonl", "\n".join(w.feed_lines(day)) + "\n")
                notes.append("passive-DNS delivery")
            if notes:
                time.sleep(1.1)  # unbound may reuse an answer within the same second (TTL 0)
            for hour in range(24):
                for vp in w.vps:
                    change = lab.set_resolver(vp, not w.resolver_down(vp, day, hour))
                    if change:
                        notes.append("%02d:00 resolver of %s %s" % (hour, vp, change))
                jobs.job(day, hour, "hourly", ["hourly"], w.t["hourly_minute"], 35)
                if hour == w.daily_hour:
                    out = lab.path("out", w.date(day))
                    jobs.job(day, hour, "daily", ["daily", "--out", out], w.daily_minute, 45)
                    rc, _ = jobs.run(["report", "footprint", "--date", w.date(day), "--format", "json",
                                      "--output", os.path.join(out, "footprint.json")],
                                     w.epoch(day, hour, 50))
                    if rc != 0:
                        notes.append("report footprint exit %s" % rc)
            sizes[day] = db_sizes(jobs.db)
            say("day %2d %s done: %s; daily exit %s; hourly exits %s" % (
                day, w.date(day), "; ".join(notes) or "no change",
                jobs.exits.get((day, w.daily_hour, "daily")),
                sorted({str(jobs.exits[(day, h, "hourly")]) for h in range(24)})))
    finally:
        lab.stop_all()
    return w, lab, jobs, days, sizes


def verify(w, lab, jobs, days, sizes):
    rep = Report()
    m = model_mod.Model(w)
    print("\n--- the simulated days against the model (truth.json, documented rules)")
    got = {day: day_results(jobs, lab, w, day) for day in range(1, days + 1)}
    for day in range(1, days + 1):
        compare_day(rep, m, day, got[day])
    print("\n--- resolutions")
    check_resolutions(rep, w, m, jobs.db, days)
    print("\n--- the jobs")
    for (day, hour, job), rc in sorted(jobs.exits.items()):
        want = 1 if job == "hourly" and any(w.resolver_down(vp, day, hour) for vp in w.vps) else 0
        if job == "daily" and any(w.resolver_down(vp, day, hour) for vp in w.vps):
            want = rc if rc in (0, 1) else "0 or 1"  # the resolve stage may ask the dead resolver
        if rc != want:
            rep.fail("day %d %02d:%02d %s exit %s, want %s" % (day, hour, 5, job, rc, want))
    rep.ok("%d hourly and %d daily runs ended as expected" % (
        sum(1 for k in jobs.exits if k[2] == "hourly"), sum(1 for k in jobs.exits if k[2] == "daily")))
    for day, hour, job, what in jobs.events:
        print("     day %2d %02d:xx %-6s %s" % (day, hour, job, what))
    killed = sum(1 for e in jobs.events if e[3].startswith("killed"))
    if killed == 0:
        rep.fail("no kill landed while a job was running")
    else:
        rep.ok("%d jobs killed with SIGKILL while running, each rerun in the same hour" % killed)
    con = sqlite3.connect("file:%s?mode=ro" % jobs.db, uri=True)
    integrity = con.execute("PRAGMA integrity_check").fetchall()
    fk = con.execute("PRAGMA foreign_key_check").fetchall()
    running = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0]
    con.close()
    rep.same("PRAGMA integrity_check", [("ok",)], integrity)
    rep.same("PRAGMA foreign_key_check", [], fk)
    rep.same("no run left 'running'", 0, running)

    print("\n--- the comparison fails when one rule is changed (the model with that rule)")
    for label, variant in (("window 6 days instead of 7", model_mod.Model(w, window=6)),
                           ("exclusive on any day instead of every day",
                            model_mod.Model(w, any_day=True))):
        differ = {d: compare_day(rep, variant, d, got[d], quiet=True) for d in range(1, days + 1)}
        verdict_days = {d: [k for k in kinds if k in ("hitlist", "domain")]
                        for d, kinds in differ.items()}
        verdict_days = {d: k for d, k in verdict_days.items() if k}
        if verdict_days:
            rep.ok("%s: the hitlist or domain verdicts differ on %s (and %d days differ in all)"
                   % (label, ", ".join("day %d (%s)" % (d, ", ".join(k))
                                       for d, k in sorted(verdict_days.items())),
                      sum(1 for k in differ.values() if k)))
        else:
            rep.fail("%s: no day's hitlist or domain verdicts change; the test cannot tell this rule"
                     % label)

    print("\n--- database size per simulated day (after its 23:05 hourly run)")
    print("     day  date        file bytes   WAL bytes  pages bytes  resolutions")
    for day, (size, wal, pages, rows) in sorted(sizes.items()):
        print("     %3d  %s  %10d  %10d  %11d  %11d" % (day, w.date(day), size, wal, pages, rows))
    h, d = jobs.seconds["hourly"], jobs.seconds["daily"]
    print("     runs: %d hourly (median %.2fs, max %.2fs), %d daily (median %.2fs, max %.2fs)" % (
        len(h), sorted(h)[len(h) // 2], max(h), len(d), sorted(d)[len(d) // 2], max(d)))
    print("fortnight: %d checks, %d failed, %.0f s" % (rep.checks, rep.failures, time.monotonic() - T0))
    return rep.failures == 0


# ====================================================================== the namespace
def inside(iotmap, state):
    w, lab, jobs, days, sizes = fortnight(iotmap, state)
    return 0 if verify(w, lab, jobs, days, sizes) else 1


def outside(iotmap, src):
    if os.geteuid() != 0:
        print("fortnight: needs root (network namespaces)")
        return 1
    for tool in ("ip", "knotd", "knotc", "unbound", "dig", "openssl"):
        if shutil.which(tool) is None:
            print("fortnight: missing %s (scripts/install-deps.sh)" % tool)
            return 1
    w = world_mod.World(TRUTH)
    ns = os.environ.get("IOTMAP_FORTNIGHT_NS") or "iotmap-fn-%d" % os.getpid()
    state = os.environ.get("IOTMAP_FORTNIGHT_DIR") or tempfile.mkdtemp(prefix="iotmap-fortnight.")
    os.makedirs(state, exist_ok=True)
    sh = lambda *c: subprocess.run(list(c), check=True)  # noqa: E731
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0",
                        "net.ipv6.conf.lo.disable_ipv6=0"])
        batch = os.path.join(state, "addresses.batch")
        with open(batch, "w") as f:
            for a in w.addresses():
                f.write("address add %s/%d dev lo%s\n" % (a, 128 if ":" in a else 32,
                                                          " nodad" if ":" in a else ""))
        sh("ip", "netns", "exec", ns, "ip", "-batch", batch)
        return subprocess.call(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__),
                                "--inside", iotmap, src, state])
    finally:
        # Whatever the test started in its namespace (all of it is ours) goes with it.
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
        for pid in pids.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", ns])
        if os.environ.get("IOTMAP_FORTNIGHT_KEEP") == "1":
            print("fortnight: kept %s" % state)
        else:
            shutil.rmtree(state, ignore_errors=True)


def main(argv):
    if len(argv) == 4 and argv[0] == "--inside":
        return inside(argv[1], argv[3])
    if len(argv) != 2:
        print(__doc__)
        return 2
    return outside(os.path.abspath(argv[0]), os.path.abspath(argv[1]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
