#include "backend_map/dataset.h"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace iotmap::backend_map {

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
  add(kAddressPdns, "pdns_reverse");
  add(kBulkDns, "bulk");
  return out;
}

std::optional<Source> parse_source(std::string_view text) {
  if (text == "active_dns") return kActiveDns;
  if (text == "pdns") return kPassiveDns;
  if (text == "cert") return kCertificate;
  if (text == "pdns_reverse") return kAddressPdns;
  if (text == "bulk") return kBulkDns;
  return std::nullopt;
}

const char* source_words(Source bit) {
  switch (bit) {
    case kActiveDns:
      return "active DNS";
    case kPassiveDns:
      return "passive DNS";
    case kCertificate:
      return "certificates";
    case kAddressPdns:
      return "passive DNS (reverse)";
    case kBulkDns:
      return "bulk forward DNS";
  }
  return "";
}

namespace {

uint64_t hash_bytes(const void* data, size_t n) {
  // FNV-1a over 8-byte words, then a finaliser: fast for short names and addresses.
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = 0xcbf29ce484222325ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, n - i);
  h = (h ^ tail) * 0x9E3779B97F4A7C15ull;
  h ^= h >> 32;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 29);
}

uint64_t hash_ip(const IpAddress& ip) {
  return hash_bytes(ip.bytes.data(), ip.v6 ? 16 : 4) ^ (ip.v6 ? 0x5bd1e995u : 0u);
}

// Finds `key`'s slot (its own or the empty one where it belongs) in a table of packed
// (hash >> 32, id + 1) slots; `same(id)` compares the stored key.
template <typename Same>
size_t probe(const std::vector<uint64_t>& slots, uint64_t h, Same&& same) {
  size_t m = slots.size() - 1;
  uint64_t tag = h >> 32;
  for (size_t i = size_t(h) & m;; i = (i + 1) & m) {
    uint64_t s = slots[i];
    if (s == 0) return i;
    if ((s >> 32) == tag && same(uint32_t(s & 0xFFFFFFFFu) - 1)) return i;
  }
}

template <typename HashOf>
void rehash(std::vector<uint64_t>& slots, size_t count, HashOf&& hash_of) {
  size_t cap = 1024;
  while (cap < count * 2 + 2) cap *= 2;
  slots.assign(cap, 0);
  for (uint32_t id = 0; id < count; ++id) {
    uint64_t h = hash_of(id);
    size_t i = probe(slots, h, [](uint32_t) { return false; });
    slots[i] = (h >> 32) << 32 | (uint64_t(id) + 1);
  }
}

}  // namespace

void StringTable::grow() {
  rehash(slots_, views_.size(),
         [&](uint32_t id) { return hash_bytes(views_[id].data(), views_[id].size()); });
}

size_t StringTable::slot_of(std::string_view s, uint64_t h) const {
  return probe(slots_, h, [&](uint32_t id) { return views_[id] == s; });
}

uint32_t StringTable::intern(std::string_view s) {
  if (slots_.empty()) grow();
  uint64_t h = hash_bytes(s.data(), s.size());
  size_t slot = slot_of(s, h);
  if (slots_[slot] != 0) return uint32_t(slots_[slot] & 0xFFFFFFFFu) - 1;
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
  auto id = static_cast<uint32_t>(views_.size());
  views_.push_back(std::string_view(p, s.size()));
  slots_[slot] = (h >> 32) << 32 | (uint64_t(id) + 1);
  if (views_.size() * 2 > slots_.size()) grow();
  return id;
}

uint32_t StringTable::find(std::string_view s) const {
  if (slots_.empty()) return kNone;
  size_t slot = slot_of(s, hash_bytes(s.data(), s.size()));
  return slots_[slot] == 0 ? kNone : uint32_t(slots_[slot] & 0xFFFFFFFFu) - 1;
}

bool names_a_site(std::string_view name) {
  if (name.starts_with("*.")) name.remove_prefix(2);
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos) return false;
  const std::string_view tld = name.substr(dot + 1);
  return tld != "invalid" && tld != "localhost";
}

