// IPFIX files through libfixbuf (detect/ipfix.h). The messages are written byte by byte here
// (RFC 7011), independently of the reader: softflowd's form (flowStartSysUpTime, dated by an
// options record's systemInitTimeMilliseconds), absolute milliseconds, IPv6 and RFC 5103
// reverse counts, and the damaged cases: a record without a start time, a data set before its
// template, a message cut short, input that is not IPFIX.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "detect/ipfix.h"
#include "lib/handle.h"

using namespace iotmap;
using namespace iotmap::detect;

namespace {

std::string u8(uint8_t v) { return std::string(1, char(v)); }
std::string u16(uint16_t v) { return u8(v >> 8) + u8(v & 0xff); }
std::string u32(uint32_t v) { return u16(v >> 16) + u16(v & 0xffff); }
std::string u64(uint64_t v) { return u32(uint32_t(v >> 32)) + u32(uint32_t(v)); }
std::string v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return u8(a) + u8(b) + u8(c) + u8(d); }

using Fields = std::vector<std::pair<uint16_t, uint16_t>>;  // (element id, length)

std::string set(uint16_t id, const std::string& body) {
  return u16(id) + u16(uint16_t(4 + body.size())) + body;
}
std::string templ(uint16_t tid, const Fields& fields) {
  std::string b = u16(tid) + u16(uint16_t(fields.size()));
  for (auto [ie, len] : fields) b += u16(ie) + u16(len);
  return set(2, b);
}
// Enterprise-specific element (RFC 5103 reverse elements: PEN 29305).
std::string reverse_field(uint16_t ie, uint16_t len) {
  return u16(uint16_t(0x8000 | ie)) + u16(len) + u32(29305);
}
std::string options_templ(uint16_t tid, const Fields& fields, uint16_t scopes) {
  std::string b = u16(tid) + u16(uint16_t(fields.size())) + u16(scopes);
  for (auto [ie, len] : fields) b += u16(ie) + u16(len);
  return set(3, b);
}
std::string message(uint32_t export_time, const std::string& sets, uint32_t sequence = 0) {
  return u16(10) + u16(uint16_t(16 + sets.size())) + u32(export_time) + u32(sequence) + u32(0) +
         sets;
}

struct Read {
  std::vector<Flow> flows;
  ReadStats stats;
};

Read read(const std::string& bytes) {
  Read r;
  std::string copy = bytes;
  Handle<FILE, ::fclose> f(fmemopen(copy.data(), copy.size(), "rb"));
  REQUIRE(f);
  r.stats = read_ipfix(f.get(), "flows.ipfix", [&](const Flow& x) { r.flows.push_back(x); });
  return r;
}

// softflowd 1.1.0's IPv4 template (-v 10): addresses, flowStart/EndSysUpTime, counts, ports,
// protocol.
const Fields kSoftflowd = {{8, 4}, {12, 4}, {22, 4}, {21, 4}, {1, 4},
                           {2, 4}, {7, 2},  {11, 2}, {4, 1}};
std::string softflowd_record(std::string src, std::string dst, uint32_t up_ms, uint32_t bytes,
                             uint16_t sp, uint16_t dp) {
  return src + dst + u32(up_ms) + u32(up_ms + 500) + u32(bytes) + u32(3) + u16(sp) + u16(dp) +
         u8(6);
}
// Its options record: meteringProcessId (scope), systemInitTimeMilliseconds.
const Fields kInit = {{143, 4}, {160, 8}};
constexpr uint64_t kInitMs = 1772359200000ULL;  // 2026-03-01 10:00:00 UTC

}  // namespace

TEST_CASE("IPFIX as softflowd sends it: uptime plus the options record's boot time",
          "[detect][ipfix]") {
  std::string m = message(
      1772359300,
      templ(1024, kSoftflowd) + options_templ(256, kInit, 1) + set(256, u32(7) + u64(kInitMs)) +
          set(1024, softflowd_record(v4(10, 0, 0, 2), v4(198, 51, 100, 10), 0, 1500, 40001, 8883) +
                        softflowd_record(v4(198, 51, 100, 10), v4(10, 0, 0, 2), 65000, 4000, 8883,
                                         40001)));
  Read r = read(m);
  CHECK(r.stats.malformed == 0);
  CHECK(r.stats.problems.empty());
  CHECK(r.stats.lines == 3);  // the options record is read, not a flow
  REQUIRE(r.flows.size() == 2);
  // Uptime 0 is a real time (the exporter's first flow), not an absent one.
  CHECK(r.flows[0].start == 1772359200);
  CHECK(r.flows[0].src.str() == "10.0.0.2");
  CHECK(r.flows[0].dst.str() == "198.51.100.10");
  CHECK(r.flows[0].src_port == 40001);
  CHECK(r.flows[0].dst_port == 8883);
  CHECK(r.flows[0].protocol == 6);
  CHECK(r.flows[0].bytes == 1500);
  CHECK(r.flows[0].packets == 3);
  CHECK(r.flows[1].start == 1772359265);
  CHECK(r.flows[1].src.str() == "198.51.100.10");
}

