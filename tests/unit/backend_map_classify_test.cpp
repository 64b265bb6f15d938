// Dedicated vs shared: the papers' own cases (002 section 4.2, 003 section 7.2.4).
#include <catch2/catch.hpp>

#include "backend_map/classify.h"
#include "lib/date.h"

using namespace iotmap;
using namespace iotmap::backend_map;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// Provider 0: AWS IoT names (*.iot.<region>.amazonaws.com); provider 1: Azure IoT Hub.
NameMatch lookup(std::string_view name) {
  if (name.ends_with(".amazonaws.com") && name.find(".iot.") != std::string_view::npos &&
      !name.starts_with("iot."))
    return {0, name.find("us-east-1") != std::string_view::npos ? 0 : 1};
  if (name.ends_with(".azure-devices.net") && !name.starts_with("*.")) return {1, -1};
  return {};
}

const Day kDay = *parse_date("2022-02-28");

Classification run(const Dataset& d, int threshold = 0, int days = 1) {
  ClassifyOptions o;
  o.shared_threshold = threshold;
  return classify(d, lookup, kDay, kDay + days - 1, o);
}

const DomainVerdict& verdict_of(const Classification& c, const Dataset& d, const char* name) {
  const DomainVerdict* v = c.domain(d.find_name(name));
  REQUIRE(v != nullptr);
  return *v;
}

}  // namespace

TEST_CASE("dates and sources", "[backend_map]") {
  REQUIRE(parse_date("1970-01-01") == 0);
  REQUIRE(day_str(*parse_date("2022-03-07")) == "2022-03-07");
  REQUIRE(*parse_date("2022-03-01") - *parse_date("2022-02-28") == 1);
  REQUIRE_FALSE(parse_date("2022-02-30"));
  REQUIRE_FALSE(parse_date("2022-2-3"));
  REQUIRE(day_of(86400 * 3 + 5) == 3);
  REQUIRE(sources_str(kActiveDns | kCertificate) == "active_dns+cert");
  REQUIRE(parse_source("pdns") == kPassiveDns);
  Dataset names;
  REQUIRE(names.names[names.name("Mqtt.Example.COM.")] == "mqtt.example.com");
  REQUIRE(names.name("a b.example") == kNone);  // no name, no evidence
}

TEST_CASE("a provider name CNAMEd to a cloud VM whose IP serves nothing else is dedicated",
          "[backend_map]") {
  Dataset d;
  // 002 section 4.2.1: devA.com -> devA-VM.ec2compute.amazonaws.com -> a.b.c.d; here the provider
  // name is an AWS IoT name and the VM name is in another second-level domain.
  d.observe(kDay, ip("198.51.100.20"), "x9y8-ats.iot.ap-northeast-1.amazonaws.com", kActiveDns);
  d.cname(kDay, "x9y8-ats.iot.ap-northeast-1.amazonaws.com", "vm-7.compute.example-cloud.net");
  // Passive DNS knows the VM name on the IP too.
  d.observe(kDay, ip("198.51.100.20"), "vm-7.compute.example-cloud.net", kPassiveDns);
  auto c = run(d);

  const IpDay* r = c.find(d.find_ip(ip("198.51.100.20")), kDay);
  REQUIRE(r != nullptr);
  CHECK(r->names_total == 2);
  CHECK(r->registrable_domains == 1);
  CHECK(r->exclusive == Verdict::kDedicated);
  // The list decides where the registrable domain ends (amazonaws.com or deeper).
  CHECK(c.registrable[r->domain] ==
        Psl::system().registrable("x9y8-ats.iot.ap-northeast-1.amazonaws.com"));
  REQUIRE(r->providers_end - r->providers_begin == 1);
  const IpProvider& p = c.ip_providers[r->providers_begin];
  CHECK(p.provider == 0);
  CHECK(p.not_matching == 0);  // the VM name is downstream of the provider name
  CHECK(p.threshold == Verdict::kDedicated);
  CHECK(p.sources == (kActiveDns | kPassiveDns));

  const auto& v = verdict_of(c, d, "x9y8-ats.iot.ap-northeast-1.amazonaws.com");
  CHECK(v.exclusive == Verdict::kDedicated);
  CHECK(v.threshold == Verdict::kDedicated);
  CHECK(v.ips_total == 1);
  CHECK(v.ips_exclusive == 1);
  CHECK(c.domain_reason(d, v, Rule::kExclusive) == "all 1 IPs exclusive on every day seen");
  // The VM name is no provider domain.
  CHECK(c.domain(d.find_name("vm-7.compute.example-cloud.net")) == nullptr);
}

