// What the backend map needs to know about providers, as plain data: a table of providers
// (id, name, ASes, regions, documented ports) and a lookup telling which provider and region a
// name belongs to. The commands fill both from the catalogue (config/catalogue.h); tests and
// the benchmark build them by hand.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace iotmap::backend_map {

struct Region {
  std::string code;  // "us-east-1"
  std::string city;
  std::string country;  // ISO 3166 alpha-2
  double lat = 0, lon = 0;
};

struct PortProtocol {
  uint16_t port = 0;
  std::string protocol;  // mqtt|https|amqp|coap|...
};

struct Provider {
  std::string id;              // stable key, e.g. "aws"
  std::string name;            // "Amazon AWS"
  std::vector<uint32_t> asns;  // ASes the provider itself runs (DI)
  std::vector<Region> regions;
  std::vector<PortProtocol> ports;  // documented ports, used when no scan saw the service
  std::string level = "backend";    // backend | platform | manufacturer | product
  std::vector<std::string> registrable_domains{};  // the provider's own ("azure-devices.net")
};

// Result of matching one name: indexes into the provider table and its regions; -1 for none.
struct NameMatch {
  int32_t provider = -1;
  int32_t region = -1;
  bool primary = true;     // device services: a primary domain (false: a support domain)
  std::string entry = {};  // device services: the catalogue entry matched (config::Match::entry)
  // False when the authors' certificate post-filters (config/cert_filters.h) reject the name:
  // then a certificate naming it does not attribute an address to the provider (the name
  // still belongs to the provider when DNS links it to the address).
  bool cert_attributes = true;
};

// Called once per distinct name (normalised: lowercase, no trailing dot).
using ProviderLookup = std::function<NameMatch(std::string_view name)>;

}  // namespace iotmap::backend_map
