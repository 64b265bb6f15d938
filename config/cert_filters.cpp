#include "config/cert_filters.h"

namespace iotmap::config {

const std::vector<CertNameFilter>& default_cert_name_filters() {
  // From the "certificate names" post-filters in the reference README; see cert_filters.h.
  static const std::vector<CertNameFilter> filters{
      {"sap", {}, {"sapns2"}},
      {"aws", {"*.iot"}, {}},
      {"bosch", {"bosch-iot-hub.com"}, {}},
      {"siemens", {"cn1.mindsphere-in.cn", "eu1.mindsphere.io", "eu2.mindsphere.io"}, {}},
  };
  return filters;
}

bool passes_cert_filters(std::string_view provider, std::string_view name,
                         const std::vector<CertNameFilter>& filters) {
  auto contains = [&](const std::string& s) { return name.find(s) != std::string_view::npos; };
  for (const auto& f : filters) {
    if (f.provider != provider) continue;
    for (const auto& s : f.drop_if_contains)
      if (contains(s)) return false;
    if (f.keep_if_contains.empty()) continue;
    bool kept = false;
    for (const auto& s : f.keep_if_contains) kept = kept || contains(s);
    if (!kept) return false;
  }
  return true;
}

}  // namespace iotmap::config