TEST_CASE("Azure hub CNAMEd to a cloudapp name known only from passive DNS is dedicated",
          "[backend_map]") {
  Dataset d;
  d.cname(kDay, "iotlab-hub.azure-devices.net", "ihsu-prod-am-001.cloudapp.net");
  d.cname(kDay, "other-hub.azure-devices.net", "ihsu-prod-am-001.cloudapp.net");
  d.observe(kDay, ip("198.51.100.70"), "ihsu-prod-am-001.cloudapp.net", kPassiveDns);
  auto c = run(d);
  const IpDay* r = c.find(d.find_ip(ip("198.51.100.70")), kDay);
  REQUIRE(r != nullptr);
  CHECK(r->names_total == 3);
  CHECK(r->exclusive == Verdict::kDedicated);
  CHECK(c.ip_providers[r->providers_begin].matching == 2);
  CHECK(verdict_of(c, d, "iotlab-hub.azure-devices.net").exclusive == Verdict::kDedicated);
  CHECK(verdict_of(c, d, "other-hub.azure-devices.net").threshold == Verdict::kDedicated);
}

TEST_CASE("a name CNAMEd into a CDN whose IP serves many sites is shared", "[backend_map]") {
  Dataset d;
  // 002 section 4.2.1: devB.com -> devB.com.akadns.net -> a.b.c.d, and many other sites map
  // to the same address through the same CDN.
  const char* edge = "203.0.113.200";
  d.observe(kDay, ip(edge), "d3cdnabc-ats.iot.eu-west-1.amazonaws.com", kActiveDns);
  d.cname(kDay, "d3cdnabc-ats.iot.eu-west-1.amazonaws.com", "edge.cdn.example");
  for (const char* site :
       {"www.shop-alpha.test", "www.news-bravo.test", "api.weather-charlie.test"})
    d.cname(kDay, site, "edge.cdn.example");
  d.observe(kDay, ip(edge), "edge.cdn.example", kPassiveDns);
  d.observe(kDay, ip(edge), "music-kilo.test", kPassiveDns);  // an apex A record on the edge
  auto c = run(d, 0);

  const IpDay* r = c.find(d.find_ip(ip(edge)), kDay);
  REQUIRE(r != nullptr);
  CHECK(r->names_total == 6);
  CHECK(r->registrable_domains == 5);
  CHECK(r->exclusive == Verdict::kShared);
  CHECK(r->exclusive_reason == Reason::kSeveralRegistrableDomains);
  const IpProvider& p = c.ip_providers[r->providers_begin];
  CHECK(p.not_matching == 4);  // the sites; the edge name is downstream of the provider name
  CHECK(p.threshold == Verdict::kShared);

  const auto& v = verdict_of(c, d, "d3cdnabc-ats.iot.eu-west-1.amazonaws.com");
  CHECK(v.exclusive == Verdict::kShared);
  CHECK(v.threshold == Verdict::kShared);
  CHECK(v.exclusive_ip == d.find_ip(ip(edge)));
  CHECK(
      c.domain_reason(d, v, Rule::kExclusive).starts_with("IP 203.0.113.200 shared on 2022-02-28"));
  // Tolerating four foreign names makes the threshold rule call it dedicated; the exclusive
  // rule still says shared.
  auto lenient = run(d, 4);
  CHECK(verdict_of(lenient, d, "d3cdnabc-ats.iot.eu-west-1.amazonaws.com").threshold ==
        Verdict::kDedicated);
  CHECK(verdict_of(lenient, d, "d3cdnabc-ats.iot.eu-west-1.amazonaws.com").exclusive ==
        Verdict::kShared);
}

TEST_CASE("a resolution's CNAME chain puts every chain name on the IP", "[backend_map]") {
  Dataset d;
  d.resolution(kDay, ip("203.0.113.200"), "d3-ats.iot.eu-west-1.amazonaws.com",
               {"d3.cdn-customer.example", "edge.cdn.example"}, kActiveDns);
  d.resolution(kDay, ip("203.0.113.200"), "www.shop-alpha.test", {"edge.cdn.example"}, kPassiveDns);
  d.cname(kDay, "www.news-bravo.test", "edge.cdn.example");  // passive DNS CNAME record only
  auto c = run(d);
  const IpDay* r = c.find(0, kDay);
  REQUIRE(r != nullptr);
  CHECK(r->names_total == 5);
  CHECK(r->registrable_domains == 3);
  CHECK(r->exclusive == Verdict::kShared);
  CHECK(c.ip_providers[r->providers_begin].not_matching == 2);
  CHECK(verdict_of(c, d, "d3-ats.iot.eu-west-1.amazonaws.com").exclusive == Verdict::kShared);
  CHECK(d.cnames.size() == 4);
  CHECK(d.observations.size() == 5);
}

