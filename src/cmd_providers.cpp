// iotmap providers [--json]: the catalogue in use (embedded, or `[catalogue] file`).
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "config/catalogue.h"
#include "lib/json.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

// "mqtts/8883", "mqtts/443[x-amzn-mqtt-ca]", "https/443", "coap/5682", "cisco-tcp/9123".
std::string port_text(const config::PortSpec& p) {
  std::string proto = p.protocol;
  if (p.tls && (proto == "mqtt" || proto == "amqp" || proto == "coap"))
    proto += "s";
  else if (p.tls && proto != "https")
    proto += "+tls";
  std::string s = proto + "/" + std::to_string(p.port);
  if (!p.alpn.empty()) s += "[" + p.alpn + "]";
  return s;
}

template <typename T, typename F>
std::string join(const std::vector<T>& v, F&& text) {
  std::string out;
  for (const auto& e : v) out += (out.empty() ? "" : ",") + text(e);
  return out;
}

nlohmann::json ports_json(const std::vector<config::PortSpec>& ports) {
  auto arr = nlohmann::json::array();
  for (const auto& p : ports)
    arr.push_back({{"port", p.port}, {"protocol", p.protocol}, {"tls", p.tls}, {"alpn", p.alpn}});
  return arr;
}

nlohmann::json to_json(const config::Catalogue& c) {
  nlohmann::json out = {{"providers", nlohmann::json::array()},
                        {"services", nlohmann::json::array()}};
  for (const auto& p : c.providers()) {
    auto regions = nlohmann::json::array();
    for (const auto& r : p.regions)
      regions.push_back({{"code", r.code},
                         {"city", r.city},
                         {"country", r.country},
                         {"latitude", r.latitude},
                         {"longitude", r.longitude},
                         {"approximate", r.approximate}});
    auto patterns = nlohmann::json::array();
    for (size_t i = 0; i < p.patterns.size(); ++i)
      patterns.push_back({{"regex", p.patterns[i]},
                          {"require", p.filters[i].require},
                          {"exclude", p.filters[i].exclude}});
    out["providers"].push_back({{"id", p.id},
                                {"name", p.name},
                                {"historical", p.historical},
                                {"patterns", patterns},
                                {"name_templates", p.name_templates},
                                {"fixed_names", p.fixed_names},
                                {"registrable_domains", p.registrable_domains},
                                {"docs", p.docs},
                                {"regions", regions},
                                {"ports", ports_json(p.ports)},
                                {"asns", p.asns}});
  }
  for (const auto& s : c.services()) {
    auto domains = nlohmann::json::array();
    for (const auto& d : s.domains)
      domains.push_back({{"name", d.name}, {"pattern", d.pattern}, {"primary", d.primary}});
    out["services"].push_back({{"id", s.id},
                               {"name", s.name},
                               {"brand", s.brand},
                               {"level", s.level},
                               {"domains", domains},
                               {"ports", ports_json(s.ports)},
                               {"docs", s.docs}});
  }
  return out;
}

}  // namespace

int run_providers(Context& ctx, Args& args) {
  bool json = args.flag("--json");
  if (!args.positionals().empty()) throw UsageError("takes no arguments");
  auto catalogue = config::Catalogue::load(ctx.config());
  if (json) {
    std::printf("%s\n", json_text(to_json(catalogue), 2).c_str());
    return kOk;
  }
  std::printf("%-10s %-28s %4s %4s %-10s %-24s %s\n", "ID", "NAME", "PAT", "REG", "STATUS", "ASNS",
              "PORTS");
  for (const auto& p : catalogue.providers()) {
    std::string asns = join(p.asns, [](uint32_t a) { return std::to_string(a); });
    std::printf("%-10s %-28s %4zu %4zu %-10s %-24s %s\n", p.id.c_str(), p.name.c_str(),
                p.patterns.size(), p.regions.size(), p.historical ? "historical" : "active",
                asns.empty() ? "-" : asns.c_str(), join(p.ports, port_text).c_str());
  }
  std::printf("\n%-10s %-28s %-13s %s\n", "SERVICE", "NAME", "LEVEL", "DOMAINS");
  for (const auto& s : catalogue.services()) {
    std::string domains = join(s.domains, [](const config::DeviceService::Domain& d) {
      return d.name + (d.primary ? "" : " (support)");
    });
    std::printf("%-10s %-28s %-13s %s\n", s.id.c_str(), s.name.c_str(), s.level.c_str(),
                domains.c_str());
  }
  std::printf("\n%zu providers, %zu device services\n", catalogue.providers().size(),
              catalogue.services().size());
  return kOk;
}

}  // namespace iotmap::cli
