// The DNS reply parser the resolver runs on every answer (resolver/wire.h). It reads the wire
// format directly: ldns built a packet of heap-allocated records for each reply, which was 13%
// of an hourly resolve's instructions (bench/README.md). parse_reply_ldns stays the reference:
// tests/unit/resolver_reply_diff_test.cpp and resolver/fuzz_reply_diff.cpp hold the two to the
// same result on every reply ldns accepts.
#include <cstring>

#include "resolver/wire.h"

namespace iotmap::resolver {
namespace {

constexpr uint16_t kTypeSoa = 6;
constexpr uint16_t kTypeOpt = 41;
constexpr size_t kMaxNameWire = 255;    // RFC 1035 2.3.4, length octets included
constexpr size_t kMaxPointers = 65535;  // ldns's bound on the jumps within one name

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// One label's bytes as name text: lower case, bytes outside [-0-9a-z_*] as \DDD, '.' and '\'
// escaped, as zone files write them.
void append_label(const uint8_t* p, size_t len, std::string& out) {
  if (!out.empty()) out.push_back('.');
  for (size_t k = 0; k < len; ++k) {
    const char c = lower(static_cast<char>(p[k]));
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*') {
      out.push_back(c);
    } else if (c == '.' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else {
      const unsigned v = p[k];
      const char esc[4] = {'\\', static_cast<char>('0' + v / 100),
                           static_cast<char>('0' + v / 10 % 10), static_cast<char>('0' + v % 10)};
      out.append(esc, 4);
    }
  }
}

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> wire) : wire_(wire) {}

  size_t pos() const { return pos_; }
  bool has(size_t n) const { return pos_ <= wire_.size() && wire_.size() - pos_ >= n; }
  bool u16(uint16_t& v) {
    if (!has(2)) return false;
    v = static_cast<uint16_t>(wire_[pos_] << 8 | wire_[pos_ + 1]);
    pos_ += 2;
    return true;
  }
  bool u32(uint32_t& v) {
    uint16_t hi = 0, lo = 0;
    if (!u16(hi) || !u16(lo)) return false;
    v = static_cast<uint32_t>(hi) << 16 | lo;
    return true;
  }
  bool seek(size_t at) {
    if (at > wire_.size()) return false;
    pos_ = at;
    return true;
  }
  bool skip(size_t n) {
    if (!has(n)) return false;
    pos_ += n;
    return true;
  }
  // A name at the read position, compression pointers followed (any earlier or later offset
  // but 0, at most kMaxPointers of them, as ldns allows); `out` gets its text when not null.
  // The position moves past the name as it stands here (to just after the first pointer).
  bool name(std::string* out) {
    size_t at = pos_, wire_len = 1, end = 0, pointers = 0;
    if (out != nullptr) out->clear();
    for (;;) {
      if (at >= wire_.size()) return false;
      const uint8_t len = wire_[at];
      if ((len & 0xC0) == 0xC0) {
        if (at + 1 >= wire_.size()) return false;
        const size_t target = static_cast<size_t>(len & 0x3F) << 8 | wire_[at + 1];
        if (target == 0 || target >= wire_.size() || ++pointers > kMaxPointers) return false;
        if (end == 0) end = at + 2;
        at = target;
        continue;
      }
      if ((len & 0xC0) != 0) return false;  // the extended label types are obsolete
      if (len == 0) break;
      if (at + 1 + len > wire_.size()) return false;
      wire_len += 1u + len;
      if (wire_len > kMaxNameWire) return false;
      if (out != nullptr) append_label(&wire_[at + 1], len, *out);
      at += 1u + len;
    }
    pos_ = end != 0 ? end : at + 1;
    return true;
  }
  std::span<const uint8_t> bytes(size_t from, size_t n) const { return wire_.subspan(from, n); }

 private:
  std::span<const uint8_t> wire_;
  size_t pos_ = 0;
};

struct RecordHeader {
  uint16_t type = 0, rclass = 0, rdlength = 0;
  uint32_t ttl = 0;
  size_t rdata = 0;  // offset of the rdata
};

bool read_header(Reader& in, std::string* owner, RecordHeader& h) {
  if (!in.name(owner) || !in.u16(h.type) || !in.u16(h.rclass) || !in.u32(h.ttl) ||
      !in.u16(h.rdlength))
    return false;
  h.rdata = in.pos();
  return in.has(h.rdlength);
}

