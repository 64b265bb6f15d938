// Dedicated vs shared infrastructure (docs/method.md section 3). Pure: a Dataset and a provider
// lookup in, a Classification out; no database, no files.
//
// Per IP and day, the names "seen on" the IP are the observed names (our resolutions, passive
// DNS, certificate names) plus every alias that reaches one of them through that day's CNAME
// edges. Two verdicts are computed for every IP and day:
//  - threshold rule (003 section 7.2.4): per provider present on the IP, count the names that do
//    not match the provider's patterns (a name downstream of a provider name, i.e. the cloud or
//    CDN name a provider name CNAMEs to, does not count; neither does a certificate-only name in
//    the registrable domain of the provider's own names); shared when the count exceeds the
//    threshold.
//  - exclusive rule (002 section 4.2.1): the DNS names that start a CNAME chain ("root" names,
//    those with no alias pointing at them) must all be of one registrable domain. The CNAME
//    targets themselves (devA-VM.ec2compute.amazonaws.com) do not count, so a provider name
//    CNAMEd to a cloud VM stays exclusive, while a CDN edge name that many unrelated sites alias
//    brings all of their registrable domains in, and is shared.
// Sharing needs only evidence; exclusivity needs DNS data: an IP known only from certificates is
// unknown unless its names already show sharing.
//
// Per domain over the window: dedicated only when each of its IPs was exclusive (to the same
// registrable domain) on every day the IP was seen; days with certificate data only are neutral;
// an IP that was never shown exclusive makes the domain unknown; no data at all is unknown.
// Domains without DNS data fall back to certificates (002 section 4.2.2).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend_map/dataset.h"
#include "backend_map/provider.h"
#include "backend_map/psl.h"
#include "config/config.h"

namespace iotmap::backend_map {

enum class Verdict : uint8_t { kUnknown = 0, kDedicated = 1, kShared = 2 };
const char* verdict_str(Verdict v);  // unknown|dedicated|shared

enum class Rule : uint8_t { kExclusive, kThreshold };
std::optional<Rule> parse_rule(std::string_view text);  // exclusive|threshold
const char* rule_str(Rule r);

enum class Reason : uint8_t {
  kNone,
  kOnlyCertificates,           // no DNS data for the IP that day
  kWithinThreshold,            // threshold rule: not-matching names <= threshold
  kAboveThreshold,             // threshold rule: not-matching names > threshold
  kOneRegistrableDomain,       // exclusive rule
  kSeveralRegistrableDomains,  // exclusive rule
  kOtherRegistrableDomain,     // domain: an IP was exclusive to another registrable domain
  kNoData,                     // domain: nothing in the window
  kIpNeverExclusive,           // domain: an IP had certificate data only
  kAllIpsExclusive,            // domain: dedicated
  kIpShared,                   // domain: an IP was shared on a day
  kCertificateFallback,        // domain: dedicated or shared through the certificate fallback
};

struct ClassifyOptions {
  int shared_threshold = 0;  // not-matching names tolerated on a dedicated IP
  bool keep_names = true;    // keep every name seen on each IP and day (Classification::ip_names)
  int threads = 1;  // > 1: provider lookups on that many threads (lookup must be thread-safe)
  // The provider table the lookup indexes (optional): its registrable_domains mark certificate
  // names as the provider's own.
  const std::vector<Provider>* providers = nullptr;
  static ClassifyOptions from(const config::ClassifySettings& settings);
};

// One provider present on an IP on a day (one of its names reaches the IP).
struct IpProvider {
  int32_t provider = -1;
  uint32_t matching = 0;      // names of the provider on the IP
  uint32_t not_matching = 0;  // names counted against the threshold
  uint8_t sources = 0;        // sources linking the IP to the provider's names
  // Of the names counted against the threshold, how many each source linked to the IP (index:
  // bit number of the Source; a name two sources saw counts under both; an alias counts under
  // the source of its CNAME record).
  std::array<uint32_t, kSourceBits> sharing{};
  Verdict threshold = Verdict::kUnknown;
  Reason threshold_reason = Reason::kNone;
};

struct IpDay {
  Day day = 0;
  IpId ip = 0;
  uint32_t names_total = 0;          // every name seen on the IP that day
  uint32_t registrable_domains = 0;  // distinct registrable domains of the DNS root names
  uint32_t domain =
      kNone;            // that registrable domain when there is one (Classification::registrable)
  uint8_t sources = 0;  // every source that saw the IP that day
  Verdict exclusive = Verdict::kUnknown;
  Reason exclusive_reason = Reason::kNone;
  uint32_t providers_begin = 0, providers_end = 0;  // Classification::ip_providers
  uint64_t names_begin = 0, names_end = 0;          // Classification::ip_names
};

// A domain (a provider name) reached an IP on a day through these sources.
struct DomainIp {
  NameId domain = 0;
  IpId ip = 0;
  Day day = 0;
  uint8_t sources = 0;
};

struct DomainVerdict {
  NameId domain = 0;
  int32_t provider = -1;
  int32_t region = -1;
  Verdict exclusive = Verdict::kUnknown;
  Reason exclusive_reason = Reason::kNoData;
  Verdict threshold = Verdict::kUnknown;
  Reason threshold_reason = Reason::kNoData;
  // The IP and day that decided a shared or unknown verdict, per rule (kNone when none).
  IpId exclusive_ip = kNone, threshold_ip = kNone;
  Day exclusive_day = 0, threshold_day = 0;
  uint32_t ips_total = 0;
  uint32_t ips_exclusive = 0;  // IPs exclusive on every day they were seen (exclusive rule)
  uint32_t cert = kNone;       // identifying certificate when the fallback was used
  Verdict verdict(Rule rule) const { return rule == Rule::kExclusive ? exclusive : threshold; }
};

// A port and protocol that answered on an IP.
struct ServiceAt {
  IpId ip;
  uint16_t port;
  uint8_t protocol;
  auto operator<=>(const ServiceAt&) const = default;
};

struct Classification {
  Day first_day = 0, last_day = 0;  // the window, inclusive
  ClassifyOptions options;
  std::vector<int32_t> name_provider;  // per NameId; -1 none
  std::vector<int32_t> name_region;    // per NameId; -1 none
  std::vector<uint8_t> name_primary;   // per NameId; 1 unless the lookup said support domain
  StringTable registrable;             // registrable domains, by id
  std::vector<IpDay> ip_days;          // sorted by (day, ip)
  std::vector<IpProvider> ip_providers;
  std::vector<NameId> ip_names;
  // Parallel to ip_names: the Source bits each name is attributed to (an alias: the source of
  // the CNAME record that names it, not its target's).
  std::vector<uint8_t> ip_name_sources;
  // Parallel to ip_names: 1 for another site's name (counted against every provider present,
  // or any name when none is).
  std::vector<uint8_t> ip_name_other;
  std::vector<DomainIp> domain_ips;    // sorted by (domain, ip, day)
  std::vector<DomainVerdict> domains;  // sorted by domain id