TEST_CASE("a CDN edge name shared by unrelated sites is shared even when seen on another IP",
          "[backend_map]") {
  // The sites alias the same edge name; the provider's edge IP carries only the edge name and
  // the provider name, yet the edge name's aliases bring the sites in.
  Dataset d;
  d.observe(kDay, ip("203.0.113.201"), "e1.cdn.example", kPassiveDns);
  d.cname(kDay, "dev-ats.iot.us-east-1.amazonaws.com", "e1.cdn.example");
  d.cname(kDay, "www.unrelated.test", "e1.cdn.example");
  auto c = run(d);
  CHECK(verdict_of(c, d, "dev-ats.iot.us-east-1.amazonaws.com").exclusive == Verdict::kShared);
}

TEST_CASE("an IP exclusive on six days and shared on the seventh makes its domain shared",
          "[backend_map]") {
  Dataset d;
  const char* name = "a1b2-ats.iot.us-east-1.amazonaws.com";
  for (int i = 0; i < 7; ++i) d.observe(kDay + i, ip("198.51.100.10"), name, kActiveDns);
  auto six = run(d, 0, 7);
  CHECK(verdict_of(six, d, name).exclusive == Verdict::kDedicated);
  CHECK(verdict_of(six, d, name).threshold == Verdict::kDedicated);

  d.observe(kDay + 6, ip("198.51.100.10"), "www.someshop.test", kPassiveDns);
  auto seven = run(d, 0, 7);
  const auto& v = verdict_of(seven, d, name);
  CHECK(v.exclusive == Verdict::kShared);
  CHECK(v.threshold == Verdict::kShared);
  CHECK(v.exclusive_day == kDay + 6);
  CHECK(seven.find(d.find_ip(ip("198.51.100.10")), kDay + 5)->exclusive == Verdict::kDedicated);
  CHECK(seven.domain_reason(d, v, Rule::kExclusive).find("2022-03-06") != std::string::npos);
  // A window that ends before the seventh day does not see it.
  auto window = classify(d, lookup, kDay, kDay + 5, {});
  CHECK(verdict_of(window, d, name).exclusive == Verdict::kDedicated);
}

TEST_CASE("an IP exclusive to another domain on a day the domain was absent", "[backend_map]") {
  // A cloud address released by the provider and reused by another tenant within the window.
  Dataset d;
  const char* name = "a1b2-ats.iot.us-east-1.amazonaws.com";
  d.observe(kDay, ip("198.51.100.10"), name, kActiveDns);
  d.observe(kDay + 1, ip("198.51.100.10"), "shop.tenant-b.test", kPassiveDns);
  auto c = run(d, 0, 2);
  const auto& v = verdict_of(c, d, name);
  CHECK(v.exclusive == Verdict::kShared);
  CHECK(v.exclusive_reason == Reason::kOtherRegistrableDomain);
  CHECK(v.threshold == Verdict::kShared);  // every name counts on a day the provider is absent
}

