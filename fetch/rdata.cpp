#include "fetch/rdata.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "lib/text.h"

namespace iotmap::fetch {

namespace {

std::string network_query(const IpAddress& ip) {
  const int length = ip.v6 ? 64 : 24;
  return mask(ip, length).str() + "," + std::to_string(length);
}

std::optional<int64_t> number(std::string_view text) {
  text = trim(text);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

std::optional<int64_t> json_number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  return std::nullopt;  // "unlimited", "n/a"
}

}  // namespace

std::vector<RdataTarget> plan_rdata_lookups(std::vector<IpAddress> addresses) {
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  std::map<std::string, std::vector<IpAddress>> by_network;
  for (const auto& ip : addresses) by_network[network_query(ip)].push_back(ip);
  std::vector<RdataTarget> out;
  for (auto& [net, ips] : by_network) {
    if (ips.size() >= 2) {
      out.push_back({net, ips});
      continue;
    }
    out.push_back({ips[0].str(), ips});
  }
  std::sort(out.begin(), out.end(),
            [](const RdataTarget& a, const RdataTarget& b) { return a.query < b.query; });
  return out;
}

std::vector<RdataTarget> without_covered(const std::vector<RdataTarget>& plan,
                                         const std::vector<std::string>& covered) {
  std::vector<RdataTarget> out;
  for (const auto& t : plan) {
    std::vector<IpAddress> left;
    for (const auto& ip : t.addresses)
      if (std::find(covered.begin(), covered.end(), ip.str()) == covered.end() &&
          std::find(covered.begin(), covered.end(), network_query(ip)) == covered.end())
        left.push_back(ip);
    if (left.empty()) continue;
    if (left.size() == t.addresses.size())
      out.push_back(t);
    else
      for (auto& r : plan_rdata_lookups(left)) out.push_back(std::move(r));
  }
  return out;
}

Quota parse_rate_limit_json(std::string_view body) {
  Quota q;
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return q;
  auto rate = doc.find("rate");
  if (rate == doc.end() || !rate->is_object()) return q;
  q.limit = json_number(*rate, "limit");
  q.remaining = json_number(*rate, "remaining");
  q.reset = json_number(*rate, "reset");
  return q;
}

void apply_rate_limit_header(std::string_view line, Quota& q) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  std::string key(trim(line.substr(0, colon)));
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto value = number(line.substr(colon + 1));
  if (key == "x-ratelimit-limit") q.limit = value;
  if (key == "x-ratelimit-remaining") q.remaining = value;
  if (key == "x-ratelimit-reset") q.reset = value;
}

}  // namespace iotmap::fetch
