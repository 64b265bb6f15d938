// Query building and reply parsing (resolver/wire.h): pure functions, no network.
#include <catch2/catch.hpp>
#include <cstring>

#include "resolver/wire.h"

using namespace iotmap;
using namespace iotmap::resolver;

TEST_CASE("wire: names are normalized or refused", "[resolver]") {
  CHECK(dns_data_name("IoT.Eu-West-1.AmazonAWS.com.") == "iot.eu-west-1.amazonaws.com");
  CHECK(dns_data_name("a") == "a");
  CHECK_FALSE(dns_data_name(""));
  CHECK_FALSE(dns_data_name("."));
  CHECK_FALSE(dns_data_name("a..b"));
  CHECK_FALSE(dns_data_name(".a"));
  CHECK_FALSE(dns_data_name("a b.example"));
  CHECK_FALSE(dns_data_name(std::string(64, 'x') + ".example"));
  CHECK(dns_data_name(std::string(63, 'x') + ".example"));
  std::string long_name;
  for (int i = 0; i < 64; ++i) long_name += "abc.";
  CHECK_FALSE(dns_data_name(long_name));  // 256 characters
  CHECK(type_name(kTypeA) == "A");
  CHECK(type_name(kTypeAaaa) == "AAAA");
  CHECK(type_name(999) == "TYPE999");
  CHECK(type_from_name("aaaa") == kTypeAaaa);
  CHECK_FALSE(type_from_name("MX"));
  CHECK(rcode_name(3) == "NXDOMAIN");
  CHECK(rcode_name(99) == "RCODE99");
}

TEST_CASE("wire: a built query parses back, with EDNS and client subnet", "[resolver]") {
  auto q = build_query("Mqtt.GoogleAPIs.com", kTypeAaaa, 0x1234, Prefix::parse("2001:db8:aa::/48"));
  REQUIRE(q);
  auto parsed = parse_reply(*q);
  REQUIRE(parsed.reply);
  const auto& p = *parsed.reply;
  CHECK(p.id == 0x1234);
  CHECK_FALSE(p.qr);
  CHECK(p.rd);
  CHECK(p.qname == "mqtt.googleapis.com");
  CHECK(p.qtype == kTypeAaaa);
  CHECK(p.edns);
  REQUIRE(p.ecs_source);
  CHECK(p.ecs_source->str() == "2001:db8:aa::/48");
  CHECK(p.ecs_scope == 0);
  // Six address bytes for a /48, not sixteen.
  CHECK(q->size() == 12 + 21 + 4 + 11 + 4 + 4 + 6);

  auto plain = build_query("a.example", kTypeA, 7, std::nullopt);
  REQUIRE(plain);
  auto pp = parse_reply(*plain);
  REQUIRE(pp.reply);
  CHECK_FALSE(pp.reply->ecs_source);
  CHECK_FALSE(build_query("a..example", kTypeA, 1, std::nullopt));
}

TEST_CASE("wire: the query builder gives build_query's bytes", "[resolver]") {
  for (auto ecs : {std::optional<Prefix>{}, Prefix::parse("198.51.100.0/24"),
                   Prefix::parse("2001:db8:aa::/48"), Prefix::parse("0.0.0.0/0")}) {
    for (uint16_t type : {kTypeA, kTypeAaaa}) {
      QueryBuilder builder(type, ecs);
      std::vector<uint8_t> out;
      for (std::string name : {"a.example", "mqtt.iot.eu-west-1.amazonaws.com", "x", "a.b.c.d."}) {
        INFO(name << " type " << type << " ecs " << (ecs ? ecs->str() : "none"));
        REQUIRE(builder.build(name, 0xbeef, out));
        auto expected = build_query(name, type, 0xbeef, ecs);
        REQUIRE(expected);
        CHECK(out == *expected);
      }
      CHECK_FALSE(builder.build("a..example", 1, out));
      CHECK_FALSE(builder.build("", 1, out));
    }
  }
}

TEST_CASE("wire: replies that are not DNS are errors, not crashes", "[resolver]") {
  std::vector<uint8_t> empty;
  CHECK_FALSE(parse_reply(empty).reply);
  CHECK(parse_reply(empty).error.find("shorter") != std::string::npos);
  std::vector<uint8_t> header_only(12, 0);
  header_only[2] = 0x80;  // QR
  auto h = parse_reply(header_only);
  REQUIRE(h.reply);
  CHECK(h.reply->qname.empty());
  CHECK(h.reply->answers.empty());
  // A header that promises one question that is not there.
  std::vector<uint8_t> promise = header_only;
  promise[5] = 1;
  CHECK_FALSE(parse_reply(promise).reply);
  // A compression pointer that points at itself.
  std::vector<uint8_t> loop = promise;
  loop.insert(loop.end(), {0xc0, 0x0c, 0, 1, 0, 1});
  CHECK_FALSE(parse_reply(loop).reply);
}

TEST_CASE("wire: answers, chains, escapes and the extended rcode are read", "[resolver]") {
  // Hand-made reply: id 1, QR RD RA, NOERROR; question "a.b" A; answers:
  // a.b CNAME c\.d.b (a dot inside a label), c\.d.b A 10.0.0.1; authority SOA-less.
  std::vector<uint8_t> m = {0, 1, 0x81, 0x80, 0,   1, 0, 2, 0, 0, 0,
                            0, 1, 'a',  1,    'b', 0, 0, 1, 0, 1};
  // answer 1: owner = pointer to 12, CNAME, IN, ttl 100, rdata "c.d" "b"
  m.insert(m.end(), {0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 100, 0, 7, 3, 'c', '.', 'D', 1, 'b', 0});
  size_t target = 12 + 9 + 12;
  // answer 2: owner = pointer to the CNAME target, A, ttl 50, 10.0.0.1
  m.insert(m.end(),
           {0xc0, static_cast<uint8_t>(target), 0, 1, 0, 1, 0, 0, 0, 50, 0, 4, 10, 0, 0, 1});
  auto out = parse_reply(m);
  REQUIRE(out.reply);
  const auto& r = *out.reply;
  CHECK(r.qr);
  CHECK(r.ra);
  CHECK(r.qname == "a.b");
  REQUIRE(r.answers.size() == 2);
  CHECK(r.answers[0].type == kTypeCname);
  CHECK(r.answers[0].target == "c\\.d.b");
  CHECK(r.answers[1].owner == "c\\.d.b");
  CHECK(r.answers[1].ttl == 50);
  REQUIRE(r.answers[1].address);
  CHECK(r.answers[1].address->str() == "10.0.0.1");

  // Add an OPT record with extended rcode 1 (BADVERS = 16 with header rcode 0).
  std::vector<uint8_t> e = m;
  e[11] = 1;  // ARCOUNT
  e.insert(e.end(), {0, 0, 41, 0x04, 0xd0, 1, 0, 0, 0, 0, 0});
  auto ext = parse_reply(e);
  REQUIRE(ext.reply);
  CHECK(ext.reply->edns);
  CHECK(ext.reply->rcode == 16);
  CHECK(rcode_name(ext.reply->rcode) == "BADVERS");
}
