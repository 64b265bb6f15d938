// Each provider's footprint (docs/method.md section 4; 003 section 7.3, Table 7.2), from a
// Classification and plain lookup tables; pure, like classify.h. The IPs of a provider are those
// its names reached in the classification window (the weekly view of Table 7.2); stability
// compares each day's set with the window's first day (Fig. 7.4).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend_map/classify.h"
#include "backend_map/cloud_ases.h"
#include "backend_map/pfx2as.h"
#include "backend_map/provider.h"
#include "backend_map/ranges.h"

namespace iotmap::backend_map {

struct Location {
  std::string city;     // "" when only the country is known
  std::string country;  // ISO 3166 alpha-2
  bool operator==(const Location&) const = default;
};

// A geolocation source (the command wraps a MaxMind database); nullopt when it has no answer.
using GeoLookup = std::function<std::optional<Location>(const IpAddress&)>;

struct FootprintInputs {
  const std::vector<Provider>* providers = nullptr;  // required
  const PrefixTable* pfx2as = nullptr;               // none: ASes and strategy stay unknown
  const std::unordered_map<uint32_t, AsOrg>* as2org = nullptr;
  // Cloud and CDN ASes, sorted by ASN (read_cloud_ases); none: embedded_cloud_ases().
  const std::vector<CloudAs>* cloud_ases = nullptr;
  GeoLookup geo;  // optional
  // Published ranges, each for one provider index.
  std::vector<std::pair<int32_t, PublishedRanges>> published;
  std::vector<Prefix> blocklist;  // FireHOL netset
  std::string blocklist_name;     // shown in reports
};

struct AsCount {
  uint32_t asn = 0;
  std::string
      name;  // organisation (as2org), else AS name, else the provider's name for its own ASes
  uint32_t ips = 0;
  bool own = false;    // one of the provider's own ASes (catalogue)
  bool cloud = false;  // in the cloud and CDN list (FootprintInputs::cloud_ases)
};

struct PrefixCount {
  Prefix prefix;                  // the pfx2as entry the IPs matched longest
  std::vector<uint32_t> origins;  // its origin ASes (several for MOAS and AS sets)
  uint32_t ips = 0;
};

struct LocationCount {
  Location location;
  uint32_t ips = 0;
};

struct PortCount {
  uint16_t port = 0;
  std::string protocol;
  uint32_t ips = 0;
};

// IPs per discovering source (Fig. 7.3): found by exactly one source, or by several.
struct SourceCounts {
  uint32_t cert = 0, pdns = 0, active_dns = 0, several = 0;
  uint32_t total() const { return cert + pdns + active_dns + several; }
};

struct StabilityPoint {
  Day day = 0;
  uint32_t both = 0;   // in the first day's set and this day's
  uint32_t added = 0;  // only this day's
  uint32_t gone = 0;   // only the first day's
};

struct RangeValidation {
  std::string format;          // range_format_str(): "Azure service tags", ...
  uint32_t found_inside = 0;   // provider IPs inside a published range
  uint32_t found_outside = 0;  // provider IPs of a family the ranges cover, outside them
  uint32_t published_prefixes = 0;
  uint32_t prefixes_without_found_ip = 0;
  uint64_t published_v4_addresses = 0;  // overlaps merged
  uint64_t published_v4_not_found = 0;
};

struct ProviderFootprint {
  int32_t provider = -1;
  uint32_t ipv4 = 0, ipv6 = 0;
  uint32_t dedicated = 0, shared = 0, unknown = 0;  // per IP, exclusive rule over the window
  std::vector<AsCount> ases;                        // most IPs first
  uint32_t prefixes_v4 = 0;                         // distinct IPv4 /24s
  uint32_t prefixes_v6 = 0;                         // distinct IPv6 /56s
  uint32_t announced_prefixes = 0;                  // distinct pfx2as prefixes
  std::vector<PrefixCount> prefixes;                // those prefixes, most IPs first
  uint32_t unrouted = 0;                            // IPs with no pfx2as match
  // The categories of the announced addresses joined with '+', in the order DI, PR, other:
  // "DI", "PR", "DI+PR", "PR+other", ...; "" when nothing is announced.
  std::string strategy;
  // Announced addresses by category: an origin is the provider's own AS (DI); else an origin
  // is a cloud or CDN AS (PR); else neither (other: transit, hosting, access networks).
  uint32_t di_ips = 0, pr_ips = 0, other_ips = 0;
  std::vector<LocationCount> locations;  // most IPs first
  uint32_t countries = 0;
  uint32_t located_by_name = 0, located_by_geo = 0, unlocated = 0, votes_disagreed = 0;
  std::vector<PortCount> ports;
  SourceCounts sources_v4, sources_v6;
  std::vector<StabilityPoint> stability;  // one per day after the first
  std::vector<RangeValidation> validation;
  uint32_t ptr_ips = 0;  // addresses with a PTR name (resolve --ptr)
  std::vector<std::pair<IpAddress, std::string>> ptr_sample;  // at most 20 (address, PTR name)
  uint32_t blocklisted = 0;
  std::vector<IpAddress> blocklisted_ips;  // at most 20
};

struct Footprint {
  Day first_day = 0, last_day = 0;
  std::string blocklist_name;
  EvidenceCoverage coverage;                 // of the window's last day (classify.h)
  std::vector<ProviderFootprint> providers;  // providers with at least one IP, by index
};

Footprint compute_footprint(const Dataset& data, const Classification& cls,
                            const FootprintInputs& in);

}  // namespace iotmap::backend_map
