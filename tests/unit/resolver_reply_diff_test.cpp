// The resolver's own reply parser (resolver/reply.cpp) against ldns, the reference: on replies
// of every kind the resolver meets, and on every truncation and many byte changes of them, a
// reply ldns reads is read the same, field for field. Where ldns refuses a reply the resolver's
// parser may still read it (it does not check the data of record types it ignores), and the
// test counts those.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "resolver/reply_compare.h"
#include "resolver/wire.h"

using namespace iotmap::resolver;

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& b, unsigned v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, v >> 16);
  put16(b, v & 0xFFFF);
}
void name(Bytes& b, const std::vector<std::string>& labels) {
  for (const auto& l : labels) {
    b.push_back(static_cast<uint8_t>(l.size()));
    b.insert(b.end(), l.begin(), l.end());
  }
  b.push_back(0);
}
void pointer(Bytes& b, unsigned offset) { put16(b, 0xC000 | offset); }
// A reply header and the question a.example/type; the question name is at offset 12.
Bytes reply(unsigned flags, unsigned an, unsigned ns, unsigned ar, unsigned qtype) {
  Bytes b;
  put16(b, 0x1234);
  put16(b, flags);
  put16(b, 1), put16(b, an), put16(b, ns), put16(b, ar);
  name(b, {"a", "Example"});
  put16(b, qtype), put16(b, 1);
  return b;
}
void record(Bytes& b, unsigned type, uint32_t ttl, const Bytes& rdata) {
  put16(b, type), put16(b, 1), put32(b, ttl), put16(b, static_cast<unsigned>(rdata.size()));
  b.insert(b.end(), rdata.begin(), rdata.end());
}
void opt(Bytes& b, unsigned udp, uint32_t ttl, const Bytes& options) {
  b.push_back(0);
  put16(b, 41), put16(b, udp), put32(b, ttl), put16(b, static_cast<unsigned>(options.size()));
  b.insert(b.end(), options.begin(), options.end());
}

std::vector<Bytes> seeds() {
  std::vector<Bytes> out;
  {  // a CNAME chain into an A record, names compressed
    Bytes b = reply(0x8180, 2, 0, 0, 1);
    pointer(b, 12);
    Bytes target;
    name(target, {"b", "cdn", "net"});
    record(b, 5, 100, target);
    const unsigned target_at = static_cast<unsigned>(b.size() - target.size());
    pointer(b, target_at);
    record(b, 1, 50, {192, 0, 2, 1});
    out.push_back(b);
  }
  {  // two AAAA and an OPT with a client-subnet option (scope 24)
    Bytes b = reply(0x8580, 2, 0, 1, 28);
    for (uint8_t last : {1, 2}) {
      pointer(b, 12);
      record(b, 28, 3600, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last});
    }
    opt(b, 1232, 0, {0, 8, 0, 7, 0, 1, 24, 24, 198, 51, 100});
    out.push_back(b);
  }
  {  // NXDOMAIN with the zone's SOA in the authority section
    Bytes b = reply(0x8183, 0, 1, 0, 1);
    pointer(b, 14);
    Bytes soa;
    name(soa, {"ns", "example"});
    name(soa, {"host", "example"});
    for (int i = 0; i < 5; ++i) put32(soa, 60);
    record(b, 6, 60, soa);
    out.push_back(b);
  }
  {  // DNAME and PTR targets; label bytes that need escaping; an extended rcode (BADVERS)
    Bytes b = reply(0x8180, 2, 0, 1, 12);
    pointer(b, 12);
    Bytes dname;
    name(dname, {"X.Y", "we\\ird", std::string("\x01\xff", 2)});
    record(b, 39, 10, dname);
    pointer(b, 12);
    Bytes ptr;
    name(ptr, {"host"});
    record(b, 12, 10, ptr);
    opt(b, 512, 0x01000000, {});
    out.push_back(b);
  }
  {  // an MX and a TXT the resolver ignores, then an A; a truncated-flag reply
    Bytes b = reply(0x8380, 3, 0, 0, 1);
    pointer(b, 12);
    Bytes mx;
    put16(mx, 10);
    name(mx, {"mail", "example"});
    record(b, 15, 30, mx);
    pointer(b, 12);
    record(b, 16, 30, {3, 'a', 'b', 'c'});
    pointer(b, 12);
    record(b, 1, 30, {203, 0, 113, 9});
    out.push_back(b);
  }
  if (auto q =
          build_query("mqtt.googleapis.com", kTypeAaaa, 7, iotmap::Prefix::parse("2001:db8::/32")))
    out.push_back(*q);
  return out;
}

