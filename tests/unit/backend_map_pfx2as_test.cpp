// Prefix-to-AS longest match, as2org, published ranges and netset parsing.
#include <catch2/catch.hpp>
#include <sstream>

#include "backend_map/pfx2as.h"
#include "backend_map/ranges.h"

using namespace iotmap;
using namespace iotmap::backend_map;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::vector<uint32_t> origins(const PrefixTable& t, const char* address) {
  auto span = t.origins_of(ip(address));
  return {span.begin(), span.end()};
}

}  // namespace

TEST_CASE("pfx2as: longest prefix match over overlapping IPv4 and IPv6 prefixes", "[backend_map]") {
  std::istringstream in(
      "# comment\n"
      "198.51.100.0\t24\t64496\n"
      "198.51.100.0\t26\t64497\n"
      "198.51.100.128\t25\t64499\n"
      "198.51.100.130\t32\t64510\n"
      "10.0.0.0\t8\t1\n"
      "2001:db8::\t32\t64500\n"
      "2001:db8:a5::\t48\t64497\n"
      "2001:db8:a5:1::\t64\t64498\n");
  PrefixTable t;
  std::vector<ParseIssue> issues;
  REQUIRE(read_pfx2as(in, "v4v6.pfx2as", t, issues) == 8);
  CHECK(issues.empty());
  CHECK(origins(t, "198.51.100.10") == std::vector<uint32_t>{64497});
  CHECK(origins(t, "198.51.100.64") == std::vector<uint32_t>{64496});
  CHECK(origins(t, "198.51.100.129") == std::vector<uint32_t>{64499});
  CHECK(origins(t, "198.51.100.130") == std::vector<uint32_t>{64510});
  CHECK(t.lookup(ip("198.51.100.130"))->prefix.str() == "198.51.100.130/32");
  CHECK(t.lookup(ip("198.51.100.200"))->prefix.str() == "198.51.100.128/25");
  CHECK(origins(t, "10.255.255.255") == std::vector<uint32_t>{1});
  CHECK(origins(t, "2001:db8:a5:1::10") == std::vector<uint32_t>{64498});
  CHECK(origins(t, "2001:db8:a5:2::10") == std::vector<uint32_t>{64497});
  CHECK(origins(t, "2001:db8:ffff::1") == std::vector<uint32_t>{64500});
  // No match, and no cross-family match: ::ffff:... is IPv6, 0.0.0.0/8 is not in the table.
  CHECK(t.lookup(ip("192.0.2.1")) == nullptr);
  CHECK(t.lookup(ip("2001:db9::1")) == nullptr);
  CHECK(t.lookup(ip("::c633:640a")) == nullptr);  // 198.51.100.10 bits, but IPv6
}

TEST_CASE("pfx2as: MOAS and AS sets", "[backend_map]") {
  std::istringstream in(
      "203.0.113.128\t26\t64500_64501\n"
      "203.0.113.192\t26\t64501,64502\n"
      "203.0.113.0\t26\t64497_64498,64499\n"
      "2001:db8:cd::\t48\t64501_64500\n");
  PrefixTable t;
  std::vector<ParseIssue> issues;
  REQUIRE(read_pfx2as(in, "moas", t, issues) == 4);
  const auto* moas = t.lookup(ip("203.0.113.130"));
  REQUIRE(moas != nullptr);
  CHECK(moas->moas);
  CHECK_FALSE(moas->as_set);
  CHECK(origins(t, "203.0.113.130") == std::vector<uint32_t>{64500, 64501});
  const auto* set = t.lookup(ip("203.0.113.200"));
  CHECK(set->as_set);
  CHECK_FALSE(set->moas);
  CHECK(origins(t, "203.0.113.200") == std::vector<uint32_t>{64501, 64502});
  CHECK(origins(t, "203.0.113.1") == std::vector<uint32_t>{64497, 64498, 64499});
  CHECK(origins(t, "2001:db8:cd::200") == std::vector<uint32_t>{64501, 64500});
}

