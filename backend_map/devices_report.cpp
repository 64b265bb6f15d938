#include "backend_map/devices_report.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "lib/text.h"

namespace iotmap::backend_map {
namespace {

constexpr size_t kTop = 20;  // rows per table; the rest are summed as "others"

std::string as_label(const IpAddress& ip, const PrefixTable* pfx2as,
                     const std::unordered_map<uint32_t, AsOrg>* as2org) {
  if (pfx2as == nullptr) return "unknown";
  auto origins = pfx2as->origins_of(ip);
  if (origins.empty()) return "unknown";
  std::string label = "AS" + std::to_string(origins.front());
  if (as2org != nullptr) {
    auto it = as2org->find(origins.front());
    if (it != as2org->end()) {
      const auto& name = it->second.org_name.empty() ? it->second.as_name : it->second.org_name;
      if (!name.empty()) label += " " + name;
    }
  }
  return label;
}

void count(std::map<std::string, DeviceGroup>& groups, const std::string& key,
           const DeviceSighting& d) {
  auto& g = groups[key];
  g.name = key;
  ++g.devices;
  ++(d.signer == "self" ? g.self : g.maker_ca);
}

// Most devices first, then by name; beyond kTop the rest become one "others" group.
std::vector<DeviceGroup> ranked(std::map<std::string, DeviceGroup> groups) {
  std::vector<DeviceGroup> out;
  for (auto& [k, g] : groups) out.push_back(std::move(g));
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.devices > b.devices; });
  if (out.size() > kTop) {
    DeviceGroup others{"others (" + std::to_string(out.size() - kTop) + ")", 0, 0, 0};
    for (size_t i = kTop; i < out.size(); ++i) {
      others.devices += out[i].devices;
      others.self += out[i].self;
      others.maker_ca += out[i].maker_ca;
    }
    out.resize(kTop);
    out.push_back(std::move(others));
  }
  return out;
}

std::string md_table(const char* what, const std::vector<DeviceGroup>& groups) {
  std::string out =
      std::string("\n| ") + what + " | devices | self-signed | maker CA |\n|---|---|---|---|\n";
  for (const auto& g : groups)
    out += "| " + markdown_escape(g.name) + " | " + std::to_string(g.devices) + " | " +
           std::to_string(g.self) + " | " + std::to_string(g.maker_ca) + " |\n";
  if (groups.empty()) out += "| (none) | | | |\n";
  return out;
}

std::string html_table(const char* what, const std::vector<DeviceGroup>& groups) {
  std::string out = std::string("<table><tr><th>") + what +
                    "</th><th>devices</th><th>self-signed</th><th>maker CA</th></tr>\n";
  for (const auto& g : groups)
    out += "<tr><td>" + html_escape(g.name) + "</td><td>" + std::to_string(g.devices) +
           "</td><td>" + std::to_string(g.self) + "</td><td>" + std::to_string(g.maker_ca) +
           "</td></tr>\n";
  return out + "</table>\n";
}

std::string header(const DeviceSummary& s) {
  return std::to_string(s.devices) + " device certificates at " + std::to_string(s.addresses) +
         " addresses on " + s.date + ": " + std::to_string(s.self) + " self-signed, " +
         std::to_string(s.maker_ca) + " signed by the maker's CA";
}

}  // namespace

DeviceSummary summarize_devices(const std::string& date, const std::vector<DeviceSighting>& rows,
                                const PrefixTable* pfx2as,
                                const std::unordered_map<uint32_t, AsOrg>* as2org,
                                const GeoLookup& geo) {
  DeviceSummary s;
  s.date = date;
  std::map<std::string, DeviceGroup> makers, ases, countries;
  std::set<IpAddress> addresses;
  for (const auto& d : rows) {
    ++s.devices;
    ++(d.signer == "self" ? s.self : s.maker_ca);
    addresses.insert(d.ip);
    count(makers, d.manufacturer, d);
    count(ases, as_label(d.ip, pfx2as, as2org), d);
    auto where = geo ? geo(d.ip) : std::nullopt;
    count(countries, where && !where->country.empty() ? where->country : "unknown", d);
  }
  s.addresses = static_cast<uint32_t>(addresses.size());
  s.by_manufacturer = ranked(std::move(makers));
  s.by_as = ranked(std::move(ases));
  s.by_country = ranked(std::move(countries));
  return s;
}

std::string devices_markdown(const DeviceSummary& s) {
  return "\n## Device certificates, " + s.date + "\n\n" + header(s) + ".\n" +
         md_table("manufacturer", s.by_manufacturer) + md_table("AS", s.by_as) +
         md_table("country", s.by_country);
}

std::string devices_html(const DeviceSummary& s) {
  return "<h2 id=\"devices\">Device certificates</h2>\n<p>" + html_escape(header(s)) + ".</p>\n" +
         html_table("manufacturer", s.by_manufacturer) + html_table("AS", s.by_as) +
         html_table("country", s.by_country);
}

nlohmann::ordered_json devices_json(const DeviceSummary& s) {
  auto groups = [](const std::vector<DeviceGroup>& gs) {
    auto a = nlohmann::ordered_json::array();
    for (const auto& g : gs)
      a.push_back({{"name", g.name},
                   {"devices", g.devices},
                   {"self_signed", g.self},
                   {"maker_ca", g.maker_ca}});
    return a;
  };
  nlohmann::ordered_json j = {
      {"date", s.date},           {"devices", s.devices},
      {"addresses", s.addresses}, {"self_signed", s.self},
      {"maker_ca", s.maker_ca},   {"by_manufacturer", groups(s.by_manufacturer)},
      {"by_as", groups(s.by_as)}, {"by_country", groups(s.by_country)}};
  return j;
}

}  // namespace iotmap::backend_map