// Every way the seeds are cut short, and byte changes at every offset.
std::vector<Bytes> variants(const std::vector<Bytes>& seeds) {
  std::vector<Bytes> out;
  for (const Bytes& s : seeds) {
    out.push_back(s);
    for (size_t n = 0; n < s.size(); ++n)
      out.emplace_back(s.begin(), s.begin() + static_cast<long>(n));
    for (size_t i = 0; i < s.size(); ++i)
      for (uint8_t v : {0x00, 0x01, 0x3F, 0x40, 0x80, 0xC0, 0xC1, 0xFF}) {
        Bytes m = s;
        m[i] = v;
        out.push_back(m);
        m[i] = static_cast<uint8_t>(s[i] ^ v);
        out.push_back(m);
      }
    Bytes longer = s;  // bytes after the last section
    longer.push_back(0);
    out.push_back(longer);
  }
  return out;
}

std::string hex(const Bytes& b) {
  std::string out;
  for (uint8_t c : b) {
    const char* digits = "0123456789abcdef";
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("reply parser: the seed replies parse as ldns parses them", "[resolver]") {
  for (const Bytes& s : seeds()) {
    auto ours = parse_reply(s), ref = parse_reply_ldns(s);
    REQUIRE(ref.reply);
    CHECK(reply_difference(ours, ref).empty());
  }
  auto chain = parse_reply(seeds()[0]);
  REQUIRE(chain.reply);
  REQUIRE(chain.reply->answers.size() == 2);
  CHECK(chain.reply->qname == "a.example");
  CHECK(chain.reply->answers[0].target == "b.cdn.net");
  CHECK(chain.reply->answers[1].owner == "b.cdn.net");
  CHECK(chain.reply->answers[1].address->str() == "192.0.2.1");
  auto odd = parse_reply(seeds()[3]);
  REQUIRE(odd.reply);
  CHECK(odd.reply->answers[0].target == "x\\.y.we\\\\ird.\\001\\255");
  CHECK(odd.reply->rcode == 16);
}

TEST_CASE("reply parser: a record's length decides where the next one starts", "[resolver]") {
  // Found by fuzz_reply: an NS record whose 1-byte data starts a longer name. ldns reads the
  // name and the next answer from where it ends; the resolver's parser from the length.
  const Bytes wire = {0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x9d, 0x00, 0x01, 0x01, 0xc0, 0x0c, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                      0x9d, 0x00, 0x01, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x21, 0x00, 0x00, 0x00, 0x00,
                      0x64, 0x00, 0x04, 0x08, 0x00, 0x00, 0x00, 0x5b, 0x34, 0xc0, 0x00, 0x02, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x9d, 0x00, 0x01, 0x01, 0x00, 0x84, 0x9c};
  auto ours = parse_reply(wire), ref = parse_reply_ldns(wire);
  REQUIRE(ours.reply);
  REQUIRE(ref.reply);
  CHECK_FALSE(reply_difference(ours, ref).empty());
  CHECK(parsers_disagree(wire).empty());
}

TEST_CASE("reply parser: every reply ldns reads is read the same", "[resolver]") {
  size_t both = 0, neither = 0, lenient = 0, miscounted = 0;
  for (const Bytes& v : variants(seeds())) {
    INFO("reply of " << v.size() << " bytes: " << hex(v));
    REQUIRE(parsers_disagree(v) == "");
    const bool ours = parse_reply(v).reply.has_value(), ref = parse_reply_ldns(v).reply.has_value();
    both += ours && ref;
    neither += !ours && !ref;
    lenient += ours && !ref;
    miscounted += !ours && ref;
  }
  // Most changes leave a readable reply, many do not; a few only break data ldns checks, a few
  // miscount a record's length where ldns reads on.
  CHECK(both > 1000);
  CHECK(neither > 500);
  WARN("reply parser: " << both << " read by both, " << neither << " by neither, " << lenient
                        << " only by ours, " << miscounted << " only by ldns (miscounted records)");
}