TEST_CASE("pfx2as: malformed lines are reported with file:line and skipped", "[backend_map]") {
  std::istringstream in(
      "198.51.100.0\t24\t64496\n"
      "not-an-ip\t24\t1\n"
      "198.51.100.0\t33\t1\n"
      "198.51.100.0\t24\n"
      "198.51.100.0\t24\tAS12\n"
      "198.51.100.0\t24\t1__2\n"
      "\n"
      "192.0.2.0 24 64496\n");
  PrefixTable t;
  std::vector<ParseIssue> issues;
  CHECK(read_pfx2as(in, "routeviews-rv2-20220228.pfx2as", t, issues) == 2);
  REQUIRE(issues.size() == 5);
  CHECK(issues[0].where == "routeviews-rv2-20220228.pfx2as:2");
  CHECK(issues[1].where == "routeviews-rv2-20220228.pfx2as:3");
  CHECK(issues[4].where == "routeviews-rv2-20220228.pfx2as:6");
  CHECK(origins(t, "192.0.2.7") == std::vector<uint32_t>{64496});
  // A later line for the same prefix replaces the origins.
  t.add(*Prefix::parse("192.0.2.0/24"), std::vector<uint32_t>{7});
  CHECK(origins(t, "192.0.2.7") == std::vector<uint32_t>{7});
  CHECK(t.size() == 2);
}

TEST_CASE("as2org: organisations joined to ASes", "[backend_map]") {
  std::istringstream in(
      "# name: AS Org\n"
      "# format:org_id|changed|org_name|country|source\n"
      "AMAZO-4-ARIN|20220101|Amazon.com, Inc.|US|ARIN\n"
      "MSFT-ARIN|20220101|Microsoft Corporation|US|ARIN\n"
      "# format:aut|changed|aut_name|org_id|opaque_id|source\n"
      "16509|20220101|AMAZON-02|AMAZO-4-ARIN|x|ARIN\n"
      "8075|20220101|MICROSOFT-CORP-MSN-AS-BLOCK|MSFT-ARIN|x|ARIN\n"
      "64512|20220101|ORPHAN|NO-SUCH-ORG|x|ARIN\n"
      "bad|line\n");
  std::vector<ParseIssue> issues;
  auto m = read_as2org(in, "as2org.txt", issues);
  REQUIRE(m.size() == 3);
  CHECK(m[16509].org_name == "Amazon.com, Inc.");
  CHECK(m[16509].as_name == "AMAZON-02");
  CHECK(m[8075].country == "US");
  CHECK(m[64512].org_name.empty());
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].where == "as2org.txt:9");
}

TEST_CASE("published ranges: Azure service tags and AWS ip-ranges", "[backend_map]") {
  const char* azure = R"({"changeNumber": 1, "cloud": "Public", "values": [
    {"name": "AzureIoTHub", "id": "AzureIoTHub", "properties": {"region": "", "systemService": "AzureIoTHub",
      "addressPrefixes": ["20.36.108.0/24", "2603:1000:4::/48"]}},
    {"name": "AzureIoTHub.EastUS", "id": "AzureIoTHub.EastUS", "properties": {"region": "eastus",
      "systemService": "AzureIoTHub", "addressPrefixes": ["20.42.64.0/26"]}},
    {"name": "AzureCloud", "id": "AzureCloud", "properties": {"addressPrefixes": ["13.64.0.0/11"]}}]})";
  auto a = parse_published_ranges(azure, "ServiceTags_Public.json");
  CHECK(a.format == RangeFormat::kAzureServiceTags);
  REQUIRE(a.ranges.size() == 3);
  CHECK(a.ranges[0].prefix.str() == "20.36.108.0/24");
  CHECK(a.ranges[1].prefix.base.v6);
  CHECK(a.ranges[2].region == "eastus");

  const char* aws = R"({"syncToken": "1", "prefixes": [
    {"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "AMAZON"},
    {"ip_prefix": "52.94.0.0/22", "region": "us-east-1", "service": "EC2"}],
    "ipv6_prefixes": [{"ipv6_prefix": "2600:1f14::/35", "region": "us-west-2", "service": "EC2"}]})";
  auto all = parse_published_ranges(aws, "ip-ranges.json");
  CHECK(all.format == RangeFormat::kAwsIpRanges);
  CHECK(all.ranges.size() == 3);
  auto ec2 = parse_published_ranges(aws, "ip-ranges.json", {"EC2"});
  REQUIRE(ec2.ranges.size() == 2);
  CHECK(ec2.ranges[1].prefix.str() == "2600:1f14::/35");
  CHECK_THROWS_WITH(parse_published_ranges("[1]", "x.json"), Catch::Contains("x.json"));
  CHECK_THROWS_WITH(parse_published_ranges("{\"a\":1}", "y.json"), Catch::Contains("y.json"));
}

