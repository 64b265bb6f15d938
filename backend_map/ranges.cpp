#include "backend_map/ranges.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace iotmap::backend_map {

namespace {

void add_prefix(PublishedRanges& out, const nlohmann::json& text, const std::string& tag,
                const std::string& region) {
  if (!text.is_string()) return;
  if (auto p = Prefix::parse(text.get<std::string>())) out.ranges.push_back({*p, tag, region});
}

std::string str_field(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

const char* range_format_str(RangeFormat f) {
  switch (f) {
    case RangeFormat::kAzureServiceTags:
      return "Azure service tags";
    case RangeFormat::kAwsIpRanges:
      return "AWS ip-ranges";
    case RangeFormat::kGoogleCloud:
      return "Google Cloud ranges";
  }
  return "";
}

PublishedRanges parse_published_ranges(std::string_view json_text, const std::string& origin,
                                       const std::vector<std::string>& services) {
  auto doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    throw std::runtime_error(origin + ": not a JSON object");
  PublishedRanges out;
  if (auto values = doc.find("values"); values != doc.end() && values->is_array()) {
    out.format = RangeFormat::kAzureServiceTags;
    for (const auto& v : *values) {
      if (!v.is_object()) continue;
      std::string name = str_field(v, "name");
      auto props = v.find("properties");
      if (props == v.end() || !props->is_object()) continue;
      bool iot = name == "AzureIoTHub" || name.starts_with("AzureIoTHub.") ||
                 str_field(*props, "systemService") == "AzureIoTHub";
      if (!iot) continue;
      std::string region = str_field(*props, "region");
      if (auto ps = props->find("addressPrefixes"); ps != props->end() && ps->is_array())
        for (const auto& p : *ps) add_prefix(out, p, name, region);
    }
    return out;
  }
  auto wanted = [&](const std::string& service) {
    return services.empty() ||
           std::find(services.begin(), services.end(), service) != services.end();
  };
  // Both AWS and Google call their list "prefixes"; only the entries' keys tell them apart.
  // Google's entries carry IPv4 and IPv6 in the same list and the region in "scope".
  auto prefixes = doc.find("prefixes");
  const bool google =
      prefixes != doc.end() && prefixes->is_array() &&
      std::any_of(prefixes->begin(), prefixes->end(), [](const nlohmann::json& e) {
        return e.is_object() && (e.contains("ipv4Prefix") || e.contains("ipv6Prefix"));
      });
  if (google) {
    out.format = RangeFormat::kGoogleCloud;
    for (const auto& e : *prefixes) {
      if (!e.is_object()) continue;
      std::string service = str_field(e, "service");
      if (!wanted(service)) continue;
      for (const char* key : {"ipv4Prefix", "ipv6Prefix"})
        if (auto p = e.find(key); p != e.end()) add_prefix(out, *p, service, str_field(e, "scope"));
    }
    return out;
  }
  if (doc.contains("prefixes") || doc.contains("ipv6_prefixes")) {
    out.format = RangeFormat::kAwsIpRanges;
    auto take = [&](const char* list, const char* key) {
      auto it = doc.find(list);
      if (it == doc.end() || !it->is_array()) return;
      for (const auto& e : *it) {
        if (!e.is_object()) continue;
        std::string service = str_field(e, "service");
        if (!wanted(service)) continue;
        if (auto p = e.find(key); p != e.end())
          add_prefix(out, *p, service, str_field(e, "region"));
      }
    };
    take("prefixes", "ip_prefix");
    take("ipv6_prefixes", "ipv6_prefix");
    return out;
  }
  throw std::runtime_error(origin +
                           ": neither Azure service tags (\"values\") nor AWS or Google "
                           "ip ranges (\"prefixes\")");
}

std::vector<Prefix> parse_netset(std::string_view text, const std::string& origin,
                                 std::vector<ParseIssue>& issues) {
  std::vector<Prefix> out;
  size_t lineno = 0;
  while (!text.empty()) {
    ++lineno;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t'))
      line.remove_suffix(1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) continue;
    if (auto p = Prefix::parse(line))
      out.push_back(*p);
    else
      issues.push_back({origin + ":" + std::to_string(lineno),
                        "not an address or CIDR: '" + std::string(line) + "'"});
  }
  return out;
}

}  // namespace iotmap::backend_map