TEST_CASE("IPFIX: absolute milliseconds, IPv6, RFC 5103 reverse counts, ICMP without ports",
          "[detect][ipfix]") {
  std::string t = u16(1030) + u16(9) + u16(27) + u16(16) + u16(28) + u16(16) + u16(152) + u16(8) +
                  u16(1) + u16(8) + u16(2) + u16(8) + reverse_field(1, 8) + reverse_field(2, 8) +
                  u16(11) + u16(2) + u16(4) + u16(1);
  std::string src(16, '\0'), dst(16, '\0');
  src[0] = char(0x20), src[1] = char(0x01), src[2] = char(0x0d), src[3] = char(0xb8), src[15] = 5;
  dst[0] = char(0x20), dst[1] = char(0x01), dst[2] = char(0x0d), dst[3] = char(0xb8), dst[15] = 9;
  std::string tcp = src + dst + u64(1772362861234ULL) + u64(900) + u64(6) + u64(12000) + u64(11) +
                    u16(443) + u8(6);
  std::string icmp = src + dst + u64(1772362862000ULL) + u64(84) + u64(1) + u64(84) + u64(1) +
                     u16(0x0800) + u8(58);
  Read r = read(message(1772362900, set(2, t) + set(1030, tcp + icmp)));
  CHECK(r.stats.malformed == 0);
  REQUIRE(r.flows.size() == 2);
  CHECK(r.flows[0].start == 1772362861);
  CHECK(r.flows[0].src.str() == "2001:db8::5");
  CHECK(r.flows[0].dst.str() == "2001:db8::9");
  CHECK(r.flows[0].dst_port == 443);
  CHECK(r.flows[0].bytes == 900);
  CHECK(r.flows[0].reverse_bytes == 12000);
  CHECK(r.flows[0].reverse_packets == 11);
  CHECK(r.flows[1].protocol == 58);
  CHECK(r.flows[1].dst_port == 0);  // ICMP type and code are not a port
}

TEST_CASE("IPFIX: a record whose start cannot be known is named and counted, the next read",
          "[detect][ipfix]") {
  // flowStartSysUpTime and no systemInitTimeMilliseconds anywhere: the time is unknowable.
  std::string m = message(
      1772359300,
      templ(1024, kSoftflowd) +
          set(1024, softflowd_record(v4(10, 0, 0, 2), v4(198, 51, 100, 10), 0, 1500, 40001, 8883)));
  // A template without any start element, then one with seconds.
  std::string m2 =
      message(1772359400,
              templ(1025, {{8, 4}, {12, 4}, {4, 1}}) +
                  set(1025, v4(10, 0, 0, 3) + v4(198, 51, 100, 11) + u8(17)) +
                  templ(1026, {{8, 4}, {12, 4}, {150, 4}, {4, 1}}) +
                  set(1026, v4(10, 0, 0, 4) + v4(198, 51, 100, 12) + u32(1772359390) + u8(17)),
              1);
  Read r = read(m + m2);
  CHECK(r.stats.malformed == 2);
  REQUIRE(r.stats.problems.size() == 2);
  CHECK(r.stats.problems[0] ==
        "flows.ipfix: record 1: flowStartSysUpTime without the exporter's "
        "systemInitTimeMilliseconds");
  CHECK(r.stats.problems[1] == "flows.ipfix: record 2: no start time (flowStart*)");
  REQUIRE(r.flows.size() == 1);
  CHECK(r.flows[0].start == 1772359390);
  CHECK(r.flows[0].src.str() == "10.0.0.4");
}

