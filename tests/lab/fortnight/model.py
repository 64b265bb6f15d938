"""What iotmap must report for each day of the fortnight, computed from the truth file alone
under the rules documented in docs/backend-map.md and docs/operations.md (standard library
only). This is the test's own implementation of those rules, not a copy of iotmap's code:

- the database at the daily run of day D (02:30) holds every hour of the earlier days and the
  hours 00..02 of day D, every passive-DNS delivery that arrived by day D, and the scans of the
  days up to D (each daily scans the addresses resolved that day so far, with their names);
- classify D looks at the window [D - window + 1, D]; an address is `dedicated` on a day when
  the DNS root names on it, and the certificate names of other organisations, make one
  registrable domain; `shared` with several; `unknown` with certificate names only;
- a domain is `dedicated` only if every address it reached in the window was exclusive on every
  day it was seen, and always to the same registrable domain; `shared` as soon as one of them
  was shared on some day; a domain without DNS data falls back to the addresses serving a
  certificate whose only name is the domain or `*.` its parent;
- hitlist ports: those that answered a scan in the window, else the provider's catalogue ports;
- footprint: the provider's addresses in the window, their /24s and /56s, ASes (longest prefix
  match), DI/PR, ports, sources, and stability against the window's first day.

Options of `Model` change single rules (`window`, `any_day`) so that the test can show that
its comparison notices a changed rule.
"""
import ipaddress

ACTIVE, PDNS, CERT, REVERSE = 1, 2, 4, 8  # REVERSE: passive DNS found through the address
DNS = ACTIVE | PDNS | REVERSE


def registrable(name):
    """The registrable domain of a lab name: the lab's TLDs are not public suffixes of the
    Public Suffix List, so its default rule (the last two labels) applies."""
    name = name[2:] if name.startswith("*.") else name
    return ".".join(name.split(".")[-2:])


def names_a_site(name):
    labels = name.split(".")
    return len(labels) > 1 and labels[-1] not in ("invalid", "localhost")


def sources_text(mask):
    return "+".join(t for bit, t in ((ACTIVE, "active_dns"), (PDNS, "pdns"), (CERT, "cert"),
                                     (REVERSE, "pdns_reverse")) if mask & bit)


def ip_key(ip):
    a = ipaddress.ip_address(ip)
    return (a.version, a.packed)


