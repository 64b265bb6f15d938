#include "certs/providers.h"

#include "certs/names.h"
#include "config/catalogue.h"

namespace iotmap::certs {

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