// An answer record's data: the address of A/AAAA, the target of CNAME/DNAME/PTR.
std::string answer_data(Reader& in, const RecordHeader& h, size_t index, ParsedRecord& rec) {
  const std::string which = "answer " + std::to_string(index + 1) + " (" + type_name(h.type) + ")";
  if (h.type == kTypeA || h.type == kTypeAaaa) {
    const size_t want = h.type == kTypeA ? 4 : 16;
    if (h.rdlength != want) return which + " has malformed address data";
    IpAddress ip;
    ip.v6 = h.type == kTypeAaaa;
    auto b = in.bytes(h.rdata, want);
    std::memcpy(ip.bytes.data(), b.data(), want);
    rec.address = ip;
  } else if (h.type == kTypeCname || h.type == kTypeDname || h.type == kTypePtr) {
    // The name must fill the rdata: RFC 1035 gives no other field, so anything else is a
    // miscounted record (ldns read on from wherever the name ended).
    if (h.rdlength == 0 || !in.name(&rec.target) || in.pos() != h.rdata + h.rdlength)
      return which + " has no target name";
  }
  return "";
}

}  // namespace

void parse_edns_options(std::span<const uint8_t> data, ParsedReply& out) {
  size_t i = 0;
  while (i + 4 <= data.size()) {
    const auto code = static_cast<uint16_t>(data[i] << 8 | data[i + 1]);
    const auto len = static_cast<uint16_t>(data[i + 2] << 8 | data[i + 3]);
    i += 4;
    if (i + len > data.size()) return;
    if (code == kOptionClientSubnet && len >= 4) {
      const auto family = static_cast<uint16_t>(data[i] << 8 | data[i + 1]);
      const int source = data[i + 2], scope = data[i + 3];
      const size_t alen = len - 4u;
      IpAddress ip;
      ip.v6 = family == 2;
      if ((family == 1 || family == 2) && alen <= (ip.v6 ? 16u : 4u) && source <= ip.bits()) {
        std::memcpy(ip.bytes.data(), data.data() + i + 4, alen);
        out.ecs_source = Prefix{mask(ip, source), source};
        out.ecs_scope = scope;
      }
    }
    i += len;
  }
}

ParseOutcome parse_reply(std::span<const uint8_t> wire) {
  ParseOutcome out;
  if (wire.size() < 12) {
    out.error = "reply shorter than a DNS header (" + std::to_string(wire.size()) + " bytes)";
    return out;
  }
  Reader in(wire);
  uint16_t id = 0, flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
  in.u16(id), in.u16(flags), in.u16(qd), in.u16(an), in.u16(ns), in.u16(ar);
  ParsedReply r;
  r.id = id;
  r.qr = flags & 0x8000;
  r.aa = flags & 0x0400;
  r.tc = flags & 0x0200;
  r.rd = flags & 0x0100;
  r.ra = flags & 0x0080;
  r.rcode = flags & 0x000F;
  const auto bad = [&](const std::string& what) {
    out.error = "unparsable reply: " + what;
    return out;
  };
  std::string name;
  for (uint16_t i = 0; i < qd; ++i) {
    uint16_t qtype = 0, qclass = 0;
    if (!in.name(i == 0 ? &name : nullptr) || !in.u16(qtype) || !in.u16(qclass))
      return bad("question " + std::to_string(i + 1) + " runs past the end");
    if (i == 0) {
      r.qname = name;
      r.qtype = qtype;
    }
  }
  r.answers.reserve(an);
  RecordHeader h;
  for (uint16_t i = 0; i < an; ++i) {
    ParsedRecord rec;
    if (!read_header(in, &rec.owner, h))
      return bad("answer " + std::to_string(i + 1) + " runs past the end");
    rec.type = h.type;
    rec.rclass = h.rclass;
    rec.ttl = h.ttl;
    if (std::string e = answer_data(in, h, i, rec); !e.empty()) {
      out.error = e;
      return out;
    }
    in.seek(h.rdata + h.rdlength);  // a target name may end before its rdata does
    r.answers.push_back(std::move(rec));
  }
  for (uint16_t i = 0; i < ns; ++i) {
    if (!read_header(in, nullptr, h) || !in.skip(h.rdlength))
      return bad("authority record " + std::to_string(i + 1) + " runs past the end");
    r.has_soa_in_authority = r.has_soa_in_authority || h.type == kTypeSoa;
  }
  for (uint16_t i = 0; i < ar; ++i) {
    if (!read_header(in, nullptr, h) || !in.skip(h.rdlength))
      return bad("additional record " + std::to_string(i + 1) + " runs past the end");
    if (h.type != kTypeOpt) continue;
    // RFC 6891: the class is the sender's UDP size, the TTL's top byte the rcode's high bits.
    r.edns = h.rclass > 0;
    if (r.edns) r.rcode = (r.rcode & 0x0F) | static_cast<int>(h.ttl >> 24) << 4;
    parse_edns_options(in.bytes(h.rdata, h.rdlength), r);
  }
  out.reply = std::move(r);
  return out;
}

}  // namespace iotmap::resolver
