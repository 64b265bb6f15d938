#include "resolver/wire.h"

#include <ldns/ldns.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "lib/handle.h"

namespace iotmap::resolver {
namespace {

using Pkt = Handle<ldns_pkt, ldns_pkt_free>;
using Rdf = Handle<ldns_rdf, ldns_rdf_deep_free>;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Wire-format name (length-prefixed labels) to normalized text: lower case, no trailing dot,
// bytes outside [-0-9a-z_*] escaped as \DDD and a dot inside a label as "\.".
std::string dname_text(const ldns_rdf* rdf) {
  std::string out;
  if (rdf == nullptr) return out;
  const uint8_t* p = ldns_rdf_data(rdf);
  size_t n = ldns_rdf_size(rdf);
  size_t i = 0;
  while (i < n) {
    uint8_t len = p[i++];
    if (len == 0 || i + len > n) break;
    if (!out.empty()) out.push_back('.');
    for (size_t k = 0; k < len; ++k) {
      char c = lower(static_cast<char>(p[i + k]));
      bool plain =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '*';
      if (plain) {
        out.push_back(c);
      } else if (c == '.' || c == '\\') {
        out.push_back('\\');
        out.push_back(c);
      } else {
        char esc[5];
        std::snprintf(esc, sizeof esc, "\\%03u", static_cast<unsigned>(p[i + k]));
        out += esc;
      }
    }
    i += len;
  }
  return out;
}

std::optional<IpAddress> rdf_address(const ldns_rr* rr, uint16_t type) {
  if (ldns_rr_rd_count(rr) < 1) return std::nullopt;
  const ldns_rdf* rdf = ldns_rr_rdf(rr, 0);
  size_t want = type == kTypeA ? 4 : 16;
  if (rdf == nullptr || ldns_rdf_size(rdf) != want) return std::nullopt;
  IpAddress ip;
  ip.v6 = type == kTypeAaaa;
  std::memcpy(ip.bytes.data(), ldns_rdf_data(rdf), want);
  return ip;
}

}  // namespace

std::string type_name(uint16_t type) {
  switch (type) {
    case kTypeA:
      return "A";
    case kTypeAaaa:
      return "AAAA";
    case kTypeCname:
      return "CNAME";
    case kTypeDname:
      return "DNAME";
    case 2:
      return "NS";
    case 6:
      return "SOA";
    case 12:
      return "PTR";
    case 15:
      return "MX";
    case 16:
      return "TXT";
    case 33:
      return "SRV";
    case 41:
      return "OPT";
    case 65:
      return "HTTPS";
    default:
      return "TYPE" + std::to_string(type);
  }
}

std::optional<uint16_t> type_from_name(std::string_view name) {
  std::string up;
  for (char c : name) up.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
  if (up == "A") return kTypeA;
  if (up == "AAAA") return kTypeAaaa;
  if (up == "CNAME") return kTypeCname;
  if (up == "DNAME") return kTypeDname;
  if (up == "PTR") return kTypePtr;
  return std::nullopt;
}

std::string rcode_name(int rcode) {
  static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                       "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                       "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode >= 0 && rcode < static_cast<int>(std::size(kNames))) return kNames[rcode];
  if (rcode == 16) return "BADVERS";
  return "RCODE" + std::to_string(rcode);
}

std::optional<std::vector<uint8_t>> build_query(std::string_view name, uint16_t qtype, uint16_t id,
                                                const std::optional<Prefix>& client_subnet) {
  std::string text(name);
  if (text.empty() || text.back() != '.') text.push_back('.');
  ldns_rdf* owner = nullptr;
  if (ldns_str2rdf_dname(&owner, text.c_str()) != LDNS_STATUS_OK || owner == nullptr)
    return std::nullopt;
  // ldns_pkt_query_new takes ownership of `owner`.
  Pkt pkt(ldns_pkt_query_new(owner, static_cast<ldns_rr_type>(qtype), LDNS_RR_CLASS_IN, LDNS_RD));
  if (!pkt) return std::nullopt;
  ldns_pkt_set_id(pkt.get(), id);
  ldns_pkt_set_edns_udp_size(pkt.get(), kEdnsUdpSize);
  if (client_subnet) {
    const Prefix& p = *client_subnet;
    size_t alen = (static_cast<size_t>(p.length) + 7) / 8;
    std::vector<uint8_t> opt = {0,
                                kOptionClientSubnet,
                                0,
                                static_cast<uint8_t>(4 + alen),
                                0,
                                static_cast<uint8_t>(p.base.v6 ? 2 : 1),
                                static_cast<uint8_t>(p.length),
                                0};
    opt.insert(opt.end(), p.base.bytes.begin(), p.base.bytes.begin() + static_cast<long>(alen));
    // The packet owns the rdf from here on.
    ldns_pkt_set_edns_data(pkt.get(),
                           ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, opt.size(), opt.data()));
  }
  uint8_t* raw = nullptr;
  size_t size = 0;
  const ldns_status st = ldns_pkt2wire(&raw, pkt.get(), &size);
  MallocBytes bytes(raw);
  if (st != LDNS_STATUS_OK || !bytes) return std::nullopt;
  return std::vector<uint8_t>(raw, raw + size);
}

