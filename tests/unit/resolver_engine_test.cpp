// The resolution engine against fake DNS servers on 127.0.0.1 (tests/unit/resolver_fake_dns.h).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <tuple>

#include "resolver/engine.h"
#include "resolver/wire.h"
#include "tests/unit/resolver_fake_dns.h"

using namespace iotmap;
using namespace iotmap::resolver;
using iotmap::testing::fake_reply;
using iotmap::testing::FakeAction;
using iotmap::testing::FakeDns;
using iotmap::testing::FakeQuery;

namespace {

config::VantagePoint vantage(const std::string& name, std::vector<const FakeDns*> servers) {
  config::VantagePoint vp;
  vp.name = name;
  vp.location = "test";
  for (const auto* s : servers) {
    config::ResolverEndpoint ep;
    ep.address = *IpAddress::parse("127.0.0.1");
    ep.port = s->port();
    vp.resolvers.push_back(ep);
  }
  return vp;
}

config::ResolverSettings fast_settings() {
  config::ResolverSettings s;
  s.timeout_ms = 150;
  s.retries = 1;
  s.qps = 100000;
  s.max_in_flight = 100;
  s.max_cname_chain = 8;
  return s;
}

struct Run {
  std::vector<Result> results;
  RunStats stats;
  std::vector<std::string> notices;
  const Result& one(const std::string& name, uint16_t type = kTypeA,
                    const std::string& vp = "") const {
    const Result* found = nullptr;
    for (const auto& r : results)
      if (r.name == name && r.qtype == type && (vp.empty() || r.vantage == vp)) {
        REQUIRE(found == nullptr);  // exactly one row per name x type x vantage point
        found = &r;
      }
    REQUIRE(found != nullptr);
    return *found;
  }
};

Run resolve(std::vector<config::VantagePoint> vps, const std::vector<std::string>& names,
            config::ResolverSettings s = fast_settings(), std::vector<uint16_t> types = {kTypeA},
            EngineOptions o = {}) {
  Run run;
  o.qtypes = std::move(types);
  o.on_result = [&](const Result& r) { run.results.push_back(r); };
  o.on_notice = [&](const std::string& m) { run.notices.push_back(m); };
  Engine engine(std::move(vps), s, std::move(o));
  run.stats = engine.run(names);
  return run;
}

// A small zone as the fake server answers it.
FakeAction zone(const FakeQuery& q) {
  const std::string& n = q.qname;
  auto reply = [&](int rcode, std::vector<std::string> rrs, bool soa = false) {
    return FakeAction{false, fake_reply(q, rcode, rrs, false, soa)};
  };
  if (n == "a.example") {
    if (q.qtype == kTypeA)
      return reply(0, {"a.example. 300 IN A 192.0.2.1", "a.example. 300 IN A 192.0.2.2"});
    if (q.qtype == kTypeAaaa) return reply(0, {"a.example. 60 IN AAAA 2001:db8::1"});
  }
  if (n == "nodata.example") return reply(0, {}, true);
  if (n == "servfail.example") return reply(2, {});
  if (n == "refused.example") return reply(5, {});
  if (n == "formerr.example") return reply(1, {});
  if (n == "alias.example")  // full chain, as a recursive resolver gives it
    return reply(0, {"alias.example. 100 IN CNAME mid.example.",
                     "mid.example. 200 IN CNAME a.example.", "a.example. 300 IN A 192.0.2.1"});
  if (n == "partial.example")  // chain without its end: the engine asks for the target
    return reply(0, {"partial.example. 100 IN CNAME a.example."});
  if (n == "loop.example")
    return reply(0, {"loop.example. 100 IN CNAME loop2.example.",
                     "loop2.example. 100 IN CNAME loop.example."});
  if (n == "selfloop.example")
    return reply(
        0, {"selfloop.example. 100 IN CNAME x.example.", "x.example. 100 IN CNAME x.example."});
  if (n.rfind("long", 0) == 0) {  // long0 -> long1 -> ... -> long20
    int k = std::stoi(n.substr(4, n.find('.') - 4));
    if (k < 20) return reply(0, {n + ". 10 IN CNAME long" + std::to_string(k + 1) + ".example."});
    return reply(0, {n + ". 10 IN A 192.0.2.9"});
  }
  return reply(3, {}, true);
}

}  // namespace

