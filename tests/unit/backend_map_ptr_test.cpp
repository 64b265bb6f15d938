// PTR names in the backend map (issue #12, item 4): a hint in reasons and the footprint, never a
// served name.
#include <catch2/catch.hpp>

#include "backend_map/footprint.h"
#include "lib/date.h"

using namespace iotmap;
using namespace iotmap::backend_map;

namespace {

const Day kDay = *parse_date("2022-02-28");
IpAddress ip(const char* text) { return *IpAddress::parse(text); }

NameMatch lookup(std::string_view name) {
  if (name.ends_with(".iot.ap-northeast-1.amazonaws.com")) return {0, -1};
  return {};
}

}  // namespace

TEST_CASE("a PTR name is a hint in the reason, never another site", "[backend_map][ptr]") {
  Dataset d;
  const char* name = "x9y8-ats.iot.ap-northeast-1.amazonaws.com";
  d.observe(kDay, ip("203.0.113.30"), name, kActiveDns);
  d.observe(kDay, ip("203.0.113.31"), name, kActiveDns);
  Dataset& with_ptr = d;
  with_ptr.ptr(ip("203.0.113.30"), "ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com");
  with_ptr.ptr(ip("203.0.113.30"), "ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com");
  with_ptr.ptr(ip("203.0.113.30"), "a-host.other-company.example");  // still no site
  auto c = classify(with_ptr, lookup, kDay, kDay);
  const IpDay* r = c.find(with_ptr.find_ip(ip("203.0.113.30")), kDay);
  REQUIRE(r != nullptr);
  CHECK(r->names_total == 1);
  CHECK(r->registrable_domains == 1);
  CHECK(r->exclusive == Verdict::kDedicated);
  CHECK(ptr_hint(with_ptr, r->ip) ==
        "host name (PTR): a-host.other-company.example, "
        "ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com");
  const IpDay* other = c.find(with_ptr.find_ip(ip("203.0.113.31")), kDay);
  REQUIRE(other != nullptr);
  CHECK(ptr_hint(with_ptr, other->ip).empty());
  CHECK(c.domain(with_ptr.find_name(name))->exclusive == Verdict::kDedicated);
}

TEST_CASE("the footprint shows each provider's PTR names", "[backend_map][ptr]") {
  Dataset d;
  const char* name = "x9y8-ats.iot.ap-northeast-1.amazonaws.com";
  d.observe(kDay, ip("203.0.113.30"), name, kActiveDns);
  d.observe(kDay, ip("2001:db8:a5:30::30"), name, kActiveDns);
  d.observe(kDay, ip("203.0.113.31"), name, kActiveDns);
  d.ptr(ip("203.0.113.30"), "ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com");
  d.ptr(ip("2001:db8:a5:30::30"), "ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com");
  d.ptr(ip("192.0.2.1"), "not-a-provider-address.example");
  auto c = classify(d, lookup, kDay, kDay);
  std::vector<Provider> providers{{"aws", "Amazon AWS", {}, {}, {}}};
  FootprintInputs in;
  in.providers = &providers;
  auto fp = compute_footprint(d, c, in);
  REQUIRE(fp.providers.size() == 1);
  CHECK(fp.providers[0].ptr_ips == 2);
  REQUIRE(fp.providers[0].ptr_sample.size() == 2);
  for (const auto& [a, n] : fp.providers[0].ptr_sample)
    CHECK(n == "ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com");
}
