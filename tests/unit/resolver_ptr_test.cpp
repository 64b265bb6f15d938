// resolve --ptr's pieces (issue #12, item 4): reverse names, the targets without blocklisted
// addresses, PTR answers through the engine (a fake DNS server on 127.0.0.1) and their rows.
#include <catch2/catch.hpp>

#include "resolver/engine.h"
#include "resolver/ptr.h"
#include "resolver/wire.h"
#include "tests/unit/resolver_fake_dns.h"

using namespace iotmap;
using namespace iotmap::resolver;
using iotmap::testing::fake_reply;
using iotmap::testing::FakeAction;
using iotmap::testing::FakeDns;
using iotmap::testing::FakeQuery;

TEST_CASE("ptr: reverse names of IPv4 and IPv6 addresses", "[resolver][ptr]") {
  CHECK(reverse_name(*IpAddress::parse("198.51.100.10")) == "10.100.51.198.in-addr.arpa");
  CHECK(reverse_name(*IpAddress::parse("2001:db8:a5:30::30")) ==
        "0.3.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.0.0.5.a.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST_CASE("ptr: each candidate address once, blocklisted and unreadable ones left out",
          "[resolver][ptr]") {
  auto blocked = [](const IpAddress& ip) { return ip == *IpAddress::parse("203.0.113.200"); };
  auto t = ptr_targets(
      {"203.0.113.30", "203.0.113.200", "203.0.113.30", "not-an-ip", "2001:db8:cd::200"}, blocked);
  // In IpAddress order (the address bytes: 2001:... before 203.0.113.30).
  CHECK(t.names == std::vector<std::string>{
                       "0.0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.c.0.0.8.b.d.0.1.0.0.2.ip6.arpa",
                       "30.113.0.203.in-addr.arpa"});
  REQUIRE(t.ips.size() == 2);
  CHECK(t.ips[1].str() == "203.0.113.30");
  CHECK(t.blocked == 1);
  CHECK(t.unreadable == 1);
}

TEST_CASE("ptr: the engine asks PTR and returns the names, and rows carry the vantage point",
          "[resolver][ptr]") {
  FakeDns dns([](const FakeQuery& q) {
    if (q.qtype != kTypePtr) return FakeAction{false, fake_reply(q, 5, {})};  // REFUSED
    if (q.qname == "30.113.0.203.in-addr.arpa")
      return FakeAction{false, fake_reply(q, 0,
                                          {"30.113.0.203.in-addr.arpa. 60 IN PTR "
                                           "ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com.",
                                           "30.113.0.203.in-addr.arpa. 60 IN PTR vm-30.example."})};
    return FakeAction{false, fake_reply(q, 3, {}, false, true)};  // NXDOMAIN
  });
  config::VantagePoint vp;
  vp.name = "vp-a";
  config::ResolverEndpoint ep;
  ep.address = *IpAddress::parse("127.0.0.1");
  ep.port = dns.port();
  vp.resolvers.push_back(ep);
  config::ResolverSettings s;
  s.timeout_ms = 300;
  s.retries = 1;
  std::vector<Result> results;
  EngineOptions o;
  o.qtypes = {kTypePtr};
  o.on_result = [&](const Result& r) { results.push_back(r); };
  Engine engine({vp}, s, o);
  auto t = ptr_targets({"203.0.113.30", "198.51.100.10"}, nullptr);
  engine.run(t.names);
  REQUIRE(results.size() == 2);
  std::vector<db::AddressNameRow> rows;
  for (const auto& r : results) {
    auto add = ptr_rows(r, t.ips[r.name_index], 1700000000);
    rows.insert(rows.end(), add.begin(), add.end());
    if (t.ips[r.name_index].str() == "198.51.100.10") CHECK(r.status == Status::kNxdomain);
  }
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].ip == "203.0.113.30");
  CHECK(rows[0].name == "ec2-203-0-113-30.ap-northeast-1.compute.amazonaws.com.");
  CHECK(rows[1].name == "vm-30.example.");
  CHECK(rows[0].rrtype == "PTR");
  CHECK(rows[0].kind == "ptr");
  CHECK(rows[0].source == "vp-a");
  CHECK(rows[0].time_first == 1700000000);
  for (const auto& q : dns.queries()) CHECK(q.qtype == kTypePtr);
}
