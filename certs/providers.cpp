#include "certs/providers.h"

#include "certs/names.h"
#include "config/catalogue.h"

namespace iotmap::certs {

const std::vector<CertNameFilter>& default_cert_name_filters() {
  // From the "certificate names" post-filters in the reference README; see providers.h.
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

std::vector<NameMatch> match_names(const Certificate& c, const NameMatcher& matcher,
                                   const std::vector<CertNameFilter>& filters) {
  std::vector<NameMatch> out;
  for (const auto& name : names(c)) {
    std::string_view bare = name;
    if (bare.starts_with("*.")) bare.remove_prefix(2);
    if (!is_domain_name(bare)) continue;
    auto hit = matcher(name + ".");
    if (!hit) continue;
    if (!hit->device && !passes_cert_filters(hit->id, name, filters)) continue;
    out.push_back({name, hit->id, hit->region, hit->device});
  }
  return out;
}

NameMatcher catalogue_matcher(const config::Catalogue& catalogue) {
  return [catalogue](std::string_view fqdn) -> std::optional<ProviderHit> {
    auto m = catalogue.match(fqdn);
    if (!m) return std::nullopt;
    return ProviderHit{m->id, m->region, m->kind == config::Match::Kind::device};
  };
}

std::vector<NameMatch> match_names(const Certificate& c, const config::Catalogue& catalogue,
                                   const std::vector<CertNameFilter>& filters) {
  return match_names(c, catalogue_matcher(catalogue), filters);
}

}  // namespace iotmap::certs
