// The detection rules a consumer of the hitlist applies to flow records (docs/detect.md):
// Haystack's (a service is detected behind a line when the line reached IP/port pairs of at
// least max(1, floor(D x N)) of the service's N dedicated domains, one of them primary),
// Guo & Heidemann's for device services (2/3 of the server names, 1/2 above 20), the backend
// study's activity rule for backend providers (any dedicated endpoint) and its scanner
// exclusion (a source reaching >= 100 hitlist addresses in a day is a scanner, not a household).
// The level hierarchy: a service with a parent is reported only where its parent is.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/net.h"

namespace iotmap::detect {

// Haystack: max(1, floor(D x N)). The product is nudged up by 1e-9 so that 0.7 x 10, which is
// 6.999... in binary, counts as 7 (the paper's arithmetic, not the float's).
uint32_t haystack_threshold(double d, uint32_t n);
// Guo & Heidemann: at least 2/3 of N names (rounded up) for N <= 20, 1/2 (rounded up) above.
uint32_t guo_heidemann_threshold(uint32_t n);

enum class DeviceRule { kHaystack, kGuoHeidemann };
std::optional<DeviceRule> parse_device_rule(std::string_view text);
std::string_view device_rule_str(DeviceRule r);

// IP protocol numbers of the transports a hitlist's application protocols run on.
inline constexpr uint8_t kTcp = 6, kUdp = 17;
// "coap" runs on UDP (DTLS); every other protocol of the catalogue on TCP.
uint8_t transport_of(std::string_view app_protocol);

struct Service {
  std::string id;
  std::string level;   // backend | platform | manufacturer | product
  std::string parent;  // id of the service this one is reported under; "" for none
  // The N domains: catalogue entries, not resolved names. Every name one catalogue pattern
  // matches (command-2 and command-9.amcrestcloud.com) is one domain, as Guo & Heidemann and
  // Haystack count them; else the threshold would grow with the servers DNS happens to find.
  std::vector<std::string> domains;
  std::vector<bool> primary;  // per domain
};

// One day's hitlist, indexed by (address, port, transport) for the flow matcher.
class Hitlist {
 public:
  struct Hit {
    uint32_t service = 0;
    uint32_t domain = 0;  // index into Service::domains
  };
  // `domain`: the name's catalogue entry (backend_map::catalogue_entry). Rows with port 0 (no
  // port known) cannot be matched and are not added: returns false.
  bool add(const std::string& service, const std::string& level, const std::string& domain,
           bool primary, const IpAddress& ip, uint16_t port, uint8_t transport);
  // Sets the parent of every service named in `parents` (service id -> parent id).
  void set_parents(const std::map<std::string, std::string>& parents);
  std::span<const Hit> find(const IpAddress& ip, uint16_t port, uint8_t transport) const;
  const std::vector<Service>& services() const { return services_; }
  size_t endpoints() const { return index_.size(); }

 private:
  struct Key {
    IpAddress ip;
    uint16_t port = 0;
    uint8_t transport = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  std::vector<Service> services_;
  std::unordered_map<std::string, uint32_t> service_ids_;
  std::vector<std::unordered_map<std::string, uint32_t>> domain_ids_;
  std::unordered_map<Key, std::vector<Hit>, KeyHash> index_;
};

}  // namespace iotmap::detect
