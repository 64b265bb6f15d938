#include "backend_map/hitlist.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "detect/rules.h"
#include "lib/json.h"
#include "lib/text.h"

namespace iotmap::backend_map {

namespace {

std::string provider_id(const std::vector<Provider>& providers, int32_t p) {
  if (p < 0 || size_t(p) >= providers.size()) return "";
  return providers[size_t(p)].id;
}

}  // namespace

uint32_t DetectionRule::threshold(double d, uint32_t n) { return detect::haystack_threshold(d, n); }

std::vector<HitlistRow> build_hitlist(const Dataset& data, const Classification& cls,
                                      const std::vector<Provider>& providers,
                                      const HitlistOptions& options) {
  const std::vector<ServiceAt> services = cls.window_services(data);

  std::vector<HitlistRow> rows;
  size_t di = 0;
  for (const auto& d : cls.domains) {
    if (d.provider < 0) continue;
    Verdict v = d.verdict(options.rule);
    if (v != Verdict::kDedicated && !options.include_shared) continue;
    while (di < cls.domain_ips.size() && cls.domain_ips[di].domain < d.domain) ++di;
    for (size_t k = di; k < cls.domain_ips.size() && cls.domain_ips[k].domain == d.domain;) {
      HitlistRow base;
      base.date = options.date;
      base.provider = d.provider;
      base.domain = d.domain;
      base.ip = cls.domain_ips[k].ip;
      base.infrastructure = v;
      base.primary = cls.name_primary.empty() || cls.name_primary[d.domain] != 0;
      base.first_seen = cls.domain_ips[k].day;
      for (; k < cls.domain_ips.size() && cls.domain_ips[k].domain == d.domain &&
             cls.domain_ips[k].ip == base.ip;
           ++k) {
        base.sources |= cls.domain_ips[k].sources;
        base.last_seen = cls.domain_ips[k].day;
      }
      auto s = std::lower_bound(services.begin(), services.end(), ServiceAt{base.ip, 0, 0});
      bool any = false;
      for (; s != services.end() && s->ip == base.ip; ++s) {
        HitlistRow r = base;
        r.port = s->port;
        r.protocol = s->protocol < data.protocols.size() ? data.protocols[s->protocol] : "";
        rows.push_back(std::move(r));
        any = true;
      }
      if (!any) {
        const Provider* prov =
            size_t(d.provider) < providers.size() ? &providers[size_t(d.provider)] : nullptr;
        if (prov && !prov->ports.empty()) {
          for (const auto& pp : prov->ports) {
            HitlistRow r = base;
            r.port = pp.port;
            r.protocol = pp.protocol;
            rows.push_back(std::move(r));
          }
        } else {
          rows.push_back(base);
        }
      }
    }
  }
  sort_hitlist(data, providers, rows);
  return rows;
}

void sort_hitlist(const Dataset& data, const std::vector<Provider>& providers,
                  std::vector<HitlistRow>& rows) {
  // Providers in id order, without building strings in the comparator.
  std::vector<int32_t> rank(providers.size(), 0);
  {
    std::vector<int32_t> order(providers.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = int32_t(i);
    std::sort(order.begin(), order.end(), [&](int32_t x, int32_t y) {
      return providers[size_t(x)].id < providers[size_t(y)].id;
    });
    for (size_t i = 0; i < order.size(); ++i) rank[size_t(order[i])] = int32_t(i);
  }
  auto rank_of = [&](int32_t p) {
    return p >= 0 && size_t(p) < rank.size() ? rank[size_t(p)] : -1;
  };
  std::sort(rows.begin(), rows.end(), [&](const HitlistRow& a, const HitlistRow& b) {
    if (a.provider != b.provider) return rank_of(a.provider) < rank_of(b.provider);
    auto na = data.names[a.domain], nb = data.names[b.domain];
    if (na != nb) return na < nb;
    if (a.ip != b.ip) {  // IPv4 first, then by address
      const IpAddress &x = data.ips[a.ip], &y = data.ips[b.ip];
      return x.v6 != y.v6 ? !x.v6 : x.bytes < y.bytes;
    }
    return std::tie(a.port, a.protocol) < std::tie(b.port, b.protocol);
  });
  // A catalogue may list one port twice (Alibaba's 1883 with and without TLS): both give the
  // same hitlist key, which must appear once.
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const HitlistRow& a, const HitlistRow& b) {
                           return a.provider == b.provider && a.domain == b.domain &&
                                  a.ip == b.ip && a.port == b.port && a.protocol == b.protocol;
                         }),
             rows.end());
}

