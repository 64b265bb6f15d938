// The names in a certificate, attributed to IoT backend providers and device services, with
// the certificate post-filters of the IMC'22 authors.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "certs/certificate.h"
#include "config/cert_filters.h"

namespace iotmap::config {
class Catalogue;
}

namespace iotmap::certs {

struct NameMatch {
  std::string name;      // as names() gives it: lowercase, no trailing dot, wildcard kept
  std::string provider;  // provider or device-service id ("aws", "foscam")
  std::string region;    // region code, empty when the name has none
  bool device = false;   // a device service rather than a backend provider
};

// What a matcher says about one name: nullopt when it belongs to no one.
struct ProviderHit {
  std::string id;
  std::string region;
  bool device = false;
};
// Called with a name in FQDN form ("*.iot.eu-west-1.amazonaws.com."), wildcard label kept.
using NameMatcher = std::function<std::optional<ProviderHit>(std::string_view fqdn)>;

// The authors' certificate post-filters live in config/cert_filters.h (one place for the
// scanner and the backend map).
using config::CertNameFilter;
using config::default_cert_name_filters;
using config::passes_cert_filters;

// Every name of names(c) that is a domain name (a leading "*." allowed), in that order, that the
// matcher attributes and the filters keep. Device-service matches are not filtered.
std::vector<NameMatch> match_names(
    const Certificate& c, const NameMatcher& matcher,
    const std::vector<CertNameFilter>& filters = default_cert_name_filters());

// The catalogue as a NameMatcher (it keeps its own handle on the catalogue's data).
NameMatcher catalogue_matcher(const config::Catalogue& catalogue);
std::vector<NameMatch> match_names(
    const Certificate& c, const config::Catalogue& catalogue,
    const std::vector<CertNameFilter>& filters = default_cert_name_filters());

}  // namespace iotmap::certs