TEST_CASE("IPFIX: a data set before its template is named as skipped, later records read",
          "[detect][ipfix]") {
  std::string data = softflowd_record(v4(10, 0, 0, 2), v4(198, 51, 100, 10), 100, 1500, 1, 2);
  std::string first = message(1772359300, set(1024, data));  // no template yet
  std::string second = message(1772359300,
                               templ(1024, kSoftflowd) + options_templ(256, kInit, 1) +
                                   set(256, u32(7) + u64(kInitMs)) + set(1024, data),
                               0);
  Read r = read(first + second);
  CHECK(r.flows.size() == 1);
  CHECK(r.stats.malformed == 1);
  REQUIRE(r.stats.problems.size() == 1);
  CHECK_THAT(r.stats.problems[0], Catch::StartsWith("flows.ipfix: libfixbuf: Skipping set"));
}

TEST_CASE("IPFIX: a message cut short or input that is not IPFIX ends the reading, named",
          "[detect][ipfix]") {
  std::string good = message(
      1772359300,
      templ(1024, kSoftflowd) + options_templ(256, kInit, 1) + set(256, u32(7) + u64(kInitMs)) +
          set(1024, softflowd_record(v4(10, 0, 0, 2), v4(198, 51, 100, 10), 0, 1500, 40001, 8883)));
  Read cut = read(good + good.substr(0, good.size() - 10));
  CHECK(cut.flows.size() == 1);  // what came before the damage is kept
  CHECK(cut.stats.malformed == 1);
  REQUIRE(cut.stats.problems.size() == 1);
  CHECK_THAT(cut.stats.problems[0], Catch::StartsWith("flows.ipfix: after record 2: "));
  CHECK_THAT(cut.stats.problems[0], Catch::EndsWith("(the rest of the input is not read)"));

  Read text = read("ts,te,td,sa,da,sp,dp,pr\n2026-03-01 10:00:01,...\n");
  CHECK(text.flows.empty());
  CHECK(text.stats.malformed == 1);
  REQUIRE(text.stats.problems.size() == 1);
  CHECK_THAT(text.stats.problems[0], Catch::Contains("IPFIX"));

  Read empty = read("");
  CHECK(empty.flows.empty());
  CHECK(empty.stats.malformed == 0);
}

TEST_CASE("IPFIX: a sequence gap is said once, counted, and not a bad record", "[detect][ipfix]") {
  auto one = [](uint32_t sequence) {
    return message(
        1772359300,
        templ(1024, kSoftflowd) + options_templ(256, kInit, 1) + set(256, u32(7) + u64(kInitMs)) +
            set(1024,
                softflowd_record(v4(10, 0, 0, 2), v4(198, 51, 100, 10), 0, 1500, 40001, 8883)),
        sequence);
  };
  // Each message holds 2 records: the second should say 2, the third 4. softflowd's own
  // numbering differs like this on every message.
  Read r = read(one(0) + one(0) + one(9));
  CHECK(r.flows.size() == 3);
  CHECK(r.stats.malformed == 0);
  CHECK(r.stats.notes == 2);
  REQUIRE(r.stats.problems.size() == 1);
  CHECK_THAT(r.stats.problems[0], Catch::Contains("out of sequence"));
  CHECK_THAT(r.stats.problems[0], Catch::EndsWith("(said once; not counted as bad)"));
}

TEST_CASE("looks_like_ipfix: version 10 in the first two bytes", "[detect][ipfix]") {
  const unsigned char ipfix[] = {0x00, 0x0A, 0x00, 0x20};
  const unsigned char v9[] = {0x00, 0x09, 0x00, 0x01};
  const unsigned char csv[] = {'t', 's', ',', 't'};
  CHECK(looks_like_ipfix(ipfix, 4));
  CHECK_FALSE(looks_like_ipfix(v9, 4));
  CHECK_FALSE(looks_like_ipfix(csv, 4));
  CHECK_FALSE(looks_like_ipfix(ipfix, 2));
}

TEST_CASE("IPFIX: a template of zero-length fields ends the reading instead of spinning",
          "[detect][ipfix]") {
  // Found by fuzz_ipfix: libfixbuf hands out empty records of such a template for ever, so a
  // 506-byte file kept `iotmap detect` at full CPU until killed.
  const Fields empty_fields = {{8, 0}, {12, 0}, {7, 0}, {11, 0}};
  Read r = read(message(1772359300, templ(1024, empty_fields) + set(1024, std::string(16, '\0'))));
  CHECK(r.flows.empty());
  CHECK(r.stats.malformed >= 1);
}