IpId Dataset::ip(const IpAddress& address) {
  if (ip_slots_.empty())
    rehash(ip_slots_, ips.size(), [&](uint32_t id) { return hash_ip(ips[id]); });
  uint64_t h = hash_ip(address);
  size_t slot = probe(ip_slots_, h, [&](uint32_t id) { return ips[id] == address; });
  if (ip_slots_[slot] != 0) return uint32_t(ip_slots_[slot] & 0xFFFFFFFFu) - 1;
  auto id = static_cast<IpId>(ips.size());
  ips.push_back(address);
  ip_slots_[slot] = (h >> 32) << 32 | (uint64_t(id) + 1);
  if (ips.size() * 2 > ip_slots_.size())
    rehash(ip_slots_, ips.size(), [&](uint32_t i) { return hash_ip(ips[i]); });
  return id;
}

IpId Dataset::find_ip(const IpAddress& address) const {
  if (ip_slots_.empty()) return kNone;
  size_t slot = probe(ip_slots_, hash_ip(address), [&](uint32_t id) { return ips[id] == address; });
  return ip_slots_[slot] == 0 ? kNone : uint32_t(ip_slots_[slot] & 0xFFFFFFFFu) - 1;
}

void Dataset::observe(Day day, const IpAddress& address, std::string_view n, Source source) {
  if (NameId id = name(n); id != kNone)
    observations.push_back({day, ip(address), id, static_cast<uint8_t>(source)});
}

void Dataset::cname(Day day, std::string_view n, std::string_view target, uint8_t sources) {
  NameId from = name(n), to = name(target);
  if (from != kNone && to != kNone) cnames.push_back({day, from, to, sources});
}

void Dataset::resolution(Day day, const IpAddress& address, std::string_view n,
                         const std::vector<std::string>& chain, Source source) {
  NameId prev = name(n);
  if (prev == kNone) return;
  IpId id = ip(address);
  observations.push_back({day, id, prev, static_cast<uint8_t>(source)});
  for (const auto& target : chain) {
    NameId t = name(target);
    if (t == kNone) break;  // the chain goes on through no name: its rest says nothing
    if (t == prev) continue;
    cnames.push_back({day, prev, t, static_cast<uint8_t>(source)});
    observations.push_back({day, id, t, static_cast<uint8_t>(source)});
    prev = t;
  }
}

void Dataset::certificate(Day day, const IpAddress& address, uint16_t port,
                          std::string_view fingerprint,
                          const std::vector<std::string>& cert_names) {
  auto [it, inserted] =
      cert_index_.try_emplace(std::string(fingerprint), static_cast<uint32_t>(certs.size()));
  if (inserted) {
    Certificate c;
    c.fingerprint = std::string(fingerprint);
    for (const auto& n : cert_names) {
      // Names that can name no site are not interned: nothing else refers to them.
      auto norm = map_name(n);
      if (norm && names_a_site(*norm)) c.names.push_back(names.intern(*norm));
    }
    std::sort(c.names.begin(), c.names.end());
    c.names.erase(std::unique(c.names.begin(), c.names.end()), c.names.end());
    certs.push_back(std::move(c));
  }
  IpId id = ip(address);
  cert_sightings.push_back({day, id, it->second, port});
  for (NameId n : certs[it->second].names) observations.push_back({day, id, n, kCertificate});
}

void Dataset::ptr(const IpAddress& address, std::string_view ptr_name) {
  NameId n = name(ptr_name);
  if (n == kNone) return;
  auto& names_of = ptr_names[ip(address)];
  if (std::find(names_of.begin(), names_of.end(), n) == names_of.end()) names_of.push_back(n);
}

std::vector<std::string_view> Dataset::ptr_of(IpId address) const {
  std::vector<std::string_view> out;
  if (auto it = ptr_names.find(address); it != ptr_names.end())
    for (NameId n : it->second) out.push_back(names[n]);
  std::sort(out.begin(), out.end());
  return out;
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
