// The cloud and CDN autonomous systems that make an address "public cloud or CDN" (PR) in a
// provider's footprint when it is not in one of the provider's own ASes (DI); an address in
// neither (transit, hosting, access networks) is "other" (docs/backend-map.md, Footprint).
// The list is data: backend_map/cloud_ases.csv, compiled in, replaced by `[sources] cloud_ases`.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "backend_map/pfx2as.h"

namespace iotmap::backend_map {

struct CloudAs {
  uint32_t asn = 0;
  std::string kind;       // "cloud" or "cdn"
  std::string operator_;  // who runs it, as the AS registry names the organisation
};

// Lines "asn,kind,operator"; blank lines and '#' comments skipped. A malformed line (no ASN,
// a kind other than cloud or cdn) is reported with "origin:line" and skipped. Sorted by ASN.
std::vector<CloudAs> read_cloud_ases(std::istream& in, const std::string& origin,
                                     std::vector<ParseIssue>& issues);
// The compiled-in list (backend_map/cloud_ases.csv).
const std::vector<CloudAs>& embedded_cloud_ases();
// Whether `asn` is in `list` (sorted by ASN).
bool is_cloud_as(const std::vector<CloudAs>& list, uint32_t asn);

}  // namespace iotmap::backend_map
