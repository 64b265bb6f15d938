#include "resolver/ptr.h"

#include <algorithm>

namespace iotmap::resolver {

std::string reverse_name(const IpAddress& ip) {
  std::string out;
  if (!ip.v6) {
    for (int i = 3; i >= 0; --i) out += std::to_string(ip.bytes[size_t(i)]) + ".";
    return out + "in-addr.arpa";
  }
  static const char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out += kHex[ip.bytes[size_t(i)] & 0xf];
    out += '.';
    out += kHex[ip.bytes[size_t(i)] >> 4];
    out += '.';
  }
  return out + "ip6.arpa";
}

PtrTargets ptr_targets(const std::vector<std::string>& candidate_addresses,
                       const std::function<bool(const IpAddress&)>& blocked) {
  PtrTargets out;
  std::vector<IpAddress> ips;
  for (const auto& text : candidate_addresses) {
    auto ip = IpAddress::parse(text);
    if (!ip) {
      ++out.unreadable;
      continue;
    }
    ips.push_back(*ip);
  }
  std::sort(ips.begin(), ips.end());
  ips.erase(std::unique(ips.begin(), ips.end()), ips.end());
  for (const auto& ip : ips) {
    if (blocked && blocked(ip)) {
      ++out.blocked;
      continue;
    }
    out.names.push_back(reverse_name(ip));
    out.ips.push_back(ip);
  }
  return out;
}

std::vector<db::AddressNameRow> ptr_rows(const Result& r, const IpAddress& ip, int64_t now) {
  std::vector<db::AddressNameRow> rows;
  if (r.status != Status::kAnswer) return rows;
  for (const auto& name : r.ptr_names)
    rows.push_back({ip.str(), name + ".", "PTR", "", now, now, "ptr", r.vantage});
  return rows;
}

}  // namespace iotmap::resolver
