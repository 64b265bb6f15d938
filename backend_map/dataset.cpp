#include "backend_map/dataset.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace iotmap::backend_map {

std::optional<Day> parse_day(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto num = [&](size_t from, size_t len) -> int {
    int v = 0;
    for (size_t i = from; i < from + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return -1;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  int y = num(0, 4), m = num(5, 2), d = num(8, 2);
  if (y < 0 || m < 0 || d < 0) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                  std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<Day>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

std::string day_str(Day day) {
  std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", int(ymd.year()), unsigned(ymd.month()),
                unsigned(ymd.day()));
  return buf;
}

Day day_of(int64_t unix_seconds) {
  int64_t d = unix_seconds / 86400;
  if (unix_seconds % 86400 < 0) --d;
  return static_cast<Day>(d);
}

std::string sources_str(uint8_t mask) {
  std::string out;
  auto add = [&](uint8_t bit, const char* text) {
    if (!(mask & bit)) return;
    if (!out.empty()) out += '+';
    out += text;
  };
  add(kActiveDns, "active_dns");
  add(kPassiveDns, "pdns");
  add(kCertificate, "cert");
  return out;
}

std::optional<Source> parse_source(std::string_view text) {
  if (text == "active_dns") return kActiveDns;
  if (text == "pdns") return kPassiveDns;
  if (text == "cert") return kCertificate;
  return std::nullopt;
}

uint32_t StringTable::intern(std::string_view s) {
  if (auto it = index_.find(s); it != index_.end()) return it->second;
  size_t need = s.size() + 1;
  if (block_used_ + need > block_size_) {
    block_size_ = std::max<size_t>(1 << 20, need);
    blocks_.push_back(std::make_unique<char[]>(block_size_));
    block_used_ = 0;
  }
  char* p = blocks_.back().get() + block_used_;
  std::memcpy(p, s.data(), s.size());
  p[s.size()] = '\0';
  block_used_ += need;
  std::string_view stored(p, s.size());
  auto id = static_cast<uint32_t>(views_.size());
  views_.push_back(stored);
  index_.emplace(stored, id);
  return id;
}

uint32_t StringTable::find(std::string_view s) const {
  auto it = index_.find(s);
  return it == index_.end() ? kNone : it->second;
}

std::string normalize_name(std::string_view name) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

size_t Dataset::IpHash::operator()(const IpAddress& ip) const noexcept {
  uint64_t a, b;
  std::memcpy(&a, ip.bytes.data(), 8);
  std::memcpy(&b, ip.bytes.data() + 8, 8);
  uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 32;
  return static_cast<size_t>(h ^ (ip.v6 ? 0x5bd1e995u : 0u));
}

IpId Dataset::ip(const IpAddress& address) {
  auto [it, inserted] = ip_index_.try_emplace(address, static_cast<IpId>(ips.size()));
  if (inserted) ips.push_back(address);
  return it->second;
}

IpId Dataset::find_ip(const IpAddress& address) const {
  auto it = ip_index_.find(address);
  return it == ip_index_.end() ? kNone : it->second;
}

void Dataset::observe(Day day, const IpAddress& address, std::string_view n, Source source) {
  observations.push_back({day, ip(address), name(n), static_cast<uint8_t>(source)});
}

void Dataset::cname(Day day, std::string_view n, std::string_view target) {
  cnames.push_back({day, name(n), name(target)});
}

void Dataset::resolution(Day day, const IpAddress& address, std::string_view n,
                         const std::vector<std::string>& chain, Source source) {
  IpId id = ip(address);
  NameId prev = name(n);
  observations.push_back({day, id, prev, static_cast<uint8_t>(source)});
  for (const auto& target : chain) {
    NameId t = name(target);
    if (t == prev) continue;
    cnames.push_back({day, prev, t});
    observations.push_back({day, id, t, static_cast<uint8_t>(source)});
    prev = t;
  }
}

void Dataset::certificate(Day day, const IpAddress& address, uint16_t port,
                          std::string_view fingerprint, const std::vector<std::string>& cert_names) {
  auto [it, inserted] =
      cert_index_.try_emplace(std::string(fingerprint), static_cast<uint32_t>(certs.size()));
  if (inserted) {
    Certificate c;
    c.fingerprint = std::string(fingerprint);
    for (const auto& n : cert_names) {
      auto norm = normalize_name(n);
      if (!norm.empty()) c.names.push_back(names.intern(norm));
    }
    std::sort(c.names.begin(), c.names.end());
    c.names.erase(std::unique(c.names.begin(), c.names.end()), c.names.end());
    certs.push_back(std::move(c));
  }
  IpId id = ip(address);
  cert_sightings.push_back({day, id, it->second, port});
  for (NameId n : certs[it->second].names) observations.push_back({day, id, n, kCertificate});
}

void Dataset::service(Day day, const IpAddress& address, uint16_t port, std::string_view protocol,
                      bool ok) {
  uint8_t proto = 0;
  auto found = std::find(protocols.begin(), protocols.end(), protocol);
  if (found == protocols.end()) {
    protocols.emplace_back(protocol);
    proto = static_cast<uint8_t>(protocols.size() - 1);
  } else {
    proto = static_cast<uint8_t>(found - protocols.begin());
  }
  services.push_back({day, ip(address), port, proto, ok});
}

}  // namespace iotmap::backend_map
