// DNSDB reverse look-ups (issue #12, item 2): one query per /24 or /64 where that saves
// queries, resumption from what the window already covered, and the quota in two spellings.
#include <catch2/catch.hpp>

#include "fetch/rdata.h"

using namespace iotmap;
using namespace iotmap::fetch;

namespace {

std::vector<IpAddress> ips(std::initializer_list<const char*> texts) {
  std::vector<IpAddress> out;
  for (const char* t : texts) out.push_back(*IpAddress::parse(t));
  return out;
}

std::vector<std::string> queries(const std::vector<RdataTarget>& plan) {
  std::vector<std::string> out;
  for (const auto& t : plan) out.push_back(t.query);
  return out;
}

}  // namespace

TEST_CASE("rdata: a /24 or /64 with several addresses is one query, a lone address its own",
          "[fetch][rdata]") {
  auto plan =
      plan_rdata_lookups(ips({"198.51.100.11", "198.51.100.10", "198.51.100.10", "203.0.113.30",
                              "2001:db8:a5:1::10", "2001:db8:a5:1::11", "2001:db8:a5:2::20"}));
  CHECK(queries(plan) == std::vector<std::string>{"198.51.100.0,24", "2001:db8:a5:1::,64",
                                                  "2001:db8:a5:2::20", "203.0.113.30"});
  REQUIRE(plan[0].addresses.size() == 2);  // the duplicate counted once
  CHECK(plan[1].addresses.size() == 2);
  CHECK(plan[3].addresses.size() == 1);
}

TEST_CASE("rdata: addresses a look-up of the window covered are not asked again",
          "[fetch][rdata]") {
  auto plan = plan_rdata_lookups(
      ips({"198.51.100.10", "198.51.100.11", "198.51.100.12", "203.0.113.30", "203.0.113.31"}));
  // The /24 of 198.51.100 was looked up; in 203.0.113 only .30 on its own.
  auto left = without_covered(plan, {"198.51.100.0,24", "203.0.113.30"});
  REQUIRE(left.size() == 1);
  CHECK(left[0].query == "203.0.113.31");  // the rest of its /24 is one address: its own query
  CHECK(without_covered(plan, {}).size() == plan.size());
}

TEST_CASE("rdata: the quota from /rate_limit and from X-RateLimit headers", "[fetch][rdata]") {
  auto q = parse_rate_limit_json(R"({"rate":{"reset":1433980800,"limit":1000,"remaining":999}})");
  CHECK(q.limit == 1000);
  CHECK(q.remaining == 999);
  CHECK(q.reset == 1433980800);
  auto unlimited =
      parse_rate_limit_json(R"({"rate":{"reset":"n/a","limit":"unlimited","remaining":"n/a"}})");
  CHECK_FALSE(unlimited.remaining);
  CHECK_FALSE(parse_rate_limit_json("not json").limit);
  Quota h;
  apply_rate_limit_header("X-RateLimit-Remaining: 12", h);
  apply_rate_limit_header("x-ratelimit-reset:1700000000", h);
  apply_rate_limit_header("X-RateLimit-Limit: many", h);
  apply_rate_limit_header("Content-Type: text/plain", h);
  CHECK(h.remaining == 12);
  CHECK(h.reset == 1700000000);
  CHECK_FALSE(h.limit);
}
