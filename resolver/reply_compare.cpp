#include "resolver/reply_compare.h"

#include <algorithm>
#include <cstdlib>
#include <vector>

#include "lib/handle.h"

// After the C++ headers: ldns's headers make `bool` a macro for C.
#include <ldns/ldns.h>

namespace iotmap::resolver {
namespace {

std::string record_difference(const ParsedRecord& a, const ParsedRecord& b) {
  if (a.owner != b.owner) return "owner '" + a.owner + "' vs '" + b.owner + "'";
  if (a.type != b.type || a.rclass != b.rclass || a.ttl != b.ttl) return "type, class or TTL";
  if (a.address != b.address) return "address";
  if (a.target != b.target) return "target '" + a.target + "' vs '" + b.target + "'";
  return "";
}

using Pkt = Handle<ldns_pkt, ldns_pkt_free>;

// The reply as ldns understood it, written back out by ldns.
std::vector<uint8_t> ldns_rewritten(std::span<const uint8_t> wire) {
  ldns_pkt* raw_pkt = nullptr;
  if (ldns_wire2pkt(&raw_pkt, wire.data(), wire.size()) != LDNS_STATUS_OK) return {};
  Pkt pkt(raw_pkt);
  uint8_t* raw = nullptr;
  size_t size = 0;
  const ldns_status st = ldns_pkt2wire(&raw, pkt.get(), &size);
  MallocBytes bytes(raw);
  if (st != LDNS_STATUS_OK || !bytes) return {};
  return {bytes.get(), bytes.get() + size};
}

}  // namespace

std::string reply_difference(const ParseOutcome& a, const ParseOutcome& b) {
  if (!a.reply || !b.reply)
    return a.reply || b.reply ? "one parsed, the other failed (" + a.error + b.error + ")" : "";
  const ParsedReply &x = *a.reply, &y = *b.reply;
  if (x.id != y.id || x.rcode != y.rcode || x.qr != y.qr || x.aa != y.aa || x.tc != y.tc ||
      x.rd != y.rd || x.ra != y.ra)
    return "header (id, rcode or flags)";
  if (x.qname != y.qname || x.qtype != y.qtype)
    return "question '" + x.qname + "' vs '" + y.qname + "'";
  if (x.answers.size() != y.answers.size()) return "number of answers";
  for (size_t i = 0; i < x.answers.size(); ++i)
    if (auto d = record_difference(x.answers[i], y.answers[i]); !d.empty())
      return "answer " + std::to_string(i + 1) + ": " + d;
  if (x.has_soa_in_authority != y.has_soa_in_authority) return "SOA in authority";
  if (x.edns != y.edns) return "EDNS";
  if (x.ecs_source != y.ecs_source || x.ecs_scope != y.ecs_scope) return "client subnet";
  return "";
}

std::string parsers_disagree(std::span<const uint8_t> wire) {
  const ParseOutcome ref = parse_reply_ldns(wire);
  if (!ref.reply) return "";
  const ParseOutcome ours = parse_reply(wire);
  std::string d = reply_difference(ours, ref);
  if (d.empty()) return "";
  // ldns reads a record's data by its type and carries on where that data ended, whatever the
  // record's length said; the resolver's parser goes by the length (RFC 1035 4.1.3). Where they
  // part, the reply as ldns rewrites it (every length what ldns read) must be read alike.
  const std::vector<uint8_t> fixed = ldns_rewritten(wire);
  if (fixed.empty() || std::equal(fixed.begin(), fixed.end(), wire.begin(), wire.end()))
    return d + (ours.reply ? "" : " (" + ours.error + ")");
  if (auto again = reply_difference(parse_reply(fixed), ref); !again.empty())
    return d + "; and as ldns rewrote the reply: " + again;
  return "";
}

}  // namespace iotmap::resolver
