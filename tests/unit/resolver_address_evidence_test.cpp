// What else points at candidate addresses (resolver/address_evidence.h): the passes over a
// passive-DNS file, the window, CNAME chains into and out of provider names, both families.
#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "resolver/address_evidence.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap;

namespace {

const char* kCatalogue =
    "[[provider]]\nid = \"p\"\nname = \"P\"\npatterns = ['[a-z0-9]+\\.iot\\.example\\.net\\.']\n"
    "ports = [{ port = 8883, protocol = \"mqtt\", tls = true }]\n";

std::string line(const std::string& name, const std::string& type, const std::string& rdata,
                 int64_t first = 1700000000, int64_t last = 1700090000) {
  return R"({"rrname":")" + name + R"(.","rrtype":")" + type + R"(","rdata":[")" + rdata +
         R"("],"time_first":)" + std::to_string(first) + R"(,"time_last":)" + std::to_string(last) +
         "}\n";
}

// (ip, name, rrtype, target) of every stored address_names row, sorted.
std::vector<std::string> stored(db::Store& store) {
  std::vector<std::string> out;
  store.for_each_address_name(INT64_MIN, INT64_MAX, [&](const db::AddressNameRow& r) {
    out.push_back(r.ip + " " + r.name + " " + r.rrtype + (r.target.empty() ? "" : " " + r.target) +
                  " " + r.kind + " " + r.source);
  });
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_CASE("address evidence: every name on a candidate address, chains in any order",
          "[resolver][evidence]") {
  test::TempDir dir;
  db::Store store(dir.file("e.db"));
  auto cat = config::Catalogue::from_text(kCatalogue, "p.toml");
  // A candidate address known only from the store: a provider name resolved to it.
  db::ResolutionRow r;
  r.hour = 1700000000 / 3600 * 3600;
  r.name = "dev.iot.example.net.";
  r.qtype = "A";
  r.vantage = "lab";
  r.status = "NOERROR";
  r.answers = {{"192.0.2.50", 60}};
  r.resolved_at = r.hour;
  store.upsert_names(std::vector<db::NameRow>{{"dev.iot.example.net.", "p", "", "cli", 1}});
  store.add_resolutions(std::vector<db::ResolutionRow>{r});

  // Written so that a single pass cannot see everything: each CNAME comes before the record
  // that makes its target interesting.
  std::istringstream in(
      line("shop.store.com", "CNAME", "shop.store.com.cdn.net") +
      line("shop.store.com.cdn.net", "A", "198.51.100.7") +
      line("edge.cdn.net", "A", "198.51.100.7") +
      line("mqtt.iot.example.net", "CNAME", "edge.cdn.net") +
      line("blog.other.org", "A", "198.51.100.7") +
      line("old.site.com", "A", "198.51.100.7", 1600000000, 1600000100) +  // before the window
      line("unrelated.org", "A", "203.0.113.99") +                         // no candidate
      line("far.org", "CNAME", "unrelated.org") +
      line("v6.iot.example.net", "AAAA", "2001:db8::7") +
      line("www.v6site.com", "AAAA", "2001:DB8:0::7") + line("cloud.tenant.io", "A", "192.0.2.50") +
      line("mail.tenant.io", "MX", "10 mx.tenant.io"));
  resolver::PdnsFilter window;
  window.from = 1690000000;
  window.to = 1800000000;
  auto imported = resolver::import_pdns(in, "f.jsonl", window, "f.jsonl", cat, store);
  CHECK(imported.names == 2);  // the provider names only
  auto ev =
      resolver::import_address_evidence(resolver::dnsdb_reader(in, "f.jsonl", window), window.from,
                                        window.to, "pdns", "f.jsonl", cat, store);
  CHECK(ev.converged);
  CHECK(ev.passes >= 2);
  CHECK(ev.candidate_addresses == 3);  // 192.0.2.50 (store), 198.51.100.7 (chain), 2001:db8::7
  CHECK(stored(store) ==
        std::vector<std::string>{
            "192.0.2.50 cloud.tenant.io. A pdns f.jsonl",
            "198.51.100.7 blog.other.org. A pdns f.jsonl",
            "198.51.100.7 edge.cdn.net. A pdns f.jsonl",
            "198.51.100.7 mqtt.iot.example.net. CNAME edge.cdn.net. pdns f.jsonl",
            "198.51.100.7 shop.store.com. CNAME shop.store.com.cdn.net. pdns f.jsonl",
            "198.51.100.7 shop.store.com.cdn.net. A pdns f.jsonl",
            "2001:db8::7 v6.iot.example.net. AAAA pdns f.jsonl",
            "2001:db8::7 www.v6site.com. AAAA pdns f.jsonl",
        });
  // Names that match no provider do not become candidate names.
  std::vector<std::string> names;
  for (const auto& n : store.candidate_names()) names.push_back(n.name);
  CHECK(names == std::vector<std::string>{"dev.iot.example.net.", "mqtt.iot.example.net.",
                                          "v6.iot.example.net."});
  // The table's rows are candidate addresses for the next import.
  auto cand = store.candidate_addresses(window.from, window.to);
  std::sort(cand.begin(), cand.end());
  CHECK(cand == std::vector<std::string>{"192.0.2.50", "198.51.100.7", "2001:db8::7"});
}

TEST_CASE("address evidence: a CNAME chain out of a provider name makes its end a candidate",
          "[resolver][evidence]") {
  std::vector<std::string> seen;
  resolver::AddressEvidence ev([](const std::string& n) { return n.ends_with(".iot.example.net"); },
                               {});
  auto rec = [](std::string n, std::string t, std::string d) {
    return resolver::PdnsRecord{std::move(n), std::move(t), std::move(d), 10, 20};
  };
  // Two hops out of the provider name, listed backwards; a site aliasing the middle name.
  std::vector<resolver::PdnsRecord> data = {
      rec("e2.cdn.net", "A", "198.51.100.9"), rec("e1.cdn.net", "CNAME", "e2.cdn.net"),
      rec("a.iot.example.net", "CNAME", "e1.cdn.net"), rec("site.org", "CNAME", "e1.cdn.net"),
      rec("x.org", "A", "198.51.100.10")};
  size_t passes = 0;
  do {
    ev.begin_pass();
    for (const auto& r : data) ev.see(r);
    ++passes;
  } while (ev.changed() && passes < 10);
  CHECK(passes == 4);  // three to learn the chain backwards, one to see nothing new
  CHECK(ev.candidate_addresses() == 1);
  std::vector<std::string> rows;
  for (const auto& r : ev.rows("pdns", "s")) rows.push_back(r.name + ">" + r.target);
  std::sort(rows.begin(), rows.end());
  CHECK(rows == std::vector<std::string>{"a.iot.example.net>e1.cdn.net", "e1.cdn.net>e2.cdn.net",
                                         "e2.cdn.net>", "site.org>e1.cdn.net"});
}
