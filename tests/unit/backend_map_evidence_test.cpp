// The address -> names join of `iotmap classify` (src/classify_inputs.cpp): what address_names
// holds reaches the verdicts, inside the window only; CNAME chains into and out of provider
// names; IPv4 and IPv6; per-source counts, reasons and the evidence coverage.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "db/store.h"
#include "lib/date.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap;

namespace {

db::ResolutionRow resolved(int64_t hour, const std::string& name, std::vector<std::string> chain,
                           const std::string& ip) {
  db::ResolutionRow r;
  r.hour = hour;
  r.name = name;
  r.qtype = ip.find(':') == std::string::npos ? "A" : "AAAA";
  r.vantage = "vp-a";
  r.status = "NOERROR";
  r.cname_chain = std::move(chain);
  r.answers = {{ip, 60}};
  r.resolved_at = hour + 5;
  return r;
}

db::AddressNameRow at(const std::string& ip, const std::string& name, const std::string& type,
                      const std::string& target, int64_t first, int64_t last) {
  return {ip, name, type, target, first, last, "pdns", "f.jsonl"};
}

struct Verdict {
  std::string threshold, exclusive, reason;
  int64_t not_matching = 0, sharing_reverse = 0, sharing_dns = 0, address_sources = 0;
};

std::map<std::string, Verdict> verdicts(db::Store& store, const std::string& date) {
  std::map<std::string, Verdict> out;
  db::Statement(store.database(),
                "SELECT ip, verdict_threshold, verdict_exclusive, reason, names_not_matching, "
                "sharing_pdns_reverse, sharing_active_dns, address_sources FROM ip_verdicts "
                "WHERE date = '" +
                    date + "'")
      .each([&](db::Statement& s) {
        out[s.text(0)] = {s.text(1),  s.text(2),  s.text(3), s.int64(4),
                          s.int64(5), s.int64(6), s.int64(7)};
      });
  return out;
}

std::string domain_verdict(db::Store& store, const std::string& date, const std::string& domain) {
  std::string v;
  db::Statement(store.database(),
                "SELECT verdict || ': ' || reason FROM domain_verdicts WHERE "
                "date = '" +
                    date + "' AND domain = '" + domain + "'")
      .each([&](db::Statement& s) { v = s.text(0); });
  return v;
}

}  // namespace

