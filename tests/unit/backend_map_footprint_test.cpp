// Footprint per provider: ASes, prefixes, strategy, locations, ports, sources, stability,
// validation against published ranges and blocklist overlap.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "backend_map/footprint.h"
#include "lib/date.h"

using namespace iotmap;
using namespace iotmap::backend_map;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
const Day kDay = *parse_date("2022-02-28");

std::vector<Provider> lab_providers() {
  Provider aws{"aws",
               "Amazon AWS",
               {64497},
               {{"us-east-1", "Ashburn", "US", 0, 0}, {"eu-west-1", "Dublin", "IE", 0, 0}},
               {}};
  Provider azure{"azure", "Microsoft Azure", {64498}, {}, {}};
  return {aws, azure};
}

NameMatch lookup(std::string_view name) {
  if (name.find(".iot.us-east-1.amazonaws.com") != std::string_view::npos) return {0, 0};
  if (name.find(".iot.eu-west-1.amazonaws.com") != std::string_view::npos) return {0, 1};
  if (name.ends_with(".azure-devices.net")) return {1, -1};
  return {};
}

PrefixTable lab_pfx2as() {
  std::istringstream in(
      "198.51.100.0\t26\t64497\n198.51.100.64\t26\t64498\n203.0.113.192\t26\t64501\n"
      "2001:db8:a5::\t48\t64497\n");
  PrefixTable t;
  std::vector<ParseIssue> issues;
  read_pfx2as(in, "lab", t, issues);
  return t;
}

}  // namespace