std::string hitlist_csv(const Dataset& data, const std::vector<Provider>& providers,
                        const std::vector<HitlistRow>& rows) {
  std::string out =
      "date,provider,domain,ip,port,protocol,infrastructure,sources,first_seen,last_seen\n";
  for (const auto& r : rows) {
    out += day_str(r.date) + ',' + csv_cell(provider_id(providers, r.provider)) + ',' +
           csv_cell(data.names[r.domain]) + ',' + data.ips[r.ip].str() + ',' +
           (r.port ? std::to_string(r.port) : std::string()) + ',' + csv_cell(r.protocol) + ',' +
           verdict_str(r.infrastructure) + ',' + sources_str(r.sources) + ',' +
           day_str(r.first_seen) + ',' + day_str(r.last_seen) + '\n';
  }
  return out;
}

std::string hitlist_jsonl(const Dataset& data, const std::vector<Provider>& providers,
                          const std::vector<HitlistRow>& rows) {
  std::string out;
  for (const auto& r : rows) {
    nlohmann::ordered_json j;
    j["date"] = day_str(r.date);
    j["provider"] = provider_id(providers, r.provider);
    j["domain"] = std::string(data.names[r.domain]);
    j["ip"] = data.ips[r.ip].str();
    j["port"] = r.port ? nlohmann::ordered_json(r.port) : nlohmann::ordered_json(nullptr);
    j["protocol"] = r.protocol;
    j["infrastructure"] = verdict_str(r.infrastructure);
    j["sources"] = sources_str(r.sources);
    j["first_seen"] = day_str(r.first_seen);
    j["last_seen"] = day_str(r.last_seen);
    out += json_text(j) + '\n';
  }
  return out;
}

std::string hitlist_rules(const Dataset& data, const std::vector<Provider>& providers,
                          const std::vector<HitlistRow>& rows, Day date, Rule rule,
                          const DetectionRule& detection) {
  // provider id -> domain -> "ip:port" set
  std::map<std::string, std::map<std::string, std::set<std::string>>> by_provider;
  std::map<std::string, std::set<std::string>> entries;  // provider id -> its N entries
  std::map<std::string, std::string> names, levels, entry_of;
  std::set<std::string> support;
  for (const auto& r : rows) {
    if (r.infrastructure != Verdict::kDedicated) continue;  // rules use dedicated services only
    auto id = provider_id(providers, r.provider);
    names[id] = size_t(r.provider) < providers.size() ? providers[size_t(r.provider)].name : "";
    if (size_t(r.provider) < providers.size()) levels[id] = providers[size_t(r.provider)].level;
    if (!r.primary) support.insert(std::string(data.names[r.domain]));
    const std::string domain(data.names[r.domain]);
    entry_of[domain] = r.entry.empty() ? domain : r.entry;
    entries[id].insert(entry_of[domain]);
    auto& endpoints = by_provider[id][domain];
    std::string ip = data.ips[r.ip].str();
    if (data.ips[r.ip].v6) ip = "[" + ip + "]";
    if (r.port) endpoints.insert(ip + ":" + std::to_string(r.port));
  }
  nlohmann::ordered_json doc;
  doc["version"] = 2;
  doc["date"] = day_str(date);
  doc["infrastructure_rule"] = rule_str(rule);
  doc["detection"] = {{"D", detection.d},
                      {"flag_when",
                       "contacts IP/port pairs of at least max(1, floor(D*N)) of the "
                       "N domains, at least one of them primary; a domain is a catalogue "
                       "entry: the names that share an entry count as one domain"}};
  doc["providers"] = nlohmann::ordered_json::array();
  for (const auto& [id, domains] : by_provider) {
    auto n = static_cast<uint32_t>(entries[id].size());
    nlohmann::ordered_json p;
    p["provider"] = id;
    p["name"] = names[id];
    p["level"] = levels[id].empty() ? "backend" : levels[id];
    p["D"] = detection.d;
    p["N"] = n;
    p["threshold"] = DetectionRule::threshold(detection.d, n);
    p["domains"] = nlohmann::ordered_json::array();
    std::set<std::string> all;
    for (const auto& [dname, endpoints] : domains) {
      p["domains"].push_back({{"domain", dname},
                              {"entry", entry_of[dname]},
                              {"class", support.count(dname) ? "support" : "primary"},
                              {"ip_ports", endpoints}});
      all.insert(endpoints.begin(), endpoints.end());
    }
    p["ip_ports"] = all;
    doc["providers"].push_back(std::move(p));
  }
  return json_text(doc, 2) + '\n';
}

}  // namespace iotmap::backend_map
