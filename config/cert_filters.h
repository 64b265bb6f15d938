// The certificate post-filters of the IMC'22 authors: which certificate names may attribute
// something to a provider. Used by the scanner's record of a certificate (certs/providers.h)
// and by the backend map when a certificate name is the only link between an address and a
// provider (backend_map/catalogue_view.h); this is their one place.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace iotmap::config {

// Per provider: a matched certificate name is kept only if it contains one of `keep_if_contains`
// (when that list is not empty) and none of `drop_if_contains`.
struct CertNameFilter {
  std::string provider;
  std::vector<std::string> keep_if_contains;
  std::vector<std::string> drop_if_contains;
};

// The authors' certificate post-filters (reference README,
// tests/data/imc22-iot-backend-patterns/README.md): SAP drop "sapns2", AWS keep only
// "*.iot", Bosch keep only "bosch-iot-hub.com", Siemens keep only cn1.mindsphere-in.cn,
// eu1.mindsphere.io and eu2.mindsphere.io. Keyed by the catalogue's provider ids.
const std::vector<CertNameFilter>& default_cert_name_filters();

// `name` as the certificate writes it (lowercase, no trailing dot, wildcard label kept).
bool passes_cert_filters(std::string_view provider, std::string_view name,
                         const std::vector<CertNameFilter>& filters = default_cert_name_filters());

}  // namespace iotmap::config