TEST_CASE("footprint of the lab's providers", "[backend_map]") {
  Dataset d;
  const char* use1 = "a1b2-ats.iot.us-east-1.amazonaws.com";
  for (int i = 0; i < 3; ++i) d.observe(kDay + i, ip("198.51.100.10"), use1, kActiveDns);
  d.observe(kDay, ip("198.51.100.10"), use1, kPassiveDns);
  d.observe(kDay, ip("198.51.100.11"), use1, kActiveDns);       // gone after day 0
  d.observe(kDay + 2, ip("198.51.100.12"), use1, kPassiveDns);  // new on day 2
  d.observe(kDay, ip("2001:db8:a5:1::10"), use1, kActiveDns);
  d.certificate(kDay, ip("2001:db8:a5:1::10"), 8883, "aws", {"*.iot.us-east-1.amazonaws.com"});
  // A CDN edge for an eu-west-1 name: PR, and shared.
  d.observe(kDay, ip("203.0.113.200"), "d3cdn-ats.iot.eu-west-1.amazonaws.com", kActiveDns);
  d.cname(kDay, "d3cdn-ats.iot.eu-west-1.amazonaws.com", "edge.cdn.example");
  d.cname(kDay, "www.shop-alpha.test", "edge.cdn.example");
  d.observe(kDay, ip("203.0.113.200"), "edge.cdn.example", kPassiveDns);
  // Azure: only a certificate (found by a scan), located by the geolocation database.
  d.certificate(kDay, ip("198.51.100.70"), 8883, "az", {"iotlab-hub.azure-devices.net"});
  d.certificate(kDay, ip("198.51.100.71"), 8883, "az", {"iotlab-hub.azure-devices.net"});
  d.service(kDay, ip("198.51.100.10"), 8883, "mqtt", true);
  d.service(kDay + 1, ip("198.51.100.10"), 8883, "mqtt", true);
  d.service(kDay, ip("198.51.100.10"), 443, "https", true);
  d.service(kDay, ip("198.51.100.10"), 5671, "amqp", false);  // did not answer
  d.service(kDay, ip("198.51.100.70"), 8883, "mqtt", true);

  auto cls = classify(d, lookup, kDay, kDay + 2);
  auto providers = lab_providers();
  auto pfx = lab_pfx2as();
  std::unordered_map<uint32_t, AsOrg> orgs{{64497, {"LAB-AMAZON", "O1", "Lab Amazon", "US"}}};
  const std::vector<CloudAs> cloud{{64501, "cdn", "LAB-CDN"}};
  FootprintInputs in;
  in.providers = &providers;
  in.pfx2as = &pfx;
  in.as2org = &orgs;
  in.cloud_ases = &cloud;
  in.geo = [](const IpAddress& a) -> std::optional<Location> {
    if (a == ip("198.51.100.70")) return Location{"Amsterdam", "NL"};
    if (a == ip("198.51.100.10")) return Location{"Frankfurt", "DE"};  // outvoted by the name
    return std::nullopt;
  };
  in.published.push_back(
      {1,
       parse_published_ranges(
           R"({"values":[{"name":"AzureIoTHub","properties":{"addressPrefixes":["198.51.100.64/28","20.0.0.0/30"]}}]})",
           "tags.json")});
  in.blocklist = {*Prefix::parse("198.51.100.11/32")};
  in.blocklist_name = "firehol_level1";
  auto fp = compute_footprint(d, cls, in);

  REQUIRE(fp.providers.size() == 2);
  const auto& aws = fp.providers[0];
  CHECK(aws.provider == 0);
  CHECK(aws.ipv4 == 4);
  CHECK(aws.ipv6 == 1);
  CHECK(aws.prefixes_v4 == 2);  // 198.51.100.0/24 and 203.0.113.0/24
  CHECK(aws.prefixes_v6 == 1);
  REQUIRE(aws.ases.size() == 2);
  CHECK(aws.ases[0].asn == 64497);
  CHECK(aws.ases[0].ips == 4);
  CHECK(aws.ases[0].own);
  CHECK(aws.ases[0].name == "Lab Amazon");
  CHECK(aws.ases[1].asn == 64501);
  CHECK_FALSE(aws.ases[1].own);
  // The announced prefixes themselves: .10-.12 in 198.51.100.0/26, the v6 address in the /48,
  // the edge in the CDN's /26.
  REQUIRE(aws.prefixes.size() == 3);
  CHECK(aws.announced_prefixes == 3);
  CHECK(aws.prefixes[0].prefix.str() == "198.51.100.0/26");
  CHECK(aws.prefixes[0].ips == 3);
  CHECK(aws.prefixes[0].origins == std::vector<uint32_t>{64497});
  CHECK(aws.prefixes[1].ips == 1);
  CHECK(aws.prefixes[2].ips == 1);
  std::set<std::string> others{aws.prefixes[1].prefix.str(), aws.prefixes[2].prefix.str()};
  CHECK(others == std::set<std::string>{"203.0.113.192/26", "2001:db8:a5::/48"});
  CHECK(aws.strategy == "DI+PR");
  CHECK(aws.di_ips == 4);
  CHECK(aws.pr_ips == 1);
  CHECK(aws.other_ips == 0);
  CHECK(aws.ases[1].cloud);
  CHECK(aws.unrouted == 0);
  CHECK(aws.shared == 1);
  CHECK(aws.dedicated == 4);
  // Locations: the region in the name wins over the database; the CDN edge is in eu-west-1.
  REQUIRE(aws.locations.size() == 2);
  CHECK(aws.locations[0].location == Location{"Ashburn", "US"});
  CHECK(aws.locations[0].ips == 4);
  CHECK(aws.locations[1].location == Location{"Dublin", "IE"});
  CHECK(aws.countries == 2);
  CHECK(aws.votes_disagreed == 1);
  // Ports that answered.
  REQUIRE(aws.ports.size() == 2);
  CHECK(aws.ports[0].port == 443);
  CHECK(aws.ports[0].protocol == "https");
  CHECK(aws.ports[1].port == 8883);
  CHECK(aws.ports[1].ips == 1);
  // Sources: .10 active+pdns, .11 active, .12 pdns, the edge active+pdns, v6 active+cert.
  CHECK(aws.sources_v4.several == 2);
  CHECK(aws.sources_v4.active_dns == 1);
  CHECK(aws.sources_v4.pdns == 1);
  CHECK(aws.sources_v6.several == 1);
  // Stability against day 0: {.10, .11, v6, edge}; day 1 {.10}; day 2 {.10, .12}.
  REQUIRE(aws.stability.size() == 2);
  CHECK(aws.stability[0].both == 1);
  CHECK(aws.stability[0].gone == 3);
  CHECK(aws.stability[0].added == 0);
  CHECK(aws.stability[1].both == 1);
  CHECK(aws.stability[1].added == 1);
  CHECK(aws.stability[1].gone == 3);
  CHECK(aws.blocklisted == 1);
  CHECK(aws.blocklisted_ips[0] == ip("198.51.100.11"));
  CHECK(aws.validation.empty());

  const auto& az = fp.providers[1];
  CHECK(az.ipv4 == 2);
  CHECK(az.strategy == "DI");
  REQUIRE(az.ases.size() == 1);
  CHECK(az.ases[0].name == "Microsoft Azure");  // no as2org entry: the catalogue's owner
  CHECK(az.unknown == 2);                       // certificates only
  CHECK(az.sources_v4.cert == 2);
  CHECK(az.located_by_geo == 1);
  CHECK(az.unlocated == 1);
  REQUIRE(az.locations.size() == 1);
  CHECK(az.locations[0].location == Location{"Amsterdam", "NL"});
  REQUIRE(az.validation.size() == 1);
  const auto& v = az.validation[0];
  CHECK(v.format == "Azure service tags");
  CHECK(v.found_inside == 2);
  CHECK(v.found_outside == 0);
  CHECK(v.published_prefixes == 2);
  CHECK(v.prefixes_without_found_ip == 1);
  CHECK(v.published_v4_addresses == 20);
  CHECK(v.published_v4_not_found == 18);
  CHECK(az.stability[0].gone == 2);
}