QueryBuilder::QueryBuilder(uint16_t qtype, const std::optional<Prefix>& client_subnet) {
  auto root = build_query(".", qtype, 0, client_subnet);
  // Header, the root name (one zero byte), then QTYPE and QCLASS at least.
  if (!root || root->size() < 17 || (*root)[12] != 0)
    throw std::runtime_error("ldns could not build a query template");
  header_.assign(root->begin(), root->begin() + 12);
  tail_.assign(root->begin() + 13, root->end());
}

bool QueryBuilder::build(const std::string& name, uint16_t id, std::vector<uint8_t>& out) const {
  ldns_rdf* raw = nullptr;
  if (name.empty() || ldns_str2rdf_dname(&raw, name.c_str()) != LDNS_STATUS_OK || raw == nullptr)
    return false;
  Rdf owner(raw);
  const size_t n = ldns_rdf_size(owner.get());
  out.resize(header_.size() + n + tail_.size());
  uint8_t* p = out.data();
  std::memcpy(p, header_.data(), header_.size());
  p[0] = static_cast<uint8_t>(id >> 8);
  p[1] = static_cast<uint8_t>(id & 0xff);
  std::memcpy(p + header_.size(), ldns_rdf_data(owner.get()), n);
  std::memcpy(p + header_.size() + n, tail_.data(), tail_.size());
  return true;
}

ParseOutcome parse_reply_ldns(std::span<const uint8_t> wire) {
  ParseOutcome out;
  if (wire.size() < 12) {
    out.error = "reply shorter than a DNS header (" + std::to_string(wire.size()) + " bytes)";
    return out;
  }
  ldns_pkt* raw = nullptr;
  ldns_status st = ldns_wire2pkt(&raw, wire.data(), wire.size());
  Pkt pkt(raw);
  if (st != LDNS_STATUS_OK || !pkt) {
    out.error = std::string("unparsable reply: ") + ldns_get_errorstr_by_id(st);
    return out;
  }
  ParsedReply r;
  ldns_pkt* p = pkt.get();
  r.id = ldns_pkt_id(p);
  r.qr = ldns_pkt_qr(p);
  r.aa = ldns_pkt_aa(p);
  r.tc = ldns_pkt_tc(p);
  r.rd = ldns_pkt_rd(p);
  r.ra = ldns_pkt_ra(p);
  r.rcode = ldns_pkt_get_rcode(p);
  r.edns = ldns_pkt_edns_udp_size(p) > 0;
  if (r.edns) r.rcode |= ldns_pkt_edns_extended_rcode(p) << 4;
  const ldns_rr_list* q = ldns_pkt_question(p);
  if (q != nullptr && ldns_rr_list_rr_count(q) > 0) {
    const ldns_rr* rr = ldns_rr_list_rr(q, 0);
    r.qname = dname_text(ldns_rr_owner(rr));
    r.qtype = static_cast<uint16_t>(ldns_rr_get_type(rr));
  }
  const ldns_rr_list* an = ldns_pkt_answer(p);
  size_t count = an != nullptr ? ldns_rr_list_rr_count(an) : 0;
  r.answers.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    const ldns_rr* rr = ldns_rr_list_rr(an, i);
    ParsedRecord rec;
    rec.owner = dname_text(ldns_rr_owner(rr));
    rec.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
    rec.rclass = static_cast<uint16_t>(ldns_rr_get_class(rr));
    rec.ttl = ldns_rr_ttl(rr);
    if (rec.type == kTypeA || rec.type == kTypeAaaa) {
      rec.address = rdf_address(rr, rec.type);
      if (!rec.address) {
        out.error = "answer " + std::to_string(i + 1) + " (" + type_name(rec.type) +
                    ") has malformed address data";
        return out;
      }
    } else if (rec.type == kTypeCname || rec.type == kTypeDname || rec.type == kTypePtr) {
      const ldns_rdf* t = ldns_rr_rd_count(rr) > 0 ? ldns_rr_rdf(rr, 0) : nullptr;
      if (t == nullptr || ldns_rdf_get_type(t) != LDNS_RDF_TYPE_DNAME) {
        out.error =
            "answer " + std::to_string(i + 1) + " (" + type_name(rec.type) + ") has no target name";
        return out;
      }
      rec.target = dname_text(t);
    }
    r.answers.push_back(std::move(rec));
  }
  const ldns_rr_list* ns = ldns_pkt_authority(p);
  size_t ns_count = ns != nullptr ? ldns_rr_list_rr_count(ns) : 0;
  for (size_t i = 0; i < ns_count; ++i)
    if (ldns_rr_get_type(ldns_rr_list_rr(ns, i)) == LDNS_RR_TYPE_SOA) r.has_soa_in_authority = true;
  if (const ldns_rdf* data = ldns_pkt_edns_data(p))
    parse_edns_options(std::span(ldns_rdf_data(data), ldns_rdf_size(data)), r);
  out.reply = std::move(r);
  return out;
}

}  // namespace iotmap::resolver
