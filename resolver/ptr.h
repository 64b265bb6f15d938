// The PTR stage of `resolve --ptr` (docs/resolver.md): the reverse names of candidate
// addresses, asked through each vantage point's resolvers, and the PTR names they return as
// address_names rows (rrtype PTR, kind ptr, source the vantage point). Pure: the command runs
// the engine and writes the rows.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "db/rows.h"
#include "lib/net.h"
#include "resolver/result.h"

namespace iotmap::resolver {

// The name a PTR query asks for `ip` (RFC 1035 3.5, RFC 3596 2.5), without a trailing dot:
// "10.100.51.198.in-addr.arpa", "0.1.0.0. ... .8.b.d.0.1.0.0.2.ip6.arpa".
std::string reverse_name(const IpAddress& ip);

struct PtrTargets {
  std::vector<std::string> names;  // reverse names to ask ("10.100.51.198.in-addr.arpa")
  std::vector<IpAddress> ips;      // the address of each name
  size_t blocked = 0;              // candidate addresses the blocklist holds: not asked
  size_t unreadable = 0;           // stored text that is not an address
};

// The candidate addresses (store text) to ask, each once, without those `blocked` says no to.
PtrTargets ptr_targets(const std::vector<std::string>& candidate_addresses,
                       const std::function<bool(const IpAddress&)>& blocked);

// One address_names row per PTR name of an answered result, stamped `now`.
std::vector<db::AddressNameRow> ptr_rows(const Result& r, const IpAddress& ip, int64_t now);

}  // namespace iotmap::resolver
