"""The world of the simulated fortnight, read from truth.json (standard library only).

Everything here is a pure function of the truth file and a (day, hour): what each vantage
point's authoritative server holds, what a resolver answers, which resolver is down, what the
passive-DNS feed holds, which certificate each TLS server presents. fortnight.py uses it to
build the lab, model.py to compute the expected results. Days count from 1 (truth["start"]).
"""
import calendar
import datetime
import ipaddress
import json
import re

TYPES = ("A", "AAAA")
MAX_CHAIN = 16


def norm_ip(text):
    return ipaddress.ip_address(text).compressed


def in_days(rng, day):
    return rng[0] <= day <= rng[1]


class World:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            self.t = json.load(f)
        t = self.t
        self.path = path
        self.days = t["days"]
        self.start = datetime.date.fromisoformat(t["start"])
        self.vps = sorted(t["vantage_points"])
        self.daily_hour, self.daily_minute = t["daily_time"]
        self.providers = t["providers"]
        self._patterns = [(p["id"], [re.compile(x) for x in p["patterns"]]) for p in self.providers]
        self.check()

    # ------------------------------------------------------------------ time
    def date(self, day):
        """YYYY-MM-DD of simulated day `day` (1 = start; 0 and below are before the fortnight)."""
        return (self.start + datetime.timedelta(days=day - 1)).isoformat()

    def epoch(self, day, hour=0, minute=0, second=0):
        d = self.start + datetime.timedelta(days=day - 1)
        return calendar.timegm((d.year, d.month, d.day, hour, minute, second, 0, 0, 0))

    def day_of(self, unix):
        return (unix - self.epoch(1)) // 86400 + 1

    # ------------------------------------------------------------------ names and providers
    def provider_of(self, name):
        """The provider whose pattern matches the whole name (lowercase, trailing dot), or None.
        A certificate's "*" label matches like an ordinary label (docs/catalogue.md)."""
        fq = name.lower().rstrip(".") + "."
        if fq.startswith("*."):
            fq = "x" + fq[1:]
        for pid, pats in self._patterns:
            if any(p.fullmatch(fq) for p in pats):
                return pid
        return None

    def provider(self, pid):
        return next(p for p in self.providers if p["id"] == pid)

    def deliveries_by(self, day):
        """Passive-DNS deliveries that have arrived by the start of `day`."""
        return [d for d in self.t["pdns_deliveries"] if d["arrives"] <= day]

    def pdns_records(self, day):
        """Records of the feed on `day` as (rrname, rrtype, rdata, time_first, time_last)."""
        out = []
        for d in self.deliveries_by(day):
            for r in d["records"]:
                first, last = self.epoch(*r["first"]), self.epoch(*r["last"])
                for v in r["rdata"]:
                    out.append((r["rrname"], r["rrtype"], v, first, last))
        return out

    def feed_lines(self, day):
        """The passive-DNS feed file (DNSDB JSON lines) as it stands on `day`."""
        lines = []
        for d in self.deliveries_by(day):
            for r in d["records"]:
                lines.append(json.dumps({"rrname": r["rrname"] + ".", "rrtype": r["rrtype"],
                                         "rdata": [v + ("." if r["rrtype"] == "CNAME" else "")
                                                   for v in r["rdata"]],
                                         "time_first": self.epoch(*r["first"]),
                                         "time_last": self.epoch(*r["last"])}))
        return lines

    def candidates(self, day):
        """Names every hourly run of `day` resolves: the catalogue's fixed names and the names
        of matching passive-DNS records delivered by then (deliveries arrive at 00:00)."""
        names = {n for p in self.providers for n in p["fixed_names"]}
        for rrname, _, _, _, _ in self.pdns_records(day):
            if self.provider_of(rrname):
                names.add(rrname)
        return sorted(names)

    # ------------------------------------------------------------------ DNS
    def zone(self, vp, day):
        """{name: {type: [values]}} that vp's authoritative server holds on `day`."""
        z = {}
        for r in self.t["dns"]:
            if r.get("vp", vp) != vp or not in_days(r["days"], day):
                continue
            z.setdefault(r["name"], {}).setdefault(r["type"], []).extend(r["values"])
        return z

    def resolve(self, vp, day, name, qtype):
        """(status, cname chain, sorted addresses) a resolver of vp answers on `day`."""
        z = self.zone(vp, day)
        chain, cur = [], name
        while True:
            rrs = z.get(cur)
            if rrs and "CNAME" in rrs:
                cur = rrs["CNAME"][0]
                chain.append(cur)
                if len(chain) > MAX_CHAIN:
                    raise ValueError("chain too long for %s" % name)
                continue
            if rrs and rrs.get(qtype):
                return "NOERROR", chain, sorted(norm_ip(a) for a in rrs[qtype])
            exists = rrs is not None or any(n.endswith("." + cur) for n in z)
            return ("NODATA" if exists else "NXDOMAIN"), chain, []

    def resolver_down(self, vp, day, hour):
        return any(o["vp"] == vp and o["day"] == day and in_days(o["hours"], hour)
                   for o in self.t["outages"])

    # ------------------------------------------------------------------ TLS
    def tls_servers(self, day):
        """{(address, port): (cert id, protocol)} serving on `day`."""
        out = {}
        for s in self.t["tls"]:
            if in_days(s["days"], day):
                for a in s["addresses"]:
                    out[(norm_ip(a), s["port"])] = (s["cert"], s["protocol"])
        return out

    def cert_names(self, cert_id):
        c = self.t["certificates"][cert_id]
        return [c["subject_cn"]] + c["sans"]

    # ------------------------------------------------------------------ lab addresses
    def addresses(self):
        """Every address the lab assigns on the namespace's loopback."""
        out = set()
        for v in self.t["vantage_points"].values():
            out.update(norm_ip(v[k]) for k in ("resolver", "outgoing", "authoritative"))
        for s in self.t["tls"]:
            out.update(norm_ip(a) for a in s["addresses"])
        for r in self.t["dns"]:
            if r["type"] in TYPES:
                out.update(norm_ip(a) for a in r["values"])
        return sorted(out, key=lambda a: (":" in a, ipaddress.ip_address(a).packed))

    def check(self):
        """The truth file's own consistency: a CNAME never shares its name with other data."""
        for vp in self.vps:
            for day in range(1, self.days + 1):
                for name, rrs in self.zone(vp, day).items():
                    if "CNAME" in rrs and len(rrs) > 1:
                        raise ValueError("%s: %s has a CNAME and other data on day %d (%s)"
                                         % (self.path, name, day, vp))
        for s in self.t["tls"]:
            if s["cert"] not in self.t["certificates"]:
                raise ValueError("%s: tls entry names unknown certificate %s" % (self.path, s["cert"]))
