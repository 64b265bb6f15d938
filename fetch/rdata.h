// DNSDB reverse look-ups (/lookup/rdata/ip/...) for candidate addresses (docs/fetch.md): which
// queries to send, and what the API says about its quota. Pure, so that the plan is tested
// without a server; fetch/dnsdb.cpp sends the queries and records them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net.h"

namespace iotmap::fetch {

struct RdataTarget {
  std::string query;                 // the look-up's argument: "203.0.113.30", "198.51.100.0,24"
  std::vector<IpAddress> addresses;  // the candidate addresses it covers
};

// One query per address, except that two or more addresses in one IPv4 /24 or one IPv6 /64
// share a query of that network ("a.b.c.0,24", "x:y:z:w::,64"): it costs one query of the
// quota instead of one per address. Addresses are taken each once; targets come out sorted by
// query, so that a run stopped by the quota resumes in the same order.
std::vector<RdataTarget> plan_rdata_lookups(std::vector<IpAddress> addresses);

// The targets whose addresses the look-ups already recorded in the window cover, left out:
// `covered` holds the queries done since the window's start.
std::vector<RdataTarget> without_covered(const std::vector<RdataTarget>& plan,
                                         const std::vector<std::string>& covered);

// The quota, from DNSDB's /rate_limit answer ({"rate": {"limit", "remaining", "reset", ...}})
// or from X-RateLimit-Limit / -Remaining / -Reset headers. "unlimited" and "n/a" count as no
// limit (nullopt).
struct Quota {
  std::optional<int64_t> limit, remaining, reset;  // reset: Unix seconds
};
Quota parse_rate_limit_json(std::string_view body);
// Applies one response header line ("X-RateLimit-Remaining: 12") to `q`; others are ignored.
void apply_rate_limit_header(std::string_view line, Quota& q);

}  // namespace iotmap::fetch