TEST_CASE("footprint without pfx2as leaves strategy unknown", "[backend_map]") {
  Dataset d;
  d.observe(kDay, ip("192.0.2.1"), "x.azure-devices.net", kActiveDns);
  auto cls = classify(d, lookup, kDay, kDay);
  auto providers = lab_providers();
  FootprintInputs in;
  in.providers = &providers;
  auto fp = compute_footprint(d, cls, in);
  REQUIRE(fp.providers.size() == 1);
  CHECK(fp.providers[0].strategy.empty());
  CHECK(fp.providers[0].unrouted == 1);
  CHECK(fp.providers[0].unlocated == 1);
  CHECK(fp.providers[0].stability.empty());
}

#include "backend_map/geo.h"

TEST_CASE("a MaxMind database that cannot be opened is an error naming the file", "[backend_map]") {
  CHECK_THROWS_WITH(MaxMindGeo("/nonexistent/GeoLite2-City.mmdb"),
                    Catch::Contains("/nonexistent/GeoLite2-City.mmdb"));
}

namespace {

const ProviderFootprint& aws_footprint(const Dataset& d, const char* pfx2as_text, Footprint& fp) {
  auto cls = classify(d, lookup, kDay, kDay);
  static const auto providers = lab_providers();
  std::istringstream in(pfx2as_text);
  PrefixTable pfx;
  std::vector<ParseIssue> issues;
  read_pfx2as(in, "test", pfx, issues);
  REQUIRE(issues.empty());
  static const std::vector<CloudAs> cloud{{64501, "cdn", "LAB-CDN"}};
  FootprintInputs fin;
  fin.providers = &providers;
  fin.pfx2as = &pfx;
  fin.cloud_ases = &cloud;
  fp = compute_footprint(d, cls, fin);
  REQUIRE(fp.providers.size() == 1);
  return fp.providers[0];
}

}  // namespace

TEST_CASE("footprint counts IPv6 prefixes per /56 and IPv4 ones per /24",
          "[backend_map][mutation]") {
  const char* name = "a1b2-ats.iot.us-east-1.amazonaws.com";
  Dataset d;
  // Two /64s of one /56, and a second /56.
  d.observe(kDay, ip("2001:db8:a5:100::1"), name, kActiveDns);
  d.observe(kDay, ip("2001:db8:a5:1ff::1"), name, kActiveDns);
  d.observe(kDay, ip("2001:db8:a5:200::1"), name, kActiveDns);
  // Two addresses of one /24, one of another /24 in the same /16.
  d.observe(kDay, ip("198.51.100.10"), name, kActiveDns);
  d.observe(kDay, ip("198.51.100.250"), name, kActiveDns);
  d.observe(kDay, ip("198.51.101.10"), name, kActiveDns);
  Footprint fp;
  const auto& f = aws_footprint(d, "2001:db8:a5::\t48\t64497\n", fp);
  CHECK(f.ipv6 == 3);
  CHECK(f.prefixes_v6 == 2);
  CHECK(f.ipv4 == 3);
  CHECK(f.prefixes_v4 == 2);
}

TEST_CASE("footprint: a prefix announced by several ASes is DI if any of them is the provider's",
          "[backend_map][mutation]") {
  Dataset d;
  d.observe(kDay, ip("198.51.100.10"), "a1b2-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  for (const char* origins : {"64497_64501", "64501_64497", "64501,64497"}) {
    INFO("origin field " << origins);
    std::string table = std::string("198.51.100.0\t24\t") + origins + "\n";
    Footprint fp;
    const auto& f = aws_footprint(d, table.c_str(), fp);
    CHECK(f.di_ips == 1);
    CHECK(f.pr_ips == 0);
    CHECK(f.strategy == "DI");
  }
  Footprint fp;
  const auto& other = aws_footprint(d, "198.51.100.0\t24\t64502_64501\n", fp);
  CHECK(other.pr_ips == 1);
  CHECK(other.strategy == "PR");
}