TEST_CASE("engine: answers, rcodes and NODATA end in one row each", "[resolver]") {
  FakeDns dns(zone);
  auto run = resolve({vantage("vp1", {&dns})},
                     {"a.example", "A.Example.", "nodata.example", "servfail.example",
                      "refused.example", "formerr.example", "missing.example"},
                     fast_settings(), {kTypeA, kTypeAaaa});
  REQUIRE(run.results.size() == 14);
  REQUIRE(run.stats.results == 14);
  // "A.Example." is the same name as "a.example": both rows exist, normalized.
  size_t a_rows = 0;
  for (const auto& r : run.results) a_rows += r.name == "a.example" && r.qtype == kTypeA;
  CHECK(a_rows == 2);
  for (const auto& r : run.results) {
    if (r.name != "a.example") continue;
    CHECK(r.status == Status::kAnswer);
    CHECK(r.rcode == 0);
    CHECK(r.vantage == "vp1");
    CHECK(r.resolver == dns.endpoint());
    CHECK(r.rtt_ms > 0);
    CHECK(r.time_us > 1'600'000'000'000'000);
    if (r.qtype == kTypeA) {
      REQUIRE(r.answers.size() == 2);
      CHECK(r.answers[0].address.str() == "192.0.2.1");
      CHECK(r.answers[1].address.str() == "192.0.2.2");
      CHECK(r.answers[0].ttl == 300);
    } else {
      REQUIRE(r.answers.size() == 1);
      CHECK(r.answers[0].address.str() == "2001:db8::1");
      CHECK(r.answers[0].ttl == 60);
    }
  }
  CHECK(run.one("nodata.example").status == Status::kNodata);
  CHECK(run.one("nodata.example", kTypeAaaa).status == Status::kNodata);
  CHECK(run.one("servfail.example").status == Status::kServfail);
  CHECK(run.one("servfail.example").rcode == 2);
  CHECK(run.one("refused.example").status == Status::kRefused);
  CHECK(run.one("formerr.example").status == Status::kOtherRcode);
  CHECK(run.one("formerr.example").rcode == 1);
  CHECK(run.one("missing.example").status == Status::kNxdomain);
  CHECK(run.one("missing.example").answers.empty());
}

TEST_CASE("engine: CNAME chains are recorded, followed, and bounded", "[resolver]") {
  FakeDns dns(zone);
  auto run =
      resolve({vantage("vp1", {&dns})}, {"alias.example", "partial.example", "loop.example",
                                         "selfloop.example", "long0.example", "long15.example"});
  const auto& alias = run.one("alias.example");
  CHECK(alias.status == Status::kAnswer);
  REQUIRE(alias.chain.size() == 2);
  CHECK(alias.chain[0].owner == "alias.example");
  CHECK(alias.chain[0].target == "mid.example");
  CHECK(alias.chain[0].ttl == 100);
  CHECK(alias.chain[1].target == "a.example");
  REQUIRE(alias.answers.size() == 1);
  CHECK(alias.queries == 1);

  const auto& partial = run.one("partial.example");
  CHECK(partial.status == Status::kAnswer);
  REQUIRE(partial.chain.size() == 1);
  CHECK(partial.answers.size() == 2);
  CHECK(partial.queries == 2);  // the chain's target was asked for on its own

  CHECK(run.one("loop.example").status == Status::kCnameLoop);
  CHECK(run.one("loop.example").chain.size() == 2);
  CHECK(run.one("selfloop.example").status == Status::kCnameLoop);
  const auto& too_long = run.one("long0.example");
  CHECK(too_long.status == Status::kCnameTooLong);
  CHECK(too_long.chain.size() == 9);  // max_cname_chain 8, the ninth link ends it
  const auto& ok = run.one("long15.example");
  CHECK(ok.status == Status::kAnswer);
  CHECK(ok.chain.size() == 5);
  CHECK(ok.queries == 6);
}

TEST_CASE("engine: a resolver that drops everything gives timeout rows after every try",
          "[resolver]") {
  FakeDns dead([](const FakeQuery&) { return FakeAction::dropped(); });
  auto s = fast_settings();
  s.retries = 2;
  auto start = std::chrono::steady_clock::now();
  EngineOptions o;
  o.give_up_ms = 60000;  // keep trying: this test is about the timeout rows themselves
  o.backoff_ms = 10;
  auto run = resolve({vantage("vp1", {&dead})}, {"a.example", "b.example"}, s, {kTypeA}, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(run.results.size() == 2);
  for (const auto& r : run.results) {
    CHECK(r.status == Status::kTimeout);
    CHECK(r.queries == 3);
    CHECK(r.rcode == -1);
    CHECK(r.resolver == dead.endpoint());
    CHECK(r.detail.find("timeout") != std::string::npos);
  }
  CHECK(dead.udp_queries() == 6);
  CHECK(secs >= 0.45);  // three tries of 150 ms each
  CHECK(run.stats.resolvers.at(0).timeouts == 6);
}

TEST_CASE("engine: the vantage point's second resolver takes over from a dead one", "[resolver]") {
  FakeDns dead([](const FakeQuery&) { return FakeAction::dropped(); });
  FakeDns good(zone);
  auto s = fast_settings();
  s.retries = 2;
  EngineOptions o;
  o.down_after_timeouts = 3;
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("a.example");
  auto run = resolve({vantage("vp1", {&dead, &good})}, names, s, {kTypeA}, o);
  REQUIRE(run.results.size() == 40);
  for (const auto& r : run.results) {
    CHECK(r.status == Status::kAnswer);
    CHECK(r.resolver == good.endpoint());
  }
  REQUIRE(run.stats.resolvers.size() == 2);
  CHECK(run.stats.resolvers[0].timeouts >= 3);
  CHECK(run.stats.resolvers[0].times_down == 1);
  CHECK(run.stats.resolvers[0].down);
  CHECK(run.stats.resolvers[0].replies == 0);
  bool reported = false;
  for (const auto& n : run.notices)
    reported = reported || (n.find(dead.endpoint()) != std::string::npos &&
                            n.find("stopped answering") != std::string::npos);
  CHECK(reported);
}

TEST_CASE("engine: a resolver nothing listens on fails fast and is reported down", "[resolver]") {
  // A port nobody listens on: every query brings back ICMP port unreachable.
  uint16_t closed_port;
  {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    closed_port = ntohs(a.sin_port);
    ::close(fd);
  }
  FakeDns good(zone);
  auto s = fast_settings();
  // A query that waited for its timeout would show in the run's time: 10 s against a bound of
  // 5 s for a run of milliseconds (1.5 s against 2 s left a loaded machine too little room).
  s.timeout_ms = 10000;
  EngineOptions o;
  o.down_after_timeouts = 3;
  o.backoff_ms = 10;
  auto vp = vantage("vp1", {&good});
  config::ResolverEndpoint refusing;
  refusing.address = *IpAddress::parse("127.0.0.1");
  refusing.port = closed_port;
  vp.resolvers.insert(vp.resolvers.begin(), refusing);
  std::vector<std::string> names(40, "a.example");
  auto start = std::chrono::steady_clock::now();
  auto run = resolve({vp}, names, s, {kTypeA}, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(run.results.size() == 40);
  for (const auto& r : run.results) CHECK(r.status == Status::kAnswer);
  CHECK(secs < 5);
  REQUIRE(run.stats.resolvers.size() == 2);
  const auto& refused = run.stats.resolvers[0];
  CHECK(refused.sent > 0);
  CHECK(refused.errors == refused.sent);  // each ended with the socket error, none timed out
  CHECK(refused.timeouts == 0);
  CHECK(refused.times_down == 1);
  bool reported = false;
  for (const auto& n : run.notices)
    reported = reported || (n.find(refused.resolver) != std::string::npos &&
                            n.find("stopped answering") != std::string::npos);
  CHECK(reported);
}

TEST_CASE("engine: a vantage point whose every resolver is dead still ends every name",
          "[resolver]") {
  FakeDns dead([](const FakeQuery&) { return FakeAction::dropped(); });
  FakeDns good(zone);
  auto s = fast_settings();
  s.retries = 0;
  s.max_in_flight = 2;
  EngineOptions o;
  o.down_after_timeouts = 2;
  o.give_up_ms = 300;
  std::vector<std::string> names(50, "a.example");
  auto run = resolve({vantage("bad", {&dead}), vantage("ok", {&good})}, names, s, {kTypeA}, o);
  REQUIRE(run.results.size() == 100);
  int timeouts = 0, no_resolver = 0, answers = 0;
  for (const auto& r : run.results) {
    if (r.vantage == "ok") {
      CHECK(r.status == Status::kAnswer);
      ++answers;
    } else {
      CHECK((r.status == Status::kTimeout || r.status == Status::kNoResolver));
      timeouts += r.status == Status::kTimeout;
      no_resolver += r.status == Status::kNoResolver;
    }
  }
  CHECK(answers == 50);
  CHECK(timeouts >= 2);
  CHECK(no_resolver > 0);
  CHECK(dead.udp_queries() < 50);
}

TEST_CASE("engine: truncated UDP replies are retried over TCP", "[resolver]") {
  FakeDns dns([](const FakeQuery& q) {
    if (!q.tcp) return FakeAction{false, fake_reply(q, 0, {}, /*truncated=*/true)};
    std::vector<std::string> rrs;
    for (int i = 1; i <= 100; ++i)
      rrs.push_back("big.example. 30 IN A 198.51.100." + std::to_string(i));
    return FakeAction{false, fake_reply(q, 0, rrs)};
  });
  auto run = resolve({vantage("vp1", {&dns})}, {"big.example"});
  const auto& r = run.one("big.example");
  CHECK(r.status == Status::kAnswer);
  CHECK(r.answers.size() == 100);
  CHECK(dns.udp_queries() == 1);
  CHECK(dns.tcp_queries() == 1);
}

TEST_CASE("engine: malformed and mismatched-ID replies give error rows, never a crash",
          "[resolver]") {
  FakeDns dns([](const FakeQuery& q) {
    auto bytes = fake_reply(q, 0, {q.qname + ". 60 IN A 192.0.2.7"});
    if (q.qname == "wrongid.example") {
      bytes[0] ^= 0x5a;  // another query's ID: c-ares ignores it, the query times out
    } else if (q.qname == "cut.example") {
      bytes.resize(bytes.size() - 3);  // the answer record ends early
    } else if (q.qname == "garbage.example") {
      bytes.assign({0xde, 0xad, 0xbe, 0xef, 0, 1});
    } else if (q.qname == "badrdata.example") {
      // The A record's RDLENGTH says 3 and its data is one byte short.
      std::vector<uint8_t> rdata = {192, 0, 2, 7};
      auto at = std::search(bytes.begin(), bytes.end(), rdata.begin(), rdata.end());
      if (at != bytes.end()) {  // (no Catch2 macros on the server's thread)
        *(at - 1) = 3;
        bytes.erase(at + 3);
      }
    }
    return FakeAction{false, bytes};
  });
  auto run = resolve({vantage("vp1", {&dns})},
                     {"wrongid.example", "cut.example", "garbage.example", "badrdata.example"});
  REQUIRE(run.results.size() == 4);
  CHECK(run.one("wrongid.example").status == Status::kTimeout);
  CHECK(run.one("cut.example").status == Status::kMalformed);
  CHECK_FALSE(run.one("cut.example").detail.empty());
  CHECK(run.one("garbage.example").status == Status::kTimeout);
  CHECK(run.one("badrdata.example").status == Status::kMalformed);
}

TEST_CASE("engine: client subnet is sent and its echo recorded", "[resolver]") {
  FakeDns dns([](const FakeQuery& q) {
    auto bytes = fake_reply(q, 0, {q.qname + ". 60 IN A 203.0.113.5"});
    return FakeAction{false, bytes};
  });
  auto vp = vantage("vp1", {&dns});
  vp.client_subnet = Prefix::parse("198.51.100.0/24");
  auto run = resolve({vp}, {"ecs.example"});
  const auto& r = run.one("ecs.example");
  CHECK(r.status == Status::kAnswer);
  auto qs = dns.queries();
  REQUIRE(qs.size() == 1);
  // option 8, length 7, family 1, source 24, scope 0, 198.51.100
  std::vector<uint8_t> want = {0, 8, 0, 7, 0, 1, 24, 0, 198, 51, 100};
  CHECK(qs[0].edns_data == want);
  REQUIRE(r.ecs.has_value());  // the fake server echoes the query's options
  CHECK(r.ecs->str() == "198.51.100.0/24");
  CHECK(r.ecs_scope == 0);
}

TEST_CASE("engine: invalid names end as invalid_name without a query", "[resolver]") {
  FakeDns dns(zone);
  std::string long_label(64, 'x');
  auto run =
      resolve({vantage("vp1", {&dns})}, {"", "bad..example", long_label + ".example", "a.example"});
  REQUIRE(run.results.size() == 4);
  int invalid = 0;
  for (const auto& r : run.results) invalid += r.status == Status::kInvalidName;
  CHECK(invalid == 3);
  CHECK(dns.udp_queries() == 1);
}

TEST_CASE("engine: the in-flight cap and the rate limit hold", "[resolver]") {
  FakeDns dead([](const FakeQuery&) { return FakeAction::dropped(); });
  auto s = fast_settings();
  s.retries = 0;
  s.max_in_flight = 2;
  s.timeout_ms = 100;
  EngineOptions o;
  o.down_after_timeouts = 1000;
  auto start = std::chrono::steady_clock::now();
  auto run =
      resolve({vantage("vp1", {&dead})}, std::vector<std::string>(6, "x.example"), s, {kTypeA}, o);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(run.results.size() == 6);
  CHECK(secs >= 0.28);  // three rounds of two queries, 100 ms each

  FakeDns dns(zone);
  s = fast_settings();
  s.qps = 100;  // a burst of 2, then one query per 10 ms
  start = std::chrono::steady_clock::now();
  run = resolve({vantage("vp1", {&dns})}, std::vector<std::string>(32, "a.example"), s);
  secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(run.results.size() == 32);
  CHECK(secs >= 0.28);
  CHECK(secs < 3);
}

TEST_CASE("engine: a raised stop flag ends the run with the results so far", "[resolver]") {
  FakeDns dns(zone);
  auto s = fast_settings();
  s.qps = 100;  // one query per 10 ms: the run would take 0.3 s
  std::atomic<bool> stop{false};
  std::vector<Result> results;
  EngineOptions o;
  o.qtypes = {kTypeA};
  o.stop = &stop;
  o.on_result = [&](const Result& r) {
    results.push_back(r);
    if (results.size() == 5) stop = true;
  };
  Engine engine({vantage("vp1", {&dns})}, s, o);
  auto stats = engine.run(std::vector<std::string>(32, "a.example"));
  CHECK(stats.stopped);
  // The queries in flight when the flag rose still end; nothing is sent after it.
  CHECK(results.size() >= 5);
  CHECK(results.size() < 32);
  CHECK(stats.queries == results.size());
  for (const auto& r : results) CHECK(r.status == Status::kAnswer);

  // Raised before the run: nothing is sent and run() returns at once.
  results.clear();
  auto again = engine.run(std::vector<std::string>(4, "a.example"));
  CHECK(again.stopped);
  CHECK(again.queries == 0);
  CHECK(results.empty());
}

TEST_CASE("engine: several vantage points each get every name", "[resolver]") {
  FakeDns one(zone), two(zone);
  auto run = resolve({vantage("vp1", {&one}), vantage("vp2", {&two})},
                     {"a.example", "alias.example"}, fast_settings(), {kTypeA, kTypeAaaa});
  CHECK(run.results.size() == 8);
  std::set<std::tuple<std::string, uint16_t, std::string>> keys;
  for (const auto& r : run.results) keys.insert({r.name, r.qtype, r.vantage});
  CHECK(keys.size() == 8);
  CHECK(run.one("alias.example", kTypeAaaa, "vp2").status == Status::kAnswer);
  CHECK(one.udp_queries() == 5);  // alias AAAA: the chain's end has no AAAA, so it is asked
  CHECK(two.udp_queries() == 5);
}

TEST_CASE("engine: jobs marked to skip are neither asked nor reported", "[resolver]") {
  FakeDns one(zone), two(zone);
  EngineOptions o;
  // vp1: skip every job of name 0 and the AAAA of name 1; vp2: skip everything.
  o.skip = [&](size_t v, uint32_t name, size_t type) {
    return v == 1 || name == 0 || (name == 1 && type == 1);
  };
  auto run = resolve({vantage("vp1", {&one}), vantage("vp2", {&two})},
                     {"a.example", "alias.example", "nodata.example"}, fast_settings(),
                     {kTypeA, kTypeAaaa}, o);
  std::set<std::tuple<std::string, uint16_t, std::string>> keys;
  for (const auto& r : run.results) keys.insert({r.name, r.qtype, r.vantage});
  CHECK(keys == std::set<std::tuple<std::string, uint16_t, std::string>>{
                    {"alias.example", kTypeA, "vp1"},
                    {"nodata.example", kTypeA, "vp1"},
                    {"nodata.example", kTypeAaaa, "vp1"}});
  CHECK(run.results.size() == 3);
  CHECK(run.stats.results == 3);
  CHECK(two.udp_queries() == 0);
  CHECK(one.udp_queries() == 3);
  // Everything skipped: the run ends at once without a query.
  o.skip = [](size_t, uint32_t, size_t) { return true; };
  auto none = resolve({vantage("vp1", {&one})}, {"a.example"}, fast_settings(), {kTypeA}, o);
  CHECK(none.results.empty());
  CHECK(one.udp_queries() == 3);
}

TEST_CASE("engine: every query has its own random ID", "[resolver]") {
  // c-ares 1.18 matches replies to queries by the ID of the buffer handed to ares_send.
  FakeDns dns(zone);
  auto run = resolve({vantage("vp1", {&dns})}, std::vector<std::string>(64, "a.example"));
  CHECK(run.results.size() == 64);
  std::set<uint16_t> ids;
  for (const auto& q : dns.queries()) ids.insert(q.id);
  CHECK(ids.size() >= 60);
}

TEST_CASE("engine: the target of a CNAME chain gets its own tries", "[resolver][mutation]") {
  // The first query for the target is lost; with retries = 1 the target is asked again, as
  // any name would be, however many tries the chain's first query took.
  std::atomic<int> target_queries{0};
  FakeDns dns([&](const FakeQuery& q) {
    if (q.qname == "partial.example")
      return FakeAction{false, fake_reply(q, 0, {"partial.example. 100 IN CNAME a.example."})};
    if (q.qname == "a.example" && target_queries++ == 0) return FakeAction::dropped();
    return zone(q);
  });
  EngineOptions o;
  o.backoff_ms = 10;
  auto run = resolve({vantage("vp1", {&dns})}, {"partial.example"}, fast_settings(), {kTypeA}, o);
  const auto& r = run.one("partial.example");
  CHECK(r.status == Status::kAnswer);
  CHECK(r.answers.size() == 2);
  CHECK(r.queries == 3);
  CHECK(target_queries == 2);
}

TEST_CASE("engine: only addresses of the chain's end are answers", "[resolver][mutation]") {
  // A reply carrying an extra A record for another name (as a careless or hostile resolver may
  // add) gives no answer for that name.
  FakeDns dns([](const FakeQuery& q) {
    if (q.qname == "alias.example")
      return FakeAction{false, fake_reply(q, 0,
                                          {"alias.example. 100 IN CNAME a.example.",
                                           "other.example. 300 IN A 198.51.100.66",
                                           "a.example. 300 IN A 192.0.2.1"})};
    if (q.qname == "plain.example")
      return FakeAction{false, fake_reply(q, 0, {"elsewhere.example. 300 IN A 198.51.100.66"})};
    return zone(q);
  });
  auto run = resolve({vantage("vp1", {&dns})}, {"alias.example", "plain.example"});
  const auto& alias = run.one("alias.example");
  CHECK(alias.status == Status::kAnswer);
  REQUIRE(alias.answers.size() == 1);
  CHECK(alias.answers[0].address.str() == "192.0.2.1");
  CHECK(run.one("plain.example").status == Status::kNodata);
  CHECK(run.one("plain.example").answers.empty());
}
