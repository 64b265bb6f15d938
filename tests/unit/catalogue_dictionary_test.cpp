// The device dictionary of the embedded catalogue (config/catalogue.toml, [[service]]): the
// rules docs/catalogue.md gives every entry, and a flow to a newly listed brand detected through
// the hitlist rows the catalogue's answers make.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/catalogue.h"
#include "detect/detector.h"
#include "lib/date.h"

using iotmap::config::Catalogue;
using iotmap::config::DeviceService;
using iotmap::config::Match;

namespace {

// A name the domain entry stands for: "*" filled in, and a child for `subdomains`-style
// patterns (which the derived pattern allows when it starts with the any-labels group).
std::vector<std::string> examples_of(const DeviceService::Domain& d) {
  std::string name = d.name;
  for (size_t at = name.find('*'); at != std::string::npos; at = name.find('*'))
    name.replace(at, 1, "x1");
  std::vector<std::string> out{name};
  if (d.pattern.rfind("(?:[a-z0-9_-]+\\.)*", 0) == 0) out.push_back("a1b2c3." + name);
  return out;
}

std::set<uint16_t> provider_ports(const Catalogue& cat) {
  std::set<uint16_t> ports;
  for (const auto& p : cat.providers())
    for (const auto& s : p.ports) ports.insert(s.port);
  return ports;
}

}  // namespace

TEST_CASE("dictionary: every service documented, typed and reachable", "[catalogue][dictionary]") {
  auto cat = Catalogue::embedded();
  const auto scanned = provider_ports(cat);
  std::set<std::string> brands;
  size_t domains = 0;
  for (const auto& s : cat.services()) {
    INFO("service " << s.id);
    brands.insert(s.brand);
    CHECK_FALSE(s.brand.empty());
    REQUIRE_FALSE(s.docs.empty());
    for (const auto& link : s.docs) {
      INFO(link);
      CHECK(link.rfind("https://", 0) == 0);
      CHECK(link.find(' ') == std::string::npos);
    }
    CHECK((s.level == "platform" || s.level == "manufacturer" || s.level == "product"));
    size_t primary = 0;
    for (const auto& d : s.domains) primary += d.primary ? 1 : 0;
    CHECK(primary >= 1);
    // Documented ports, and only ports the scanner already probes for the providers.
    for (const auto& p : s.ports) {
      INFO("port " << p.port);
      CHECK(scanned.count(p.port) == 1);
    }
    domains += s.domains.size();
  }
  CHECK(cat.services().size() >= 40);
  CHECK(brands.size() >= 40);
  CHECK(domains >= 90);
}

TEST_CASE("dictionary: each name belongs to its own service and no other",
          "[catalogue][dictionary]") {
  auto cat = Catalogue::embedded();
  std::map<std::string, std::string> owner;  // domain entry -> service
  for (const auto& s : cat.services())
    for (const auto& d : s.domains) {
      INFO(s.id << ": " << d.name);
      auto [it, fresh] = owner.emplace(d.name, s.id);
      CHECK(fresh);  // listed twice: the later service would never match it
      // A backend provider's pattern, or an earlier service's, would take the name.
      for (const auto& example : examples_of(d)) {
        INFO(example);
        auto m = cat.match(example);
        REQUIRE(m);
        CHECK(m->kind == Match::Kind::device);
        CHECK(m->id == s.id);
        CHECK(m->primary == d.primary);
      }
    }
}

TEST_CASE("dictionary: regional copies stay below Haystack's threshold of one",
          "[catalogue][dictionary]") {
  // A service's N is every name of it in the day's hitlist; services of one brand and level are
  // regional copies or product lines, so each must keep max(1, floor(0.4 N)) at 1 unless its
  // names are all reached by one device (Amazon's Echo list).
  auto cat = Catalogue::embedded();
  std::map<std::pair<std::string, std::string>, int> per_brand_level;
  for (const auto& s : cat.services()) per_brand_level[{s.brand, s.level}]++;
  for (const auto& s : cat.services()) {
    if (per_brand_level[{s.brand, s.level}] < 2) continue;
    INFO(s.id);
    CHECK(iotmap::detect::haystack_threshold(0.4, uint32_t(s.domains.size())) == 1);
  }
}

