#include "detect/rules.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace iotmap::detect {

uint32_t haystack_threshold(double d, uint32_t n) {
  auto t = static_cast<uint32_t>(std::floor(d * double(n) + 1e-9));
  return std::max<uint32_t>(1, t);
}

uint32_t guo_heidemann_threshold(uint32_t n) {
  // ceil(2n/3) and ceil(n/2) in integers: 14 of 20 names, 11 of 21.
  return std::max<uint32_t>(1, n <= 20 ? (2 * n + 2) / 3 : (n + 1) / 2);
}

std::optional<DeviceRule> parse_device_rule(std::string_view text) {
  if (text == "haystack") return DeviceRule::kHaystack;
  if (text == "guo-heidemann") return DeviceRule::kGuoHeidemann;
  return std::nullopt;
}

std::string_view device_rule_str(DeviceRule r) {
  return r == DeviceRule::kHaystack ? "haystack" : "guo-heidemann";
}

uint8_t transport_of(std::string_view app_protocol) { return app_protocol == "coap" ? kUdp : kTcp; }

size_t Hitlist::KeyHash::operator()(const Key& k) const {
  uint64_t a = 0, b = 0;
  std::memcpy(&a, k.ip.bytes.data(), 8);
  std::memcpy(&b, k.ip.bytes.data() + 8, 8);
  uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ ((b + 0x632BE59BD9B4E019ULL) * 0xFF51AFD7ED558CCDULL);
  h ^= (uint64_t{k.port} << 8 | k.transport) * 0xC2B2AE3D27D4EB4FULL;
  return static_cast<size_t>(h ^ (h >> 29));
}

bool Hitlist::add(const std::string& service, const std::string& level, const std::string& domain,
                  bool primary, const IpAddress& ip, uint16_t port, uint8_t transport) {
  if (port == 0) return false;
  auto [it, fresh] = service_ids_.try_emplace(service, uint32_t(services_.size()));
  if (fresh) {
    services_.emplace_back();
    services_.back().id = service;
    services_.back().level = level;
    domain_ids_.emplace_back();
  }
  const uint32_t s = it->second;
  auto [d, new_domain] = domain_ids_[s].try_emplace(domain, uint32_t(services_[s].domains.size()));
  if (new_domain) {
    services_[s].domains.push_back(domain);
    services_[s].primary.push_back(primary);
  }
  auto& hits = index_[Key{ip, port, transport}];
  Hit hit{s, d->second};
  for (const auto& h : hits)
    if (h.service == hit.service && h.domain == hit.domain) return true;
  hits.push_back(hit);
  return true;
}

void Hitlist::set_parents(const std::map<std::string, std::string>& parents) {
  for (auto& s : services_)
    if (auto p = parents.find(s.id); p != parents.end()) s.parent = p->second;
}

std::span<const Hitlist::Hit> Hitlist::find(const IpAddress& ip, uint16_t port,
                                            uint8_t transport) const {
  auto it = index_.find(Key{ip, port, transport});
  if (it == index_.end()) return {};
  return it->second;
}

}  // namespace iotmap::detect