// Google's cloud.json keeps IPv4 and IPv6 in one "prefixes" list, like AWS's name for its IPv4
// list: the entries' keys must decide, or the file reads as AWS ranges with no prefix at all.
TEST_CASE("published ranges: Google Cloud cloud.json", "[backend_map]") {
  const char* google = R"({"syncToken": "1700000000000", "creationTime": "2023-11-14T22:13:20",
    "prefixes": [
    {"ipv4Prefix": "34.1.208.0/20", "service": "Google Cloud", "scope": "africa-south1"},
    {"ipv6Prefix": "2600:1900:8000::/44", "service": "Google Cloud", "scope": "africa-south1"},
    {"ipv4Prefix": "35.185.128.0/19", "service": "Google Cloud", "scope": "us-central1"},
    {"ipv4Prefix": "8.8.4.0/24", "service": "Google", "scope": "global"},
    {"ipv4Prefix": "not-a-prefix", "service": "Google Cloud", "scope": "us-east1"}]})";
  auto g = parse_published_ranges(google, "cloud.json");
  CHECK(g.format == RangeFormat::kGoogleCloud);
  REQUIRE(g.ranges.size() == 4);
  CHECK(g.ranges[0].prefix.str() == "34.1.208.0/20");
  CHECK(g.ranges[0].region == "africa-south1");
  CHECK(g.ranges[0].tag == "Google Cloud");
  CHECK(g.ranges[1].prefix.base.v6);
  CHECK(g.ranges[1].prefix.str() == "2600:1900:8000::/44");
  CHECK(g.ranges[2].region == "us-central1");
  auto cloud = parse_published_ranges(google, "cloud.json", {"Google Cloud"});
  CHECK(cloud.ranges.size() == 3);
  CHECK(std::string(range_format_str(g.format)) == "Google Cloud ranges");

  // An AWS file is still AWS, whatever else it holds.
  auto aws = parse_published_ranges(
      R"({"prefixes": [{"ip_prefix": "3.5.140.0/22", "region": "ap-northeast-2", "service": "EC2"}]})",
      "ip-ranges.json");
  CHECK(aws.format == RangeFormat::kAwsIpRanges);
  REQUIRE(aws.ranges.size() == 1);
  CHECK(aws.ranges[0].region == "ap-northeast-2");
}

TEST_CASE("FireHOL netset", "[backend_map]") {
  std::vector<ParseIssue> issues;
  auto p = parse_netset(
      "#\n# firehol_level1\n1.2.3.0/24\n5.6.7.8\n  9.9.0.0/16  # note\nbogus\n2001:db8::/32\n",
      "firehol_level1.netset", issues);
  REQUIRE(p.size() == 4);
  CHECK(p[1].str() == "5.6.7.8/32");
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].where == "firehol_level1.netset:6");
}
