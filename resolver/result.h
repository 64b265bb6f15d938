// What the resolver engine emits: one Result per name x type x vantage point, plain data with no
// knowledge of the database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net.h"

namespace iotmap::resolver {

// How one name x type x vantage point ended. Every job ends in exactly one of these.
enum class Status : uint8_t {
  kAnswer,    // NOERROR with records of the asked type at the end of the CNAME chain
  kNodata,    // NOERROR, but no record of the asked type
  kNxdomain,  // the name (or the chain's end) does not exist
  kServfail,
  kRefused,
  kOtherRcode,    // FORMERR, NOTIMP, ...: see Result::rcode
  kTimeout,       // no reply to any try (also: replies with a foreign ID, which are ignored)
  kMalformed,     // a reply arrived but is not valid DNS
  kNetworkError,  // the resolver's socket failed on every try (e.g. ICMP port unreachable)
  kCnameLoop,     // the chain comes back to a name already in it
  kCnameTooLong,  // the chain is longer than resolver.max_cname_chain
  kInvalidName,   // the name cannot be put in a query; nothing was sent
  kNoResolver,    // not sent: every resolver of the vantage point had stopped answering
};

constexpr int kStatusCount = 13;

// "answer", "nodata", "nxdomain", "servfail", "refused", "rcode", "timeout", "malformed",
// "network_error", "cname_loop", "cname_too_long", "invalid_name", "no_resolver".
const char* status_name(Status s);
std::optional<Status> status_from_name(std::string_view name);
// True when the status is an answer from the DNS (answer, nodata, nxdomain), not an error.
bool status_is_dns_answer(Status s);

struct CnameLink {
  std::string owner;
  std::string target;
  uint32_t ttl = 0;
};

struct Answer {
  IpAddress address;
  uint32_t ttl = 0;
};

struct Result {
  std::string name;         // as asked, normalized (lower case, no trailing dot)
  uint32_t name_index = 0;  // position of the name in the list given to Engine::run
  uint16_t qtype = 0;       // kTypeA, kTypeAaaa or kTypePtr
  std::string vantage;      // the vantage point's name
  std::string resolver;     // "address:port" of the resolver that gave the final reply (or was
                            // tried last); empty when nothing was sent
  Status status = Status::kTimeout;
  int rcode = -1;                      // of the final reply; -1 when there was none
  std::vector<CnameLink> chain;        // every link from `name` on, in order
  std::vector<Answer> answers;         // records of qtype owned by the chain's end (or by `name`)
  std::vector<std::string> ptr_names;  // PTR queries: the names the chain's end points to
  double rtt_ms = 0;                   // of the final exchange (0 when none)
  int64_t time_us = 0;        // UTC wall clock, microseconds since the epoch, when the job ended
  int queries = 0;            // queries sent for this job: tries and chain follow-ups
  std::optional<Prefix> ecs;  // client subnet echoed by the resolver, if any
  int ecs_scope = -1;
  std::string detail;  // for errors: what happened, in words
};

}  // namespace iotmap::resolver
