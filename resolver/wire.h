// DNS wire format for the resolver: building queries (EDNS0, client subnet) with ldns and
// parsing replies. parse_reply is a pure function from bytes to a plain structure, so it can be
// fuzzed (resolver/fuzz_reply.cpp) and tested without a network.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/dns_name.h"
#include "lib/net.h"

namespace iotmap::resolver {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeCname = 5;
constexpr uint16_t kTypePtr = 12;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint16_t kTypeDname = 39;
constexpr uint16_t kEdnsUdpSize = 1232;      // the DNS flag day 2020 size: no IP fragmentation
constexpr uint16_t kOptionClientSubnet = 8;  // the EDNS option code of RFC 7871

// "A", "AAAA", "CNAME", ... or "TYPE<n>".
std::string type_name(uint16_t type);
// Inverse of type_name for the types iotmap handles (case-insensitive); nullopt otherwise.
std::optional<uint16_t> type_from_name(std::string_view name);
// "NOERROR", "SERVFAIL", ... or "RCODE<n>".
std::string rcode_name(int rcode);

// A name as the resolver spells names of DNS data and queries: lib/dns_name.h's
// DnsNameChars::data (DNS data holds names that are no host names), without the root dot (as
// replies are shown, dname_text); nullopt, with the reason in *why, for what is no name.
inline std::optional<std::string> dns_data_name(std::string_view name, std::string* why = nullptr) {
  return normalise_dns_name(name, why, DnsNameChars::data, RootDot::without);
}

// Builds a recursive (RD) query with EDNS0 (UDP size kEdnsUdpSize) and, when `client_subnet` is
// set, an RFC 7871 client-subnet option with its prefix. Returns nullopt when `name` is not a
// valid domain name.
std::optional<std::vector<uint8_t>> build_query(std::string_view name, uint16_t qtype, uint16_t id,
                                                const std::optional<Prefix>& client_subnet);

// The same bytes as build_query, cheaper per query: ldns builds the query for the root name
// once (header, EDNS0 and client-subnet option included), and each query only splices in the
// question name (encoded by ldns) and the ID. The resolver sends one query per name and type,
// so building and serialising a whole ldns packet each time was most of its user CPU.
class QueryBuilder {
 public:
  // Throws std::runtime_error when ldns cannot build the template.
  QueryBuilder(uint16_t qtype, const std::optional<Prefix>& client_subnet);
  // Replaces the content of `out` with the query; false when `name` is not a valid domain name.
  bool build(const std::string& name, uint16_t id, std::vector<uint8_t>& out) const;

 private:
  std::vector<uint8_t> header_;  // the 12 header bytes, ID 0
  std::vector<uint8_t> tail_;    // after the root name: QTYPE, QCLASS and the additional section
};

struct ParsedRecord {
  std::string owner;  // normalized (lower case, no trailing dot)
  uint16_t type = 0;
  uint16_t rclass = 0;
  uint32_t ttl = 0;
  std::optional<IpAddress> address;  // A and AAAA
  std::string target;                // CNAME, DNAME and PTR, normalized
};

struct ParsedReply {
  uint16_t id = 0;
  int rcode = 0;  // including the EDNS extended bits
  bool qr = false, aa = false, tc = false, rd = false, ra = false;
  std::string qname;  // normalized; empty when the reply has no question
  uint16_t qtype = 0;
  std::vector<ParsedRecord> answers;  // the answer section, in order
  bool has_soa_in_authority = false;  // negative answers carry the zone's SOA
  bool edns = false;
  // RFC 7871: the client-subnet option echoed by the server, with its scope prefix length.
  std::optional<Prefix> ecs_source;
  int ecs_scope = -1;
};

struct ParseOutcome {
  std::optional<ParsedReply> reply;  // set on success
  std::string error;                 // why the bytes are not a DNS reply, on failure
};

// Parses a reply (resolver/reply.cpp). Never throws and never reads outside `wire`; any input
// is accepted.
ParseOutcome parse_reply(std::span<const uint8_t> wire);
// The options of an EDNS OPT record's data: the client-subnet option (RFC 7871) sets
// `ecs_source` and `ecs_scope`; malformed options are skipped.
void parse_edns_options(std::span<const uint8_t> data, ParsedReply& out);
// The same with ldns: the reference parse_reply is held to (tests and fuzz_reply_diff), no
// longer on the resolver's path.
ParseOutcome parse_reply_ldns(std::span<const uint8_t> wire);

}  // namespace iotmap::resolver
