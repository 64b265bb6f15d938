// The rows results become in the store, and the hour they are filed under.
#include <catch2/catch.hpp>

#include "resolver/rows.h"
#include "resolver/wire.h"

using namespace iotmap;
using namespace iotmap::resolver;

TEST_CASE("rows: hours, status labels and the store row", "[resolver]") {
  CHECK(hour_label(0) == "1970-01-01T00");
  CHECK(hour_start(1795305782) == 1795305600);
  CHECK(hour_label(1795305600) == "2026-11-22T00");

  Result r;
  r.name = "alias.example";
  r.qtype = kTypeAaaa;
  r.vantage = "vp-a";
  r.resolver = "192.0.2.11:53";
  r.status = Status::kAnswer;
  r.rcode = 0;
  r.chain = {{"alias.example", "a.example", 100}};
  r.answers = {{*IpAddress::parse("2001:db8::1"), 300}, {*IpAddress::parse("2001:db8::2"), 50}};
  r.rtt_ms = 1.5;
  r.time_us = 1795305782123456;
  auto row = to_row(r, 1795305600, 7);
  CHECK(row.qtype == "AAAA");
  CHECK(row.status == "NOERROR");
  CHECK(row.name == "alias.example.");
  CHECK(row.cname_chain == std::vector<std::string>{"a.example."});
  REQUIRE(row.answers.size() == 2);
  CHECK(row.answers[1].ip == "2001:db8::2");
  CHECK(row.min_ttl == 50);
  CHECK(row.resolved_at == 1795305782);
  CHECK(row.run_id == 7);
  r.status = Status::kTimeout;
  r.rcode = -1;
  r.answers.clear();
  r.chain.clear();
  row = to_row(r, 1795305600, std::nullopt);
  CHECK(row.status == "TIMEOUT");
  CHECK_FALSE(row.rcode);
  CHECK_FALSE(row.rtt_ms);
  CHECK_FALSE(row.min_ttl);
  r.status = Status::kOtherRcode;
  r.rcode = 4;
  CHECK(status_label(r) == "NOTIMP");
  for (int s = 0; s < kStatusCount; ++s)
    CHECK(status_from_name(status_name(static_cast<Status>(s))) == static_cast<Status>(s));
}

TEST_CASE("rows: min_ttl counts the chain's TTLs, and hours before 1970 round down",
          "[resolver][mutation]") {
  Result r;
  r.name = "alias.example";
  r.qtype = kTypeA;
  r.status = Status::kAnswer;
  r.rcode = 0;
  r.chain = {{"alias.example", "mid.example", 300}, {"mid.example", "a.example", 20}};
  r.answers = {{*IpAddress::parse("192.0.2.1"), 600}};
  // The answer may be cached only as long as the shortest link of the chain that led to it.
  CHECK(to_row(r, 0, std::nullopt).min_ttl == 20);
  CHECK(hour_start(-1) == -3600);
  CHECK(hour_start(-3600) == -3600);
  CHECK(hour_start(-3601) == -7200);
  CHECK(hour_start(3599) == 0);
}