  const IpDay* find(IpId ip, Day day) const;
  const DomainVerdict* domain(NameId name) const;
  // The threshold verdict of `ip_day` for `provider`, also on days the provider was absent
  // (then every name on the IP counts as not matching).
  Verdict threshold_for(const IpDay& ip_day, int32_t provider,
                        uint32_t* not_matching = nullptr) const;

  // Text for the stored reason columns, e.g. "3 registrable domains (a.com, b.com, ...)".
  std::string ip_reason(const Dataset& data, const IpDay& ip_day, Rule rule,
                        const IpProvider* provider = nullptr) const;
  // The names of other sites on the IP, by the source that linked them: "2 from passive DNS
  // (reverse): a.com, b.org; 1 from certificates: c.net" ("" when none, or names not kept).
  std::string other_names(const Dataset& data, const IpDay& ip_day) const;
  std::string domain_reason(const Dataset& data, const DomainVerdict& d, Rule rule) const;

  // The services of `data` that answered on some day of the window, sorted by (ip, port,
  // protocol), each once: what the footprint and the hitlist report per IP.
  std::vector<ServiceAt> window_services(const Dataset& data) const;

  // Per-day offsets into ip_days, for find().
  std::vector<uint64_t> day_begin;  // size last_day - first_day + 2
};

// How strong "dedicated" is on a day: of the addresses with a verdict (a provider present),
// how many passive DNS by address or a bulk forward-DNS data set covered (kAddressSources).
// Without such evidence only our own resolutions, provider-name passive DNS and certificates
// could show other sites on an address.
struct EvidenceCoverage {
  size_t addresses = 0;
  size_t with_evidence = 0;
};
EvidenceCoverage evidence_coverage(const Classification& cls, Day day);
// "12 of 40 verdict addresses (30.0%) had reverse or bulk evidence"; "no verdict addresses".
std::string coverage_str(const EvidenceCoverage& c);

// "host name (PTR): a, b, c, ..." for an address with PTR names (Dataset::ptr_names), else "".
// A PTR name is no served name (docs/backend-map.md) but tells a reader what the host is: a
// cloud VM's default name, a CDN edge's; the stored reasons end with it.
std::string ptr_hint(const Dataset& data, IpId ip);

// Classifies every IP and day in [first_day, last_day] and every domain over that window.
Classification classify(const Dataset& data, const ProviderLookup& lookup, Day first_day,
                        Day last_day, const ClassifyOptions& options = {},
                        const Psl& psl = Psl::system());

// The certificate fallback's test: `cert_names` is exactly {domain} or {"*." + parent} where
// the parent is not a public suffix. Exposed for tests.
bool certificate_identifies(const std::vector<std::string_view>& cert_names,
                            std::string_view domain, const Psl& psl = Psl::system());

}  // namespace iotmap::backend_map