TEST_CASE("classify: names found through the address make it shared, inside the window only",
          "[backend_map][evidence]") {
  test::TempDir dir;
  const std::string db_path = dir.file("iotmap.db");
  const int64_t d =
      int64_t{*iotmap::parse_date("2026-12-01")} * 86400;  // the date classified, window 3 days
  const std::string own = "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.";
  const std::string cdn = "d3cdnabc-ats.iot.eu-west-1.amazonaws.com.";
  const std::string custom = "c9c9c9c9c9c9c9-ats.iot.us-east-1.amazonaws.com.";
  const std::string six = "e5e5e5e5e5e5e5-ats.iot.us-east-1.amazonaws.com.";
  const std::string old = "f1f1f1f1f1f1f1-ats.iot.us-east-1.amazonaws.com.";
  const std::string reused = "b2b2b2b2b2b2b2-ats.iot.us-east-1.amazonaws.com.";
  const std::string cert_name = "a3a3a3a3a3a3a3-ats.iot.us-east-1.amazonaws.com.";
  {
    db::Store store(db_path);
    store.add_resolutions(std::vector<db::ResolutionRow>{
        resolved(d, own, {}, "192.0.2.50"),
        resolved(d, cdn, {"edge.cdn.example."}, "198.51.100.7"),
        resolved(d, custom, {}, "198.51.100.8"),
        resolved(d, six, {}, "2001:db8::7"),
        resolved(d, old, {}, "192.0.2.60"),
        resolved(d, reused, {}, "192.0.2.61"),
    });
    store.upsert_address_names(std::vector<db::AddressNameRow>{
        // Another site's A record on the provider's address, that day.
        at("192.0.2.50", "cloud.tenant.io", "A", "", d + 100, d + 200),
        at("192.0.2.50", own, "A", "", d, d + 86399),
        // The CDN address: a site CNAMEs to its own edge name there (a chain out of a provider
        // name is the provider's; one into another edge name is another site's).
        at("198.51.100.7", "edge.cdn.example", "A", "", d, d + 86399),
        at("198.51.100.7", cdn, "CNAME", "edge.cdn.example", d, d + 86399),
        at("198.51.100.7", "shop.store.test", "CNAME", "shop.store.test.cdn.example", d, d + 10),
        at("198.51.100.7", "shop.store.test.cdn.example", "A", "", d, d + 10),
        // A customer's own name CNAMEd into the provider name (a custom domain).
        at("198.51.100.8", "mqtt.brand.test", "CNAME", custom, d, d + 10),
        at("198.51.100.8", custom, "A", "", d, d + 10),
        // IPv6.
        at("2001:db8::7", "www.v6site.test", "AAAA", "", d, d + 10),
        // Before the window: no evidence today.
        at("192.0.2.60", "gone.example.org", "A", "", d - 10 * 86400, d - 9 * 86400),
        // Within the window, another day: the address served another site that week.
        at("192.0.2.61", "tenant-b.example.org", "A", "", d - 86400, d - 86400 + 10),
        // A PTR name names the host, not a site.
        {"192.0.2.60", "vm-60.compute.example.", "PTR", "", d, d + 10, "ptr", "vp-a"},
    });
    // Certificates: one expired when seen on .60 (names nothing), one valid on .62.
    store.add_resolutions(std::vector<db::ResolutionRow>{resolved(d, cert_name, {}, "192.0.2.62")});
    db::RunInfo scan;
    scan.kind = "scan";
    scan.started_at = d + 7200;
    const int64_t run = store.begin_run(scan);
    auto cert = [&](char c, const char* name, int64_t not_after) {
      db::CertificateRow r;
      r.sha256 = std::string(64, c);
      r.common_name = name;
      r.dns_sans = {name};
      r.der = {1};
      r.not_before = d - 400 * 86400;
      r.not_after = not_after;
      return r;
    };
    auto seen = [&](const char* ip, const db::CertificateRow& c) {
      db::TlsObservationRow o;
      o.run_id = run;
      o.ip = ip;
      o.port = 8883;
      o.observed_at = d + 7200;
      o.status = "ok";
      o.leaf_sha256 = c.sha256;
      o.protocol = "mqtt";
      return o;
    };
    auto expired = cert('e', "www.expired-site.test", d - 86400);
    auto valid = cert('f', "www.valid-site.test", d + 86400);
    store.add_tls_observations(
        std::vector<db::TlsObservationRow>{seen("192.0.2.60", expired), seen("192.0.2.62", valid)},
        std::vector<db::CertificateRow>{expired, valid});
    store.finish_run(run, "ok");
  }
  const std::string out = dir.file("out.txt");
  const std::string cmd = std::string(IOTMAP_BINARY) + " --db " + db_path +
                          " classify --date 2026-12-01 --window 3 > " + out;
  REQUIRE(std::system(cmd.c_str()) == 0);
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  INFO(text.str());
  // Verdict addresses of the day: 7; with evidence by address that day: .50, .7, .8, ::7.
  CHECK_THAT(text.str(), Catch::Contains("evidence coverage 4 of 7 verdict addresses (57.1%) "
                                         "had reverse or bulk evidence"));

  db::Store store(db_path);
  auto v = verdicts(store, "2026-12-01");
  REQUIRE(v.size() == 7);
  const Verdict& a = v["192.0.2.50"];
  CHECK(a.exclusive == "shared");
  CHECK(a.threshold == "shared");
  CHECK(a.not_matching == 1);
  CHECK(a.sharing_reverse == 1);
  CHECK(a.sharing_dns == 0);
  CHECK((a.address_sources & db::kSourcePdnsReverse) != 0);
  CHECK_THAT(a.reason, Catch::Contains("2 registrable domains; names of other sites: 1 from "
                                       "passive DNS (reverse): cloud.tenant.io"));
  const Verdict& c = v["198.51.100.7"];
  CHECK(c.exclusive == "shared");
  CHECK(c.threshold == "shared");
  CHECK(c.not_matching == 2);  // shop.store.test and its edge name; not the provider's edge
  CHECK(c.sharing_reverse == 2);
  CHECK_THAT(c.reason, Catch::Contains("2 from passive DNS (reverse): shop.store.test, "
                                       "shop.store.test.cdn.example"));
  // A custom domain CNAMEd into the provider name: the provider name is its CNAME target, no
  // root, so the address is exclusive to the custom domain's registrable domain (the paper's
  // devA.com case); the threshold rule counts the name that does not match.
  CHECK(v["198.51.100.8"].exclusive == "dedicated");
  CHECK_THAT(v["198.51.100.8"].reason, Catch::StartsWith("exclusive: only names of brand.test"));
  CHECK(v["198.51.100.8"].threshold == "shared");
  CHECK(v["198.51.100.8"].sharing_reverse == 1);
  // The alias is attributed to the passive DNS that named it, not to our resolution of its
  // target.
  CHECK(v["198.51.100.8"].sharing_dns == 0);
  CHECK_THAT(v["198.51.100.8"].reason, !Catch::Contains("from active DNS"));
  CHECK(v["2001:db8::7"].exclusive == "shared");
  CHECK_THAT(v["2001:db8::7"].reason, Catch::Contains("www.v6site.test"));
  // A valid certificate naming another site shares the address; an expired one names nothing.
  CHECK(v["192.0.2.62"].exclusive == "shared");
  CHECK_THAT(v["192.0.2.62"].reason, Catch::Contains("1 from certificates: www.valid-site.test"));
  // Evidence before the window, PTR names and the expired certificate change nothing.
  CHECK(v["192.0.2.60"].exclusive == "dedicated");
  CHECK(v["192.0.2.60"].threshold == "dedicated");
  CHECK(v["192.0.2.60"].address_sources == db::kSourceActiveDns);
  // Evidence from another day of the window: dedicated that day, but the domain is not (the
  // address was exclusive to tenant-b's domain on 11-30, to Amazon's on 12-01).
  CHECK(v["192.0.2.61"].exclusive == "dedicated");
  CHECK_THAT(domain_verdict(store, "2026-12-01", reused),
             Catch::StartsWith("shared: IP 192.0.2.61 exclusive to another registrable domain "
                               "on 2026-12-01"));
  CHECK_THAT(domain_verdict(store, "2026-12-01", old), Catch::StartsWith("dedicated"));
  // The hitlist marks every row of a shared domain shared.
  for (const auto& h : store.hitlist("2026-12-01"))
    CHECK(h.infrastructure ==
          (h.ip == "192.0.2.60" || h.ip == "198.51.100.8" ? "dedicated" : "shared"));
  CHECK(v["192.0.2.60"].not_matching == 0);
}