TEST_CASE("dictionary: the literal names are candidate names to resolve",
          "[catalogue][dictionary]") {
  auto cat = Catalogue::embedded();
  auto names = cat.candidate_names();
  std::set<std::string> set(names.begin(), names.end());
  for (const char* n : {"a1.tuyaeu.com.", "api.ecobee.com.", "wbsapi.withings.net.",
                        "pindorama.amazon.com.", "api.ws.sonos.com.", "api.io.mi.com."}) {
    INFO(n);
    CHECK(set.count(n) == 1);
  }
  // Patterned names are never asked; the names they stand for come from passive DNS or
  // certificates and match: Alexa's avs-alexa-*, Amcrest's numbered command servers.
  CHECK(set.count("command-2.amcrestcloud.com.") == 1);
  for (const char* n : {"avs-alexa-fe.amazon.com", "command-7.amcrestcloud.com"}) {
    INFO(n);
    CHECK(set.count(std::string(n) + ".") == 0);
    CHECK(cat.match(n));
  }
  // Tuya's numbered names: a1 is asked, a2... come from passive DNS or certificates and match,
  // each as the one domain a#.tuyaeu.com. (so N stays 3 per data centre).
  for (const char* n : {"a2.tuyaeu.com", "a17.tuyaeu.com", "m3.tuyaeu.com"}) {
    INFO(n);
    auto m = cat.match(n);
    REQUIRE(m);
    CHECK(m->id == "tuya-eu");
    CHECK(m->entry == std::string(1, n[0]) + "#.tuyaeu.com.");
    CHECK(set.count(std::string(n) + ".") == 0);
  }
  CHECK(cat.match("openapi.tuyaeu.com")->entry == "openapi.tuyaeu.com.");
}

namespace {

using namespace iotmap;

// Hitlist rows as `classify` writes them for the service's names, one address per name (from
// 198.51.100.<base>), on each catalogue port of the service: what `detect` loads.
void add_rows(detect::Hitlist& h, const Catalogue& cat, const std::string& id, int base) {
  const auto* s = cat.service(id);
  REQUIRE(s != nullptr);
  REQUIRE_FALSE(s->ports.empty());
  int i = 0;
  for (const auto& d : s->domains) {
    std::string name = examples_of(d).front();  // avs-alexa-*: a name the pattern stands for
    auto m = cat.match(name);
    REQUIRE(m);
    auto ip = *IpAddress::parse("198.51.100." + std::to_string(base + i++));
    for (const auto& p : s->ports)
      h.add(m->id, s->level, m->entry, m->primary, ip, p.port, detect::transport_of(p.protocol));
  }
}

detect::Flow flow(const std::string& client, const std::string& server, uint16_t port) {
  detect::Flow f;
  f.start = int64_t{*parse_date("2026-03-01")} * 86400 + 12 * 3600;
  f.src = *IpAddress::parse(client);
  f.dst = *IpAddress::parse(server);
  f.src_port = 50000;
  f.dst_port = port;
  f.protocol = detect::kTcp;
  f.bytes = 100;
  return f;
}

std::vector<std::string> daily(const detect::Detector& det) {
  std::vector<std::string> out;
  for (const auto& d : det.detections({}))
    if (d.hour < 0) out.push_back(d.source.str() + " " + d.service);
  return out;
}

}  // namespace

TEST_CASE("dictionary: a flow to a newly listed brand's primary name is detected",
          "[catalogue][dictionary][detect]") {
  auto cat = Catalogue::embedded();
  detect::Hitlist h;
  add_rows(h, cat, "ecobee", 10);  // api.ecobee.com on .10
  add_rows(h, cat, "alexa", 20);   // avs-alexa-*.amazon.com on .20
  add_rows(h, cat, "amazon-echo", 30);
  std::map<std::string, std::string> parents;
  for (const auto& s : cat.services())
    if (!s.parent.empty()) parents[s.id] = s.parent;
  h.set_parents(parents);
  detect::Detector det([&](int32_t) { return &h; }, 100);
  det.add(flow("10.0.0.2", "198.51.100.10", 443));   // ecobee, documented port
  det.add(flow("10.0.0.3", "198.51.100.10", 8443));  // ecobee's address, another port
  // Echo devices only under Alexa (the level hierarchy): .4 reaches two Echo names and no
  // Alexa name, .5 reaches both.
  for (const char* client : {"10.0.0.4", "10.0.0.5"}) {
    det.add(flow(client, "198.51.100.30", 443));
    det.add(flow(client, "198.51.100.31", 443));
  }
  det.add(flow("10.0.0.5", "198.51.100.20", 443));
  CHECK(daily(det) ==
        std::vector<std::string>{"10.0.0.2 ecobee", "10.0.0.5 alexa", "10.0.0.5 amazon-echo"});
}

TEST_CASE("dictionary: brand defaults to the name and docs are read", "[catalogue][dictionary]") {
  const std::string base =
      "[[service]]\nid = \"a\"\nname = \"Acme Hub\"\nlevel = \"manufacturer\"\n"
      "domains = [{ name = \"api.acme.example\" }]\n";
  auto plain = Catalogue::from_text(base, "t.toml");
  CHECK(plain.service("a")->brand == "Acme Hub");
  CHECK(plain.service("a")->docs.empty());
  auto full = Catalogue::from_text(
      base + "brand = \"Acme\"\ndocs = [\"https://acme.example/network\"]\n", "t.toml");
  CHECK(full.service("a")->brand == "Acme");
  CHECK(full.service("a")->docs == std::vector<std::string>{"https://acme.example/network"});
  CHECK_THROWS_WITH(Catalogue::from_text(base + "docs = \"https://acme.example\"\n", "t.toml"),
                    Catch::Contains("t.toml:6: service[a].docs"));
}