class Model:
    def __init__(self, world, window=None, any_day=False):
        self.w = world
        self.window = window or world.t["window_days"]
        self.any_day = any_day
        self._day_cache = {}

    # ------------------------------------------------------------------ what the store holds
    def hours_stored(self, day, at_day):
        """Hours of `day` resolved when the daily of `at_day` runs."""
        if day < 1 or day > at_day:
            return range(0)
        return range(24) if day < at_day else range(self.w.daily_hour + 1)

    def resolutions(self, day, hours):
        """{(hour, name, type, vp): (status, chain, addresses)}; a down resolver gives None."""
        out = {}
        for hour in hours:
            for vp in self.w.vps:
                down = self.w.resolver_down(vp, day, hour)
                for name in self.w.candidates(day):
                    for qtype in ("A", "AAAA"):
                        out[(hour, name, qtype, vp)] = (
                            None if down else self.w.resolve(vp, day, name, qtype))
        return out

    def scan_targets(self, day):
        """{ip: set of names} the daily of `day` scans: what hours 00..02 resolved."""
        targets = {}
        for (_, name, _, _), r in self.resolutions(day, self.hours_stored(day, day)).items():
            if r is None:
                continue
            for ip in r[2]:
                targets.setdefault(ip, set()).add(name)
        return targets

    def scan(self, day):
        """(services {(ip, port, protocol): answered}, sightings [(ip, port, cert)]) of day's scan."""
        servers = self.w.tls_servers(day)
        services, sightings = {}, []
        for ip, names in self.scan_targets(day).items():
            ports = {}
            for n in names:
                pid = self.w.provider_of(n)
                if pid:
                    for p in self.w.provider(pid)["ports"]:
                        ports.setdefault(p["port"], p["protocol"])
            for port, protocol in ports.items():
                server = servers.get((ip, port))
                services[(ip, port, protocol)] = server is not None
                if server:
                    sightings.append((ip, port, server[0]))
        return services, sightings

    def day_data(self, day, at_day):
        """Observations {(ip, name): sources} and CNAME edges {(alias, target)} of `day` as the
        store holds them at the daily of `at_day`, with the day's services and sightings."""
        key = (day, at_day)
        if key in self._day_cache:
            return self._day_cache[key]
        obs, edges = {}, set()

        def observe(ip, name, bit):
            obs[(ip, name)] = obs.get((ip, name), 0) | bit

        for (_, name, _, _), r in self.resolutions(day, self.hours_stored(day, at_day)).items():
            if r is None or not r[2]:
                continue
            status, chain, addrs = r
            links = [name] + chain
            for a, b in zip(links, links[1:]):
                edges.add((a, b))
            for ip in addrs:
                for n in links:
                    observe(ip, n, ACTIVE)
        lo, hi = self.w.epoch(day), self.w.epoch(day + 1)
        if 1 <= day <= at_day:
            for rrname, rrtype, rdata, first, last in self.w.pdns_records(at_day):
                if not self.w.provider_of(rrname) or not (last >= lo and first < hi):
                    continue
                if rrtype == "CNAME":
                    edges.add((rrname, rdata))
                else:
                    observe(rdata, rrname, PDNS)
            for ip, name, target, first, last in self.address_evidence(at_day):
                if last >= lo and first < hi:
                    if target:
                        edges.add((name, target))
                    else:
                        observe(ip, name, REVERSE)
        services, sightings = ({}, []) if not 1 <= day <= at_day else self.scan(day)
        for ip, _, cert in sightings:
            for n in self.w.cert_names(cert):
                if names_a_site(n):
                    observe(ip, n, CERT)
        result = (obs, edges, services, sightings)
        self._day_cache[key] = result
        return result

    def candidate_addresses(self, day):
        """Addresses provider names reached by the 00:05 run of `day`: our resolutions and the
        passive DNS of provider names delivered by then."""
        ips = set()
        for d in range(1, day + 1):
            for (_, name, _, _), r in self.resolutions(d, range(24 if d < day else 1)).items():
                if r is not None and self.w.provider_of(name):
                    ips.update(r[2])
        for rrname, rrtype, rdata, _, _ in self.w.pdns_records(day):
            if rrtype != "CNAME" and self.w.provider_of(rrname):
                ips.add(rdata)
        return ips

    def address_evidence(self, at_day):
        """What the passive-DNS feed says else points at candidate addresses, as imported by
        the day of each delivery (the whole file is read again when it changes): A/AAAA records
        of any name on a candidate address, and the CNAMEs that lead to such names. Rows
        (ip, name, CNAME target or "", first, last)."""
        key = ("evidence", at_day)
        if key in self._day_cache:
            return self._day_cache[key]
        rows = set()
        for arrival in sorted({d["arrives"] for d in self.w.deliveries_by(at_day)}):
            records = self.w.pdns_records(arrival)
            ips = self.candidate_addresses(arrival)
            chain = {r[0] for r in records if self.w.provider_of(r[0])}
            grown = True
            while grown:  # the file's own provider names and the names their CNAMEs reach
                grown = False
                for rrname, rrtype, rdata, _, _ in records:
                    if rrname in chain and rrtype == "CNAME" and rdata not in chain:
                        chain.add(rdata)
                        grown = True
            ips |= {r[2] for r in records if r[0] in chain and r[1] != "CNAME"}
            points = {}
            for rrname, rrtype, rdata, first, last in records:
                if rrtype != "CNAME" and rdata in ips:
                    rows.add((rdata, rrname, "", first, last))
                    points.setdefault(rrname, set()).add(rdata)
            grown = True
            while grown:
                grown = False
                for rrname, rrtype, rdata, first, last in records:
                    if rrtype == "CNAME" and rdata in points:
                        for ip in sorted(points[rdata]):
                            if (ip, rrname, rdata, first, last) not in rows:
                                rows.add((ip, rrname, rdata, first, last))
                                points.setdefault(rrname, set()).add(ip)
                                grown = True
        self._day_cache[key] = rows
        return rows

    # ------------------------------------------------------------------ per address and day
    def ip_days(self, day, at_day):
        """{ip: (verdict, registrable domain or None, {name: sources} of the closure)}."""
        obs, edges, _, _ = self.day_data(day, at_day)
        aliases = {}
        for a, b in edges:
            aliases.setdefault(b, set()).add(a)
        out = {}
        for ip in sorted({ip for ip, _ in obs}):
            closure = {n: m for (i, n), m in obs.items() if i == ip}
            work = list(closure)
            while work:
                n = work.pop()
                for a in aliases.get(n, ()):
                    m = closure.get(a, 0)
                    if m | closure[n] != m:
                        closure[a] = m | closure[n]
                        work.append(a)
            out[ip] = self.exclusive(closure, aliases) + (closure,)
        return out

    def exclusive(self, closure, aliases):
        dns = [n for n, m in closure.items() if m & DNS]
        roots = [n for n in dns if n not in aliases]
        domains = {registrable(n) for n in (roots or dns)}
        dns_domains = bool(domains)
        present = {}
        for n in closure:
            pid = self.w.provider_of(n)
            if pid:
                present.setdefault(pid, set()).add(registrable(n))
        for n, m in closure.items():
            if m & DNS:
                continue
            if not any(self.own(n, pid, doms) for pid, doms in present.items()):
                domains.add(registrable(n))
        if len(domains) > 1:
            return ("shared", None)
        if len(domains) == 1 and dns_domains:
            return ("dedicated", next(iter(domains)))
        return ("unknown", None)

    def own(self, name, pid, domains_on_ip):
        if registrable(name) in domains_on_ip:
            return True
        bare = name[2:] if name.startswith("*.") else name
        return any(bare == rd or bare.endswith("." + rd)
                   for rd in self.w.provider(pid)["registrable_domains"])

    # ------------------------------------------------------------------ one classification
    def classify(self, D):
        """Expected (ip verdict rows, domain verdict rows, hitlist rows, footprint) for day D."""
        days = list(range(D - self.window + 1, D + 1))
        per_day = {d: self.ip_days(d, D) for d in days}
        domain_ips = {}  # domain -> ip -> [days, sources]
        for d in days:
            for ip, (_, _, closure) in per_day[d].items():
                for n, m in closure.items():
                    if self.w.provider_of(n) and not n.startswith("*."):
                        e = domain_ips.setdefault(n, {}).setdefault(ip, [set(), 0])
                        e[0].add(d)
                        e[1] |= m
        domains = set(domain_ips) | {n for n in self.w.candidates(D) if self.w.provider_of(n)}
        verdicts = {}
        for dom in sorted(domains):
            ips = domain_ips.get(dom, {})
            if any(m & DNS for _, m in ips.values()):
                verdicts[dom] = self.domain_verdict(ips, per_day, days)
            else:
                verdicts[dom], found = self.fallback(dom, per_day, days, D)
                for ip, (seen, mask) in found.items():
                    e = domain_ips.setdefault(dom, {}).setdefault(ip, [set(), 0])
                    e[0] |= seen
                    e[1] |= mask
        services = self.window_services(days, D)
        ip_rows = sorted(((ip, pid, v[0]) for ip, v in per_day[D].items()
                          for pid in {self.w.provider_of(n) for n in v[2]} - {None}),
                         key=lambda r: (ip_key(r[0]), r[1]))
        domain_rows = sorted((self.w.provider_of(d), d, v) for d, v in verdicts.items())
        hitlist = self.hitlist(D, verdicts, domain_ips, services)
        footprint = self.footprint(D, days, per_day, services)
        return ip_rows, domain_rows, hitlist, footprint

    def domain_verdict(self, ips, per_day, days):
        expect, unknown = None, False
        for ip in sorted(ips, key=ip_key):
            seen = [(d, per_day[d][ip]) for d in days if ip in per_day[d]]
            verdicts = [v for _, (v, _, _) in seen]
            dedicated_domains = [dom for _, (v, dom, _) in seen if v == "dedicated"]
            if self.any_day:  # the changed rule: exclusive on some day is enough
                if not dedicated_domains:
                    if "shared" in verdicts:
                        return "shared"
                    unknown = True
                continue
            if "shared" in verdicts or len(set(dedicated_domains)) > 1:
                return "shared"
            if not dedicated_domains:
                unknown = True
                continue
            expect = expect or dedicated_domains[0]
            if dedicated_domains[0] != expect:
                return "shared"
        return "unknown" if unknown else "dedicated"

    def fallback(self, dom, per_day, days, D):
        """A domain without DNS data: the addresses serving a certificate that names only it
        or `*.` its parent, in the window."""
        parent = dom.split(".", 1)[1] if "." in dom else None
        wanted = {dom} | ({"*." + parent} if parent and "." in parent else set())
        ips, shared = {}, False
        for d in days:
            if d < 1:
                continue
            for ip, _, cert in self.day_data(d, D)[3]:
                names = {n for n in self.w.cert_names(cert) if names_a_site(n)}
                if len(names) == 1 and names <= wanted:
                    e = ips.setdefault(ip, [set(), 0])
                    e[0].add(d)
                    e[1] |= CERT
                    shared = shared or per_day[d].get(ip, ("",))[0] == "shared"
        if not ips:
            return "unknown", {}
        return ("shared" if shared else "dedicated"), ips

    def window_services(self, days, D):
        ok = set()
        for d in days:
            if d >= 1:
                for (ip, port, protocol), answered in self.day_data(d, D)[2].items():
                    if answered:
                        ok.add((ip, port, protocol))
        return ok

    def hitlist(self, D, verdicts, domain_ips, services):
        rows = set()
        for dom, verdict in verdicts.items():
            pid = self.w.provider_of(dom)
            for ip, (seen, mask) in domain_ips.get(dom, {}).items():
                ports = sorted((p, proto) for i, p, proto in services if i == ip)
                if not ports:
                    ports = [(p["port"], p["protocol"]) for p in self.w.provider(pid)["ports"]]
                for port, proto in ports:
                    rows.add((self.w.date(D), pid, dom, ip, str(port), proto, verdict,
                              sources_text(mask), self.w.date(min(seen)), self.w.date(max(seen))))
        return sorted(rows, key=lambda r: (r[1], r[2], ip_key(r[3]), int(r[4]), r[5]))

    # ------------------------------------------------------------------ footprint
    def pfx2as(self, ip):
        best = None
        a = ipaddress.ip_address(ip)
        for base, length, origin in self.w.t["pfx2as"]:
            net = ipaddress.ip_network("%s/%d" % (base, length))
            if a.version == net.version and a in net and (best is None or length > best[0].prefixlen):
                best = (net, [int(x) for x in origin.replace("_", ",").split(",")])
        return best

    def footprint(self, D, days, per_day, services):
        out = {}
        for pid in sorted({p["id"] for p in self.w.providers}):
            prov = self.w.provider(pid)
            ips = {}
            for d in days:
                for ip, (verdict, _, closure) in per_day[d].items():
                    mine = [m for n, m in closure.items() if self.w.provider_of(n) == pid]
                    if mine:
                        e = ips.setdefault(ip, {"days": set(), "sources": 0, "verdicts": set()})
                        e["days"].add(d)
                        e["verdicts"].add(verdict)
                        for m in mine:
                            e["sources"] |= m
            if not ips:
                continue
            f = {"ipv4": 0, "ipv6": 0, "ips_dedicated": 0, "ips_shared": 0, "ips_unknown": 0,
                 "unrouted_ips": 0, "di_ips": 0, "pr_ips": 0, "other_ips": 0,
                 "unlocated": len(ips)}
            nets24, nets56, as_ips, prefixes, ports = set(), set(), {}, {}, {}
            src = {4: dict(cert=0, pdns=0, active_dns=0, several=0),
                   6: dict(cert=0, pdns=0, active_dns=0, several=0)}
            for ip, e in ips.items():
                v = ipaddress.ip_address(ip).version
                f["ipv4" if v == 4 else "ipv6"] += 1
                (nets24 if v == 4 else nets56).add(ipaddress.ip_network(
                    "%s/%d" % (ip, 24 if v == 4 else 56), strict=False))
                kind = ("ips_shared" if "shared" in e["verdicts"] else
                        "ips_dedicated" if "dedicated" in e["verdicts"] else "ips_unknown")
                f[kind] += 1
                s = e["sources"]
                if s & REVERSE:  # evidence by address counts as passive DNS here
                    s = (s & ~REVERSE) | PDNS
                key = ("several" if bin(s).count("1") > 1 else
                       {CERT: "cert", PDNS: "pdns", ACTIVE: "active_dns"}.get(s))
                if key:
                    src[v][key] += 1
                hit = self.pfx2as(ip)
                if hit is None:
                    f["unrouted_ips"] += 1
                else:
                    net, origins = hit
                    prefixes.setdefault(str(net), [origins, 0])[1] += 1
                    for asn in origins:
                        as_ips[asn] = as_ips.get(asn, 0) + 1
                    own = any(asn in prov["asns"] for asn in origins)
                    cloud = any(asn == c[0] for asn in origins for c in self.w.t["cloud_ases"])
                    f["di_ips" if own else "pr_ips" if cloud else "other_ips"] += 1
                for (i, port, proto) in services:
                    if i == ip:
                        ports[(port, proto)] = ports.get((port, proto), 0) + 1
            f["prefixes_v4_24"] = len(nets24)
            f["prefixes_v6_56"] = len(nets56)
            f["announced_prefixes"] = len(prefixes)
            f["prefixes"] = sorted((p, tuple(o), n) for p, (o, n) in prefixes.items())
            f["ases"] = sorted((asn, n, asn in prov["asns"]) for asn, n in as_ips.items())
            f["strategy"] = "+".join(n for n, k in (("DI", "di_ips"), ("PR", "pr_ips"),
                                                     ("other", "other_ips")) if f[k])
            f["ports"] = sorted((p, proto, n) for (p, proto), n in ports.items())
            f["sources"] = {"ipv4": src[4], "ipv6": src[6]}
            first = days[0]
            f["stability"] = [
                (self.w.date(d),
                 sum(1 for e in ips.values() if first in e["days"] and d in e["days"]),
                 sum(1 for e in ips.values() if first not in e["days"] and d in e["days"]),
                 sum(1 for e in ips.values() if first in e["days"] and d not in e["days"]))
                for d in days[1:]]
            out[pid] = f
        return out
