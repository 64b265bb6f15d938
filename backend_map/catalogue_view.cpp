#include "backend_map/catalogue_view.h"

#include <memory>
#include <unordered_map>

#include "config/cert_filters.h"

namespace iotmap::backend_map {

namespace {

std::vector<PortProtocol> ports_of(const std::vector<config::PortSpec>& specs) {
  std::vector<PortProtocol> out;
  for (const auto& p : specs) out.push_back({p.port, p.protocol});
  return out;
}

}  // namespace

int32_t CatalogueView::index(std::string_view id) const {
  for (size_t i = 0; i < providers.size(); ++i)
    if (providers[i].id == id) return int32_t(i);
  return -1;
}

CatalogueView view_of(const config::Catalogue& catalogue) {
  CatalogueView v;
  auto ids = std::make_shared<std::unordered_map<std::string, int32_t>>();
  for (const auto& p : catalogue.providers()) {
    Provider out;
    out.id = p.id;
    out.name = p.name;
    out.asns = p.asns;
    for (const auto& r : p.regions)
      out.regions.push_back({r.code, r.city, r.country, r.latitude, r.longitude});
    out.ports = ports_of(p.ports);
    out.registrable_domains = p.registrable_domains;
    (*ids)[p.id] = int32_t(v.providers.size());
    v.providers.push_back(std::move(out));
  }
  for (const auto& s : catalogue.services()) {
    Provider out;
    out.id = s.id;
    out.name = s.name;
    out.level = s.level;
    out.ports = ports_of(s.ports);
    if (!ids->count(s.id)) (*ids)[s.id] = int32_t(v.providers.size());
    v.providers.push_back(std::move(out));
  }
  auto providers = std::make_shared<std::vector<Provider>>(v.providers);
  v.lookup = [catalogue, ids, providers](std::string_view name) -> NameMatch {
    auto m = catalogue.match(name);
    if (!m) return {};
    auto it = ids->find(m->id);
    if (it == ids->end()) return {};
    NameMatch out;
    out.provider = it->second;
    out.primary = m->primary;
    out.entry = m->entry;
    if (m->kind != config::Match::Kind::device)
      out.cert_attributes = config::passes_cert_filters(m->id, name);
    if (!m->region.empty()) {
      const auto& regions = (*providers)[size_t(it->second)].regions;
      for (size_t i = 0; i < regions.size(); ++i)
        if (regions[i].code == m->region) out.region = int32_t(i);
    }
    return out;
  };
  return v;
}

std::string catalogue_entry(const CatalogueView& view, std::string_view provider,
                            const std::string& name) {
  NameMatch m = view.lookup ? view.lookup(name) : NameMatch{};
  if (m.entry.empty() || view.index(provider) != m.provider) return name;
  return m.entry;
}

}  // namespace iotmap::backend_map
