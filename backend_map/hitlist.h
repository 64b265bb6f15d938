// The daily hitlist that traffic detectors load (docs/method.md section 5) and its renderers. Pure:
// rows are built from a Classification, and renderers return strings; the command writes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backend_map/classify.h"
#include "backend_map/provider.h"

namespace iotmap::backend_map {

struct HitlistOptions {
  Day date = 0;
  Rule rule = Rule::kExclusive;  // which verdict decides "dedicated"
  bool include_shared = false;   // also shared and unknown domains
};

struct HitlistRow {
  Day date = 0;
  int32_t provider = -1;
  NameId domain = 0;
  IpId ip = 0;
  uint16_t port = 0;  // 0 when neither a scan nor the catalogue gives one
  std::string protocol;
  Verdict infrastructure = Verdict::kUnknown;
  uint8_t sources = 0;
  Day first_seen = 0, last_seen = 0;  // within the window
  bool primary = true;                // domain class: primary or support
  // The catalogue entry the domain counts under in N (catalogue_entry); "" for the domain itself.
  std::string entry;
};

// One row per provider, domain, IP and port. Ports are those that answered a scan in the window;
// for an IP no scan reached, the provider's documented ports. In sort_hitlist's order.
std::vector<HitlistRow> build_hitlist(const Dataset& data, const Classification& cls,
                                      const std::vector<Provider>& providers,
                                      const HitlistOptions& options);

// The hitlist's one order, whoever writes it (classify, `export hitlist` from stored text):
// provider id, domain, IP (every IPv4 address before any IPv6 one, each family by numeric
// value, not by text), port, protocol. Rows with the same key are kept once.
void sort_hitlist(const Dataset& data, const std::vector<Provider>& providers,
                  std::vector<HitlistRow>& rows);

// The detection rule consumers apply (002 section 4.3 / 003 chapter 5): a line is flagged when
// it contacts IP/port pairs of at least max(1, floor(D x N)) of a service's N domains, at least
// one of them primary.
struct DetectionRule {
  double d = 0.4;
  static uint32_t threshold(double d, uint32_t n);
};

// Renderers. Column order: date,provider,domain,ip,port,protocol,infrastructure,sources,
// first_seen,last_seen. Providers are shown by their id.
std::string hitlist_csv(const Dataset& data, const std::vector<Provider>& providers,
                        const std::vector<HitlistRow>& rows);
std::string hitlist_jsonl(const Dataset& data, const std::vector<Provider>& providers,
                          const std::vector<HitlistRow>& rows);
// Per provider: the domain set and the IP/port set for the detection rule, with D, N and the
// threshold. N counts catalogue entries, not names: each domain names its entry. One JSON
// document, "version": 2 (version 1, without the key, counted names).
std::string hitlist_rules(const Dataset& data, const std::vector<Provider>& providers,
                          const std::vector<HitlistRow>& rows, Day date, Rule rule,
                          const DetectionRule& detection = {});

}  // namespace iotmap::backend_map
