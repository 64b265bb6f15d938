// The catalogue (config/catalogue.h) as the backend map's plain provider table and lookup:
// backend providers first, in catalogue order, then the device services (their level and
// primary/support domains carried along), so that one table serves the footprint and the
// hitlist.
#pragma once

#include <string>
#include <vector>

#include "backend_map/provider.h"
#include "config/catalogue.h"

namespace iotmap::backend_map {

struct CatalogueView {
  std::vector<Provider> providers;
  ProviderLookup lookup;  // holds a copy of the catalogue handle
  // Index of a provider or device service by id; -1 when unknown.
  int32_t index(std::string_view id) const;
};

CatalogueView view_of(const config::Catalogue& catalogue);

// What a hitlist name of `provider` counts as among the service's N domains (docs/detect.md):
// the catalogue entry of the device-service domain it matches, so that every name one pattern
// matches ("command-#.amcrestcloud.com.") is one domain; else the name itself (backend names,
// a name the catalogue no longer gives to that service).
std::string catalogue_entry(const CatalogueView& view, std::string_view provider,
                            const std::string& name);

}  // namespace iotmap::backend_map
