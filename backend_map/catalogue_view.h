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

}  // namespace iotmap::backend_map