TEST_CASE("no data gives unknown, never dedicated", "[backend_map]") {
  Dataset d;
  d.domain("silent-ats.iot.us-east-1.amazonaws.com");
  d.observe(kDay, ip("198.51.100.10"), "a1b2-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  auto c = run(d);
  const auto& v = verdict_of(c, d, "silent-ats.iot.us-east-1.amazonaws.com");
  CHECK(v.exclusive == Verdict::kUnknown);
  CHECK(v.threshold == Verdict::kUnknown);
  CHECK(v.exclusive_reason == Reason::kNoData);
  CHECK(v.provider == 0);
  CHECK(c.domain_reason(d, v, Rule::kExclusive) == "no data in the window");
  // Observations outside the window are no data either.
  Dataset late;
  late.observe(kDay + 3, ip("198.51.100.10"), "a1b2-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  late.domain("a1b2-ats.iot.us-east-1.amazonaws.com");
  auto c2 = run(late);
  CHECK(verdict_of(c2, late, "a1b2-ats.iot.us-east-1.amazonaws.com").exclusive ==
        Verdict::kUnknown);
  CHECK(c2.ip_days.empty());
}

TEST_CASE("threshold rule edge cases", "[backend_map]") {
  auto with_foreign = [](int foreign) {
    Dataset d;
    d.observe(kDay, ip("198.51.100.30"), "hub.azure-devices.net", kActiveDns);
    for (int i = 0; i < foreign; ++i)
      d.observe(kDay, ip("198.51.100.30"),
                "hub.azure-devices.net.site" + std::to_string(i) + ".test", kPassiveDns);
    return d;
  };
  auto threshold_verdict = [](const Dataset& d, int threshold) {
    auto c = run(d, threshold);
    const IpDay* r = c.find(0, kDay);
    REQUIRE(r != nullptr);
    return c.ip_providers[r->providers_begin].threshold;
  };
  CHECK(threshold_verdict(with_foreign(0), 0) == Verdict::kDedicated);
  CHECK(threshold_verdict(with_foreign(1), 0) == Verdict::kShared);
  CHECK(threshold_verdict(with_foreign(2), 2) == Verdict::kDedicated);  // not above: equal
  CHECK(threshold_verdict(with_foreign(3), 2) == Verdict::kShared);
  CHECK(threshold_verdict(with_foreign(1), -5) == Verdict::kShared);  // negative means 0

  SECTION("another provider's name counts as not matching") {
    Dataset d;
    d.observe(kDay, ip("198.51.100.31"), "hub.azure-devices.net", kActiveDns);
    d.observe(kDay, ip("198.51.100.31"), "x-ats.iot.us-east-1.amazonaws.com", kActiveDns);
    auto c = run(d);
    const IpDay* r = c.find(0, kDay);
    REQUIRE(r->providers_end - r->providers_begin == 2);
    for (uint32_t i = r->providers_begin; i < r->providers_end; ++i) {
      CHECK(c.ip_providers[i].not_matching == 1);
      CHECK(c.ip_providers[i].threshold == Verdict::kShared);
    }
    CHECK(r->exclusive == Verdict::kShared);
  }
  SECTION("certificate names only: unknown unless they already show sharing") {
    Dataset d;
    d.certificate(kDay, ip("198.51.100.40"), 8883, "aa",
                  {"*.azure-devices.net", "azure-devices.net", "hub.azure-devices.net"});
    auto c = run(d);
    const IpDay* r = c.find(0, kDay);
    REQUIRE(r != nullptr);
    CHECK(r->exclusive == Verdict::kUnknown);
    const IpProvider& p = c.ip_providers[r->providers_begin];
    CHECK(p.not_matching == 0);  // the provider's own apex and wildcard are excused
    CHECK(p.threshold == Verdict::kUnknown);
    CHECK(p.threshold_reason == Reason::kOnlyCertificates);
    CHECK(verdict_of(c, d, "hub.azure-devices.net").exclusive == Verdict::kUnknown);
    CHECK(c.domain(d.find_name("*.azure-devices.net")) == nullptr);

    Dataset cdn;
    cdn.certificate(kDay, ip("203.0.113.200"), 443, "bb",
                    {"edge.cdn.example", "hub.azure-devices.net", "www.shop-alpha.test"});
    auto c2 = run(cdn);
    CHECK(c2.ip_providers[c2.find(0, kDay)->providers_begin].threshold == Verdict::kShared);
  }
  SECTION("a name seen on the IP by DNS and by certificate counts once") {
    Dataset d;
    d.observe(kDay, ip("198.51.100.30"), "hub.azure-devices.net", kActiveDns);
    d.certificate(kDay, ip("198.51.100.30"), 8883, "cc", {"hub.azure-devices.net"});
    auto c = run(d);
    const IpDay* r = c.find(0, kDay);
    CHECK(r->names_total == 1);
    CHECK(c.ip_providers[r->providers_begin].sources == (kActiveDns | kCertificate));
    CHECK(c.ip_providers[r->providers_begin].threshold == Verdict::kDedicated);
  }
}

TEST_CASE("an IP with certificate data only keeps its domain unknown", "[backend_map]") {
  Dataset d;
  const char* name = "mqtt-ats.iot.us-east-1.amazonaws.com";
  d.observe(kDay, ip("198.51.100.10"), name, kActiveDns);
  d.certificate(kDay, ip("198.51.100.99"), 8883, "dd", {name});  // found by a scan only
  auto c = run(d);
  const auto& v = verdict_of(c, d, name);
  CHECK(v.ips_total == 2);
  CHECK(v.ips_exclusive == 1);
  CHECK(v.exclusive == Verdict::kUnknown);
  CHECK(v.exclusive_reason == Reason::kIpNeverExclusive);
  CHECK(c.domain_reason(d, v, Rule::kExclusive) == "IP 198.51.100.99 has certificate data only");
}

TEST_CASE("certificate fallback for names without DNS data", "[backend_map]") {
  CHECK(certificate_identifies({"c.deve.com"}, "c.deve.com"));
  CHECK(certificate_identifies({"*.deve.com"}, "c.deve.com"));
  CHECK_FALSE(certificate_identifies({"*.deve.com", "deve.com"}, "c.deve.com"));
  CHECK_FALSE(certificate_identifies({"*.com"}, "deve.com"));
  CHECK_FALSE(certificate_identifies({"*.deve.com"}, "a.c.deve.com"));
  CHECK_FALSE(certificate_identifies({"*.co.uk"}, "deve.co.uk"));

  Dataset d;
  d.domain("c.deve.com");
  d.certificate(kDay, ip("192.0.2.10"), 443, "c1", {"*.deve.com"});
  d.certificate(kDay + 1, ip("192.0.2.11"), 443, "c1", {"*.deve.com"});
  d.certificate(kDay, ip("192.0.2.12"), 443, "c2", {"*.deve.com", "www.other.test"});
  auto c = run(d, 0, 2);
  const auto& v = verdict_of(c, d, "c.deve.com");
  CHECK(v.exclusive == Verdict::kDedicated);
  CHECK(v.exclusive_reason == Reason::kCertificateFallback);
  CHECK(v.ips_total == 2);
  CHECK(d.certs[v.cert].fingerprint == "c1");
  size_t rows = 0;
  for (const auto& di : c.domain_ips)
    if (di.domain == d.find_name("c.deve.com")) {
      ++rows;
      CHECK(di.sources == kCertificate);
    }
  CHECK(rows == 2);
  CHECK(c.domain_reason(d, v, Rule::kExclusive).starts_with("no DNS data; certificate c1"));

  SECTION("an IP that DNS shows shared makes the fallback shared") {
    d.observe(kDay, ip("192.0.2.10"), "www.a.test", kPassiveDns);
    d.observe(kDay, ip("192.0.2.10"), "www.b.test", kPassiveDns);
    auto c2 = run(d, 0, 2);
    CHECK(verdict_of(c2, d, "c.deve.com").exclusive == Verdict::kShared);
  }
}

TEST_CASE("CNAME loops and long chains terminate", "[backend_map]") {
  Dataset d;
  d.cname(kDay, "loop-a.faults.example", "loop-b.faults.test");
  d.cname(kDay, "loop-b.faults.test", "loop-a.faults.example");
  d.observe(kDay, ip("192.0.2.250"), "loop-a.faults.example", kActiveDns);
  std::string prev = "dev-ats.iot.us-east-1.amazonaws.com";
  for (int i = 1; i <= 30; ++i) {
    std::string next = "chain-" + std::to_string(i) + ".faults.example";
    d.cname(kDay, prev, next);
    prev = next;
  }
  d.observe(kDay, ip("192.0.2.251"), prev, kPassiveDns);
  auto c = run(d);
  const IpDay* loop = c.find(d.find_ip(ip("192.0.2.250")), kDay);
  REQUIRE(loop != nullptr);
  CHECK(loop->names_total == 2);
  CHECK(loop->exclusive == Verdict::kShared);  // two registrable domains, both in the loop
  const IpDay* chain = c.find(d.find_ip(ip("192.0.2.251")), kDay);
  REQUIRE(chain != nullptr);
  CHECK(chain->names_total == 31);
  CHECK(chain->exclusive == Verdict::kDedicated);
  CHECK(c.ip_providers[chain->providers_begin].not_matching == 0);
}

TEST_CASE("certificate names of other organisations make an IP shared under the exclusive rule",
          "[backend_map]") {
  // The lab's CDN edge: only the provider name resolves there, but the address presents a
  // certificate naming a dozen unrelated sites.
  Dataset d;
  d.resolution(kDay, ip("203.0.113.200"), "d3cdnabc-ats.iot.eu-west-1.amazonaws.com",
               {"edge.cdn.example"}, kActiveDns);
  d.certificate(
      kDay, ip("203.0.113.200"), 443, "cdn",
      {"edge.cdn.example", "*.cdn.example", "www.shop-alpha.test", "www.news-bravo.test"});
  auto c = run(d);
  const IpDay* r = c.find(0, kDay);
  REQUIRE(r != nullptr);
  CHECK(r->exclusive == Verdict::kShared);
  CHECK(r->registrable_domains ==
        4);  // the provider's, cdn.example, shop-alpha.test, news-bravo.test
  CHECK(verdict_of(c, d, "d3cdnabc-ats.iot.eu-west-1.amazonaws.com").exclusive == Verdict::kShared);

  // A provider certificate listing several of the provider's own registrable domains does not.
  Dataset az;
  az.observe(kDay, ip("198.51.100.70"), "hub.azure-devices.net", kActiveDns);
  az.certificate(kDay, ip("198.51.100.70"), 8883, "az",
                 {"*.azure-devices.net", "*.su.management-azure-devices.net"});
  auto loose = run(az);
  CHECK(loose.find(0, kDay)->exclusive == Verdict::kShared);  // without the provider table
  std::vector<Provider> providers(2);
  providers[1].registrable_domains = {"azure-devices.net", "management-azure-devices.net"};
  ClassifyOptions o;
  o.providers = &providers;
  auto known = classify(az, lookup, kDay, kDay, o);
  CHECK(known.find(0, kDay)->exclusive == Verdict::kDedicated);
  CHECK(known.ip_providers[known.find(0, kDay)->providers_begin].not_matching == 0);
  CHECK(loose.ip_providers[loose.find(0, kDay)->providers_begin].not_matching == 1);
}

TEST_CASE("placeholder certificate names name no site and do not make an IP shared",
          "[backend_map]") {
  // The lab's Google address: only mqtt.googleapis.com resolves there; without SNI the server
  // shows Google's placeholder certificate for invalid2.invalid (RFC 6761's .invalid), with
  // SNI its own. An appliance's default "localhost" certificate is no site either.
  Dataset d;
  d.observe(kDay, ip("198.51.100.200"), "mqtt.googleapis.com", kActiveDns);
  d.certificate(kDay, ip("198.51.100.200"), 443, "no-sni",
                {"invalid2.invalid", "INVALID2.invalid."});
  d.certificate(kDay, ip("198.51.100.200"), 443, "sni",
                {"mqtt.googleapis.com", "mqtt-tls.googleapis.com"});
  d.certificate(kDay, ip("198.51.100.200"), 8443, "default",
                {"localhost", "x.localhost", "router"});
  auto google = [](std::string_view name) -> NameMatch {
    if (name == "mqtt.googleapis.com") return {0, -1};
    return {};
  };
  // googleapis.com is a public suffix (PSL private section): mqtt-tls.googleapis.com is the
  // provider's own only through the catalogue's registrable domains, as in the lab.
  std::vector<Provider> providers(1);
  providers[0].registrable_domains = {"googleapis.com"};
  ClassifyOptions o;
  o.providers = &providers;
  auto c = classify(d, google, kDay, kDay, o);
  const IpDay* r = c.find(0, kDay);
  REQUIRE(r != nullptr);
  CHECK(r->exclusive == Verdict::kDedicated);
  CHECK(r->registrable_domains == 1);
  CHECK(c.ip_providers[r->providers_begin].threshold == Verdict::kDedicated);
  CHECK(verdict_of(c, d, "mqtt.googleapis.com").exclusive == Verdict::kDedicated);
  CHECK(d.find_name("invalid2.invalid") == kNone);
  CHECK(d.find_name("localhost") == kNone);

  CHECK_FALSE(names_a_site("invalid2.invalid"));
  CHECK_FALSE(names_a_site("*.invalid"));
  CHECK_FALSE(names_a_site("localhost"));
  CHECK(names_a_site("www.shop-alpha.test"));  // .test stands for real sites in the lab
  CHECK(names_a_site("*.cdn.example"));
}

TEST_CASE("classification on several threads equals the sequential one", "[backend_map]") {
  Dataset d;
  for (int day = 0; day < 5; ++day) {
    for (int i = 0; i < 300; ++i) {
      std::string name = "n" + std::to_string(i) +
                         (i % 2 ? ".azure-devices.net" : "-ats.iot.us-east-1.amazonaws.com");
      uint32_t host = uint32_t((i % 150 + (i % 11 == 0 ? day : 0)) % 160);
      std::vector<std::string> chain;
      if (i % 5 == 0) chain.push_back("vm" + std::to_string(host) + ".cloudapp.net");
      if (i % 13 == 0) chain = {"edge" + std::to_string(i % 3) + ".cdn.example"};
      d.resolution(kDay + day, IpAddress::from_v4(0xC6336400u + host), name, chain,
                   i % 3 ? kActiveDns : kPassiveDns);
    }
    for (int s = 0; s < 20; ++s)
      d.cname(kDay + day, "www.site" + std::to_string(s) + ".test", "edge1.cdn.example");
    d.certificate(kDay + day, IpAddress::from_v4(0xC6336400u + 5), 443, "c",
                  {"*.azure-devices.net"});
  }
  d.domain("silent.azure-devices.net");
  ClassifyOptions one, two;
  two.threads = 2;
  auto a = classify(d, lookup, kDay, kDay + 4, one);
  auto b = classify(d, lookup, kDay, kDay + 4, two);
  REQUIRE(a.ip_days.size() == b.ip_days.size());
  for (size_t i = 0; i < a.ip_days.size(); ++i) {
    CHECK(a.ip_days[i].ip == b.ip_days[i].ip);
    CHECK(a.ip_days[i].exclusive == b.ip_days[i].exclusive);
    CHECK(a.ip_days[i].names_total == b.ip_days[i].names_total);
    CHECK(a.registrable[a.ip_days[i].domain == kNone ? 0 : a.ip_days[i].domain] ==
          b.registrable[b.ip_days[i].domain == kNone ? 0 : b.ip_days[i].domain]);
    CHECK(a.ip_days[i].providers_end - a.ip_days[i].providers_begin ==
          b.ip_days[i].providers_end - b.ip_days[i].providers_begin);
  }
  REQUIRE(a.ip_providers.size() == b.ip_providers.size());
  for (size_t i = 0; i < a.ip_providers.size(); ++i) {
    CHECK(a.ip_providers[i].not_matching == b.ip_providers[i].not_matching);
    CHECK(a.ip_providers[i].threshold == b.ip_providers[i].threshold);
  }
  CHECK(a.ip_names == b.ip_names);
  REQUIRE(a.domain_ips.size() == b.domain_ips.size());
  REQUIRE(a.domains.size() == b.domains.size());
  size_t shared = 0, dedicated = 0;
  for (size_t i = 0; i < a.domains.size(); ++i) {
    CHECK(a.domains[i].exclusive == b.domains[i].exclusive);
    CHECK(a.domains[i].threshold == b.domains[i].threshold);
    CHECK(a.domains[i].ips_total == b.domains[i].ips_total);
    shared += a.domains[i].exclusive == Verdict::kShared;
    dedicated += a.domains[i].exclusive == Verdict::kDedicated;
  }
  CHECK(shared > 0);
  CHECK(dedicated > 0);
}

TEST_CASE("a domain whose addresses are exclusive to different registrable domains is shared",
          "[backend_map][mutation]") {
  // Day 0: the provider name alone on A. Day 1: on B, behind another organisation's name
  // (devb.tenant-b.test CNAME -> the provider name), so B is exclusive to tenant-b.test.
  // Each address is exclusive on every day, but not to the same registrable domain.
  const char* name = "a1b2-ats.iot.us-east-1.amazonaws.com";
  Dataset d;
  d.observe(kDay, ip("198.51.100.10"), name, kActiveDns);
  d.observe(kDay + 1, ip("198.51.100.20"), name, kActiveDns);
  d.cname(kDay + 1, "devb.tenant-b.test", name);
  auto c = run(d, 0, 2);
  const IpDay* b = c.find(d.find_ip(ip("198.51.100.20")), kDay + 1);
  REQUIRE(b != nullptr);
  REQUIRE(b->exclusive == Verdict::kDedicated);
  CHECK(c.registrable[b->domain] == "tenant-b.test");
  const auto& v = verdict_of(c, d, name);
  CHECK(v.exclusive == Verdict::kShared);
  CHECK(v.exclusive_reason == Reason::kOtherRegistrableDomain);
  CHECK(v.exclusive_ip == d.find_ip(ip("198.51.100.20")));
  CHECK(v.ips_exclusive == 1);

  // Both addresses exclusive to amazonaws.com: dedicated.
  Dataset same;
  same.observe(kDay, ip("198.51.100.10"), name, kActiveDns);
  same.observe(kDay + 1, ip("198.51.100.20"), name, kActiveDns);
  CHECK(verdict_of(run(same, 0, 2), same, name).exclusive == Verdict::kDedicated);
}

TEST_CASE("threshold fallback on a day the provider is absent: shared only above the threshold",
          "[backend_map][mutation]") {
  // Day 0: the provider name on A. Day 1: A holds `foreign` names of others and not the
  // provider's; the threshold rule then counts every name on A (the fallback).
  const char* name = "a1b2-ats.iot.us-east-1.amazonaws.com";
  auto threshold_verdict = [&](int foreign) {
    Dataset d;
    d.observe(kDay, ip("198.51.100.10"), name, kActiveDns);
    for (int i = 0; i < foreign; ++i)
      d.observe(kDay + 1, ip("198.51.100.10"), "www.site" + std::to_string(i) + ".test",
                kPassiveDns);
    return verdict_of(run(d, 2, 2), d, name).threshold;
  };
  CHECK(threshold_verdict(1) == Verdict::kDedicated);
  CHECK(threshold_verdict(2) == Verdict::kDedicated);  // equal: not above
  CHECK(threshold_verdict(3) == Verdict::kShared);
}

TEST_CASE("an address the threshold rule cannot judge keeps the domain unknown, not dedicated",
          "[backend_map][mutation]") {
  // A: the provider name by DNS. B: the same name in a scanned certificate only, no DNS.
  const char* name = "mqtt-ats.iot.us-east-1.amazonaws.com";
  Dataset d;
  d.observe(kDay, ip("198.51.100.10"), name, kActiveDns);
  d.certificate(kDay, ip("198.51.100.99"), 8883, "dd", {name});
  auto c = run(d);
  const IpDay* b = c.find(d.find_ip(ip("198.51.100.99")), kDay);
  REQUIRE(b != nullptr);
  REQUIRE(c.ip_providers[b->providers_begin].threshold == Verdict::kUnknown);
  const auto& v = verdict_of(c, d, name);
  CHECK(v.threshold == Verdict::kUnknown);
  CHECK(v.threshold_reason == Reason::kIpNeverExclusive);
  CHECK(v.threshold_ip == d.find_ip(ip("198.51.100.99")));
}

TEST_CASE(
    "threshold rule: names downstream of several providers are no foreign names, and a day "
    "without DNS data is unknown",
    "[backend_map][mutation]") {
  // Both providers' names CNAME to one shared name on the IP: each provider has the other's
  // name as its one foreign name, and the shared target counts for neither.
  Dataset d;
  const char* aws = "x-ats.iot.us-east-1.amazonaws.com";
  const char* azure = "hub.azure-devices.net";
  d.cname(kDay, aws, "lb.both.example");
  d.cname(kDay, azure, "lb.both.example");
  d.observe(kDay, ip("198.51.100.50"), "lb.both.example", kActiveDns);
  auto c = run(d, 1);
  const IpDay* r = c.find(0, kDay);
  REQUIRE(r != nullptr);
  REQUIRE(r->providers_end - r->providers_begin == 2);
  for (uint32_t i = r->providers_begin; i < r->providers_end; ++i) {
    CHECK(c.ip_providers[i].not_matching == 1);
    CHECK(c.ip_providers[i].threshold == Verdict::kDedicated);
  }

  // The fallback (the provider absent from the IP that day) with certificate names only.
  Dataset certs;
  certs.observe(kDay, ip("198.51.100.60"), aws, kActiveDns);
  certs.certificate(kDay + 1, ip("198.51.100.60"), 443, "ee", {"www.shop.test"});
  auto c2 = run(certs, 2, 2);
  const IpDay* day1 = c2.find(0, kDay + 1);
  REQUIRE(day1 != nullptr);
  CHECK(c2.threshold_for(*day1, 0) == Verdict::kUnknown);
  CHECK(c2.threshold_for(*c2.find(0, kDay), 0) == Verdict::kDedicated);
}

TEST_CASE(
    "an address known only from a certificate naming one other site is unknown, not dedicated",
    "[backend_map][mutation]") {
  // One registrable domain (shop.test) on the address, but only from a scan's certificate: no
  // DNS name says whose the address is, so the exclusive rule cannot call it dedicated.
  Dataset d;
  const char* aws = "x-ats.iot.us-east-1.amazonaws.com";
  d.observe(kDay, ip("198.51.100.60"), aws, kActiveDns);
  d.certificate(kDay + 1, ip("198.51.100.60"), 443, "ee", {"www.shop.test"});
  auto c = run(d, 0, 2);
  const IpDay* day1 = c.find(d.find_ip(ip("198.51.100.60")), kDay + 1);
  REQUIRE(day1 != nullptr);
  CHECK(day1->registrable_domains == 1);
  CHECK(day1->exclusive == Verdict::kUnknown);
  CHECK(day1->exclusive_reason == Reason::kOnlyCertificates);
  CHECK(c.find(d.find_ip(ip("198.51.100.60")), kDay)->exclusive == Verdict::kDedicated);
}

TEST_CASE("CNAME edges and observations of days outside the window change nothing",
          "[backend_map][mutation]") {
  // On the days before and after the window the provider name CNAMEs into a shared CDN; in
  // the window it resolves straight to its own address.
  Dataset d;
  const char* aws = "x-ats.iot.us-east-1.amazonaws.com";
  for (Day day : {kDay - 2, kDay - 1, kDay + 1, kDay + 3}) {
    d.cname(day, aws, "edge.cdn.example");
    d.observe(day, ip("203.0.113.200"), "edge.cdn.example", kActiveDns);
    d.observe(day, ip("203.0.113.200"), "www.shop.test", kPassiveDns);
  }
  d.observe(kDay, ip("198.51.100.10"), aws, kActiveDns);
  auto c = run(d);
  const auto& v = verdict_of(c, d, aws);
  CHECK(v.exclusive == Verdict::kDedicated);
  CHECK(v.ips_total == 1);
  CHECK(c.ip_days.size() == 1);
}
