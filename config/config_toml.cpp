#include "config/config_toml.h"

#include <toml++/toml.h>

#include <sstream>

namespace iotmap::config {
namespace {

template <typename T>
toml::array array_of(const std::vector<T>& values) {
  toml::array a;
  for (const auto& v : values) a.push_back(v);
  return a;
}

toml::array vantage_points(const Config& c) {
  toml::array list;
  for (const auto& vp : c.vantage_points) {
    toml::table t{{"name", vp.name}, {"location", vp.location}};
    if (!vp.resolv_conf.empty()) {
      t.insert("resolv_conf", vp.resolv_conf);
    } else {
      std::vector<std::string> resolvers;
      for (const auto& r : vp.resolvers) resolvers.push_back(r.str());
      t.insert("resolvers", array_of(resolvers));
    }
    if (vp.client_subnet) t.insert("client_subnet", vp.client_subnet->str());
    list.push_back(std::move(t));
  }
  return list;
}

toml::table scan(const ScanSettings& s) {
  std::vector<int64_t> ports(s.ports.begin(), s.ports.end());
  return toml::table{{"ports", array_of(ports)},
                     {"rate", s.rate},
                     {"max_in_flight", s.max_in_flight},
                     {"timeout_ms", s.timeout_ms},
                     {"per_ip_spacing_ms", s.per_ip_spacing_ms},
                     {"per_prefix_spacing_ms", s.per_prefix_spacing_ms},
                     {"max_bytes", static_cast<int64_t>(s.max_bytes)},
                     {"cidr_cap", static_cast<int64_t>(s.cidr_cap)},
                     {"max_targets", static_cast<int64_t>(s.max_targets)},
                     {"seed", static_cast<int64_t>(s.seed)},
                     {"probe_without_sni", s.probe_without_sni},
                     {"probe_with_names", s.probe_with_names},
                     {"max_names_per_address", s.max_names_per_address},
                     {"workers", s.workers},
                     {"tls_mode", s.tls_mode}};
}

toml::table sources(const Sources& s) {
  return toml::table{{"data_dir", s.data_dir},
                     {"passive_dns", array_of(s.passive_dns)},
                     {"pfx2as", s.pfx2as},
                     {"pfx2as_extra", array_of(s.pfx2as_extra)},
                     {"as2org", s.as2org},
                     {"cloud_ases", s.cloud_ases},
                     {"geoip", s.geoip},
                     {"published_ranges", array_of(s.published_ranges)},
                     {"blocklist_overlap", s.blocklist_overlap},
                     {"ipv6_hitlists", array_of(s.ipv6_hitlists)},
                     {"fetch_file", s.fetch_file}};
}

}  // namespace

std::string to_toml(const Config& c) {
  const auto& r = c.resolver;
  const auto& e = c.ethics;
  const auto& k = c.classify;
  toml::table doc{
      {"database", toml::table{{"path", c.db_path}}},
      {"catalogue", toml::table{{"file", c.catalogue_file}}},
      {"vantage_point", vantage_points(c)},
      {"resolver", toml::table{{"max_in_flight", r.max_in_flight},
                               {"qps", r.qps},
                               {"timeout_ms", r.timeout_ms},
                               {"retries", r.retries},
                               {"max_cname_chain", r.max_cname_chain},
                               {"ptr_qps", r.ptr_qps},
                               {"daily_ptr", r.daily_ptr}}},
      {"scan", scan(c.scan)},
      {"ethics", toml::table{{"blocklist_file", e.blocklist_file},
                             {"optout_file", e.optout_file},
                             {"contact", e.contact},
                             {"default_blocklist", e.default_blocklist},
                             {"max_rate", e.max_rate}}},
      {"sources", sources(c.sources)},
      {"detect", toml::table{{"d", c.detect.d},
                             {"device_rule", c.detect.device_rule},
                             {"scanner_threshold", c.detect.scanner_threshold},
                             {"subscribers", c.detect.subscribers},
                             {"key_file", c.detect.key_file},
                             {"prefix_v4", c.detect.prefix_v4},
                             {"prefix_v6", c.detect.prefix_v6},
                             {"flows_dir", c.detect.flows_dir}}},
      {"classify", toml::table{{"window_days", k.window_days},
                               {"shared_threshold", k.shared_threshold},
                               {"hitlist_rule", k.hitlist_rule}}},
  };
  std::ostringstream out;
  out << toml::toml_formatter(doc) << "\n";
  return out.str();
}

}  // namespace iotmap::config