TEST_CASE("footprint: an address in neither an own nor a cloud or CDN AS is 'other', not PR",
          "[backend_map][cloud_ases]") {
  // Issue #12, item 8: a transit or hosting AS used to count as public cloud.
  Dataset d;
  d.observe(kDay, ip("198.51.100.10"), "a1b2-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  d.observe(kDay, ip("198.51.100.20"), "a1b2-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  d.observe(kDay, ip("198.51.100.30"), "a1b2-ats.iot.us-east-1.amazonaws.com", kActiveDns);
  Footprint fp;
  const auto& f = aws_footprint(d,
                                "198.51.100.0\t28\t64497\n198.51.100.16\t28\t64501\n"
                                "198.51.100.28\t30\t64502\n",
                                fp);
  CHECK(f.di_ips == 1);
  CHECK(f.pr_ips == 1);
  CHECK(f.other_ips == 1);
  CHECK(f.strategy == "DI+PR+other");
  Footprint fp2;
  const auto& transit = aws_footprint(d, "198.51.100.0\t24\t64502\n", fp2);
  CHECK(transit.other_ips == 3);
  CHECK(transit.pr_ips == 0);
  CHECK(transit.strategy == "other");
}

TEST_CASE("cloud AS list: the built-in list and a file's lines", "[backend_map][cloud_ases]") {
  const auto& builtin = embedded_cloud_ases();
  CHECK(builtin.size() > 30);
  CHECK(is_cloud_as(builtin, 16509));       // Amazon
  CHECK(is_cloud_as(builtin, 13335));       // Cloudflare
  CHECK_FALSE(is_cloud_as(builtin, 3356));  // a transit network
  CHECK_FALSE(is_cloud_as(builtin, 109));   // Cisco's own AS, not a cloud
  for (size_t i = 1; i < builtin.size(); ++i) CHECK(builtin[i - 1].asn < builtin[i].asn);
  std::istringstream in("# comment\n\n13335, cdn ,Cloudflare\nAS1,cloud,x\n7,transit,y\n1,cloud\n");
  std::vector<ParseIssue> issues;
  auto list = read_cloud_ases(in, "clouds.csv", issues);
  REQUIRE(list.size() == 1);
  CHECK(list[0].asn == 13335);
  CHECK(list[0].kind == "cdn");
  CHECK(list[0].operator_ == "Cloudflare");
  REQUIRE(issues.size() == 3);
  CHECK(issues[0].where == "clouds.csv:4");
  CHECK(issues[0].message == "not an AS number: AS1");
  CHECK(issues[1].where == "clouds.csv:5");
  CHECK(issues[1].message == "kind must be cloud or cdn: transit");
  CHECK(issues[2].where == "clouds.csv:6");
}

TEST_CASE(
    "footprint: an address shared on any day is shared, and IPv6 addresses are not outside "
    "IPv4-only published ranges",
    "[backend_map][mutation]") {
  const char* name = "hub.azure-devices.net";
  Dataset d;
  // Day 0: the hub's address also serves two shops; day 1: the hub alone.
  d.observe(kDay, ip("198.51.100.64"), name, kActiveDns);
  d.observe(kDay, ip("198.51.100.64"), "www.shop-a.test", kPassiveDns);
  d.observe(kDay, ip("198.51.100.64"), "www.shop-b.test", kPassiveDns);
  d.observe(kDay + 1, ip("198.51.100.64"), name, kActiveDns);
  d.observe(kDay + 1, ip("2001:db8:a6::1"), name, kActiveDns);
  auto cls = classify(d, lookup, kDay, kDay + 1);
  auto providers = lab_providers();
  FootprintInputs in;
  in.providers = &providers;
  in.published.push_back(
      {1,
       parse_published_ranges(
           R"({"values":[{"name":"AzureIoTHub","properties":{"addressPrefixes":["198.51.100.64/28"]}}]})",
           "tags.json")});
  auto fp = compute_footprint(d, cls, in);
  REQUIRE(fp.providers.size() == 1);
  const auto& az = fp.providers[0];
  CHECK(az.shared == 1);
  CHECK(az.dedicated == 1);
  REQUIRE(az.validation.size() == 1);
  CHECK(az.validation[0].found_inside == 1);
  CHECK(az.validation[0].found_outside == 0);
}
