// The catalogue against the backend study's Table 7.2 (tests/data/table_7_2.csv): own ASes
// agree with the strategy the study found, DI providers list at least the ASes it counted, and
// every protocol and port of the table is in the catalogue (issue #12, item 8).
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "backend_map/cloud_ases.h"
#include "config/catalogue.h"

using iotmap::config::Catalogue;

namespace {

struct Row {
  std::string provider, strategy;
  size_t ases = 0;
  std::vector<std::pair<std::string, int>> ports;  // (protocol, port); port 0: none given
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string f; std::getline(in, f, sep);) out.push_back(f);
  if (!s.empty() && s.back() == sep) out.emplace_back();
  return out;
}

std::vector<Row> table_7_2() {
  std::ifstream in(IOTMAP_SOURCE_DIR "/tests/data/table_7_2.csv");
  REQUIRE(in);
  std::vector<Row> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto f = split(line, ',');
    REQUIRE(f.size() == 8);
    Row r{f[0], f[6], std::stoul(f[1]), {}};
    for (const auto& p : split(f[7], ' ')) {
      if (p.empty()) continue;
      auto colon = p.find(':');
      REQUIRE(colon != std::string::npos);
      std::string port = p.substr(colon + 1);
      r.ports.emplace_back(p.substr(0, colon), port.empty() ? 0 : std::stoi(port));
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

// IBM: the study counts two ASes, all IBM's; the catalogue names only SoftLayer (AS36351), the
// one we could check. Table 7.2 gives the count only, and neither the study's text nor its
// released patterns name the second AS; guessing one (IBM registers many) would make the DI
// count right for the wrong reason. Listed here so that this test fails once it is fixed and
// the entry can go.
const std::set<std::string> kKnownShort = {"ibm"};

}  // namespace

TEST_CASE("catalogue vs Table 7.2: own ASes agree with the study's strategy",
          "[catalogue][table72]") {
  auto cat = Catalogue::embedded();
  auto rows = table_7_2();
  REQUIRE(rows.size() == 16);
  for (const auto& r : rows) {
    INFO(r.provider << " (" << r.strategy << ", " << r.ases << " ASes)");
    const auto* p = cat.provider(r.provider);
    REQUIRE(p != nullptr);
    if (r.strategy == "PR") {
      CHECK(p->asns.empty());  // on other companies' clouds: no AS of its own
    } else {
      CHECK_FALSE(p->asns.empty());
      if (r.strategy == "DI")
        CHECK((p->asns.size() >= r.ases) != (kKnownShort.count(r.provider) > 0));
    }
  }
}

TEST_CASE("catalogue vs Table 7.2: every protocol and port of the table is documented",
          "[catalogue][table72]") {
  auto cat = Catalogue::embedded();
  for (const auto& r : table_7_2()) {
    const auto* p = cat.provider(r.provider);
    REQUIRE(p != nullptr);
    std::set<int> ports;
    std::set<std::string> protocols;
    for (const auto& s : p->ports) {
      ports.insert(s.port);
      protocols.insert(s.protocol);
    }
    for (const auto& [protocol, port] : r.ports) {
      INFO(r.provider << " " << protocol << ":" << port);
      if (port == 0)
        CHECK(protocols.count(protocol));
      else
        CHECK(ports.count(port));
    }
  }
}

TEST_CASE(
    "catalogue vs Table 7.2: the own ASes of DI providers are cloud ASes, a PR provider's "
    "addresses are found only through the cloud list",
    "[catalogue][table72]") {
  // The DI providers that are themselves clouds (Amazon, Microsoft, Google, Alibaba, Tencent,
  // Huawei, Baidu, Oracle, IBM) host others' IoT backends: every one of their own ASes must be
  // in the cloud list, or a PR provider on them would come out "other" (Tencent's AS137876 and
  // AS58835, Baidu's AS55967 and Oracle's AS792 were missing).
  auto cat = Catalogue::embedded();
  const auto& cloud = iotmap::backend_map::embedded_cloud_ases();
  for (const char* id :
       {"aws", "microsoft", "google", "alibaba", "tencent", "huawei", "baidu", "oracle", "ibm"}) {
    const auto* p = cat.provider(id);
    REQUIRE(p != nullptr);
    CHECK_FALSE(p->asns.empty());
    for (uint32_t asn : p->asns) {
      INFO(id << " AS" << asn);
      CHECK(iotmap::backend_map::is_cloud_as(cloud, asn));
    }
  }
  // One line per AS: a second line would say nothing the first does not.
  std::set<uint32_t> seen;
  for (const auto& c : cloud) {
    INFO("AS" << c.asn);
    CHECK(seen.insert(c.asn).second);
  }
}
