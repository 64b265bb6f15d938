// The provider catalogue: the 16 IoT backend providers and the IoT device services that iotmap
// maps, with their domain patterns, regions, ports and ASNs. The catalogue is data
// (config/catalogue.toml, compiled into the binary; `[catalogue] file = ...` replaces it) and is
// validated when loaded: errors name file, line and key. Format and matching rules:
// docs/catalogue.md.
//
// Matching is pure and thread-safe: one RE2::Set holds every pattern, so a name is checked
// against all of them in one linear-time pass. A Catalogue is a cheap handle on immutable data
// (copies share it); pointers it hands out (Region, Provider) stay valid while any copy lives.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace iotmap::config {

struct Region {
  std::string code;  // the provider's region code as it appears in names: "eu-west-1"
  std::string city;
  std::string country;  // ISO 3166-1 alpha-2
  double latitude = 0;
  double longitude = 0;
  bool approximate = false;  // the provider does not document the city; a best estimate
};

struct PortSpec {
  uint16_t port = 0;
  std::string protocol;  // "mqtt", "https", "http", "amqp", "coap" (UDP), "cisco-tcp", "opcua"
  bool tls = false;      // TLS (DTLS for coap)
  std::string alpn;      // ALPN the server requires on this port, e.g. "x-amzn-mqtt-ca"
};

// Post-filters of one pattern: a name matched by the pattern is kept only if it matches every
// `require` regex and no `exclude` regex (unanchored searches over the normalised name).
struct PatternFilter {
  std::vector<std::string> require;
  std::vector<std::string> exclude;
};

struct Provider {
  std::string id;           // short and stable: "aws"
  std::string name;         // display name
  bool historical = false;  // the service is retired (Google Cloud IoT Core, 2023)
  // RE2 patterns, matched against the whole normalised name (lowercase, trailing dot). A
  // capture group named `region` yields the region code; without one, a label equal to one of
  // `regions` does.
  std::vector<std::string> patterns;
  std::vector<PatternFilter> filters;       // filters[i] belongs to patterns[i]
  std::vector<std::string> name_templates;  // "iot.{region}.amazonaws.com.", one per region
  std::vector<std::string> fixed_names;     // "mqtt.googleapis.com."
  std::vector<std::string> registrable_domains;
  std::vector<std::string> docs;  // documentation links
  std::vector<Region> regions;
  std::vector<PortSpec> ports;
  std::vector<uint32_t> asns;  // ASes the provider itself operates (empty: it uses others')
};

struct DeviceService {
  std::string id, name;
  // The company or product family; services of one brand (its regions, its product lines)
  // share it. Defaults to `name`.
  std::string brand;
  std::string level;  // "platform", "manufacturer" or "product"
  // The service this one is detected under (docs/detect.md, the level hierarchy): "" for none.
  std::string parent;
  struct Domain {
    std::string name;     // as written in the catalogue: "command-2.amcrestcloud.com"
    std::string pattern;  // RE2, derived from name unless given explicitly
    bool primary = true;  // registered to the manufacturer/operator; false: a support service
    // The domain as one of the service's N domains (docs/detect.md): every name the pattern
    // matches counts as this one entry. The name, lowercase with a trailing dot, with each run
    // of digits that digit_wildcard leaves open shown as '#' ("command-#.amcrestcloud.com.").
    std::string entry;
  };
  std::vector<Domain> domains;
  std::vector<PortSpec> ports;
  std::vector<std::string> docs;  // where the domains and ports are documented
};

struct Match {
  enum class Kind { provider, device } kind = Kind::provider;
  std::string id;                       // provider or device-service id
  std::string name;                     // its display name
  std::string region;                   // region code, empty if none
  const Region* region_info = nullptr;  // null when the region is unknown or absent
  bool primary = true;  // devices: primary or support domain; always true for providers
  std::string domain;   // devices: the catalogue domain that matched
  std::string entry;    // devices: that domain's entry (DeviceService::Domain::entry)
};

class Catalogue {
 public:
  // The catalogue compiled into the binary (config/catalogue.toml).
  static Catalogue embedded();
  static Catalogue from_file(const std::string& path);
  // `origin` names the text in errors ("<embedded catalogue>", a file name).
  static Catalogue from_text(std::string_view text, const std::string& origin);
  // The file from `[catalogue] file`, else the embedded catalogue. Throws ConfigError.
  static Catalogue load(const Config& config);

  const std::vector<Provider>& providers() const;
  const std::vector<DeviceService>& services() const;
  const Provider* provider(std::string_view id) const;
  const DeviceService* service(std::string_view id) const;

  // The provider or device service of `name`, or nullopt. Names are normalised first (see
  // normalise_name); invalid names never match. Providers are tried before device services,
  // and within each in catalogue order.
  std::optional<Match> match(std::string_view name) const;

  // Names to resolve: every provider's fixed names and name templates expanded for each of its
  // regions, then every device domain name without a wildcard; normalised, de-duplicated, in
  // catalogue order.
  std::vector<std::string> candidate_names() const;

  struct Data;

 private:
  explicit Catalogue(std::shared_ptr<const Data> d) : d_(std::move(d)) {}
  std::shared_ptr<const Data> d_;
};

}  // namespace iotmap::config
