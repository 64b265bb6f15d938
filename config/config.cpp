// Reads TOML with toml++ and copies it into plain structs. The walker (config/toml_walk.h)
// checks every key against what it knows, so that a misspelt key is an error with file:line
// rather than a setting that silently does nothing.
#include "config/config.h"

#include <toml++/toml.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>

#include "config/resolv_conf.h"
#include "config/toml_walk.h"

namespace iotmap::embedded {
extern const std::string_view default_config;
}

namespace iotmap::config {
namespace {

using toml_walk::fail;
using toml_walk::Table;

// "1.2.3.4", "1.2.3.4:53", "[2001:db8::1]:53", "2001:db8::1". Sets `why` and returns nothing
// when `text` is none of these.
std::optional<ResolverEndpoint> parse_endpoint(const std::string& text, std::string& why) {
  auto no = [&why](std::string reason) {
    why = std::move(reason);
    return std::nullopt;
  };
  std::string host = text;
  std::optional<std::string> port;
  const bool bracketed = !text.empty() && text[0] == '[';
  if (bracketed) {
    auto close = text.find(']');
    if (close == std::string::npos) return no("no ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return no("expected ':' and a port after ']'");
      port = text.substr(close + 2);
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port = text.substr(text.find(':') + 1);
  }
  auto ip = IpAddress::parse(host);
  if (!ip) return no("'" + host + "' is not an IP address");
  if (bracketed && !ip->v6) return no("brackets are for IPv6 addresses only");
  // "::1:53" is the address ::1:53, but was probably meant as ::1 port 53.
  auto last = host.rfind(':');
  if (!bracketed && ip->v6 && host.find_first_not_of("0123456789", last + 1) == std::string::npos &&
      IpAddress::parse(host.substr(0, last))) {
    return no("ambiguous: write [" + host.substr(0, last) + "]:" + host.substr(last + 1) +
              " for port " + host.substr(last + 1) + ", or [" + host + "] for that address");
  }
  ResolverEndpoint ep;
  ep.address = *ip;
  if (port) {
    if (port->empty() || port->size() > 5 ||
        port->find_first_not_of("0123456789") != std::string::npos || std::stoi(*port) < 1 ||
        std::stoi(*port) > 65535)
      return no("the port must be a number from 1 to 65535");
    ep.port = static_cast<uint16_t>(std::stoi(*port));
  }
  return ep;
}

void apply_vantage_points(const std::string& origin, const toml::node& n, Config& c) {
  const auto* arr = n.as_array();
  if (arr == nullptr || !arr->is_array_of_tables())
    fail(origin, n, "vantage_point", "expected [[vantage_point]] tables");
  // A file that lists vantage points replaces the default set rather than adding to it.
  c.vantage_points.clear();
  for (const auto& e : *arr) {
    const auto& t = *e.as_table();
    VantagePoint vp;
    std::vector<std::string> resolvers;
    std::string subnet;
    Table tab(origin, t, "vantage_point");
    tab.on("name", tab.str(vp.name))
        .on("location", tab.str(vp.location))
        .on("resolvers", tab.strings(resolvers))
        .on("resolv_conf", tab.str(vp.resolv_conf))
        .on("client_subnet", tab.str(subnet))
        .apply();
    if (vp.name.empty()) fail(origin, t, "vantage_point.name", "missing or empty");
    for (const auto& other : c.vantage_points)
      if (other.name == vp.name) fail(origin, t, "vantage_point.name", "duplicate " + vp.name);
    if (resolvers.empty() == vp.resolv_conf.empty())
      fail(origin, t, "vantage_point.resolvers",
           "vantage point " + vp.name +
               (resolvers.empty() ? " has no resolver: set resolvers, or resolv_conf"
                                  : " has both resolvers and resolv_conf: keep one"));
    for (const auto& r : resolvers) {
      std::string why;
      auto ep = parse_endpoint(r, why);
      if (!ep)
        fail(origin, *t.get("resolvers"), "vantage_point.resolvers",
             "'" + r + "': " + why + " (write ADDRESS, ADDRESS:PORT or [IPv6]:PORT)");
      vp.resolvers.push_back(*ep);
    }
    if (!subnet.empty()) {
      vp.client_subnet = Prefix::parse(subnet);
      if (!vp.client_subnet)
        fail(origin, *t.get("client_subnet"), "vantage_point.client_subnet",
             "'" + subnet + "' is not a CIDR prefix");
    }
    c.vantage_points.push_back(std::move(vp));
  }
}

// A relative path in a configuration file means "next to that file": cron runs the job from
// another directory than the one the operator edited the file in.
std::string against(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

void apply(const std::string& origin, const std::string& base_dir, const toml::table& root,
           Config& c) {
  std::vector<uint16_t>& ports = c.scan.ports;
  Table top(origin, root, "");
  auto section = [&](const char* name, const std::function<void(Table&)>& fill) {
    return [&, name, fill](const toml::node& n, const std::string& key) {
      if (!n.is_table()) fail(origin, n, key, "expected a [" + std::string(name) + "] table");
      Table t(origin, *n.as_table(), name, &c.set_at);
      fill(t);
      t.apply();
    };
  };
  top.on("database", section("database", [&](Table& t) { t.on("path", t.str(c.db_path)); }))
      .on("catalogue",
          section("catalogue", [&](Table& t) { t.on("file", t.str(c.catalogue_file)); }))
      .on("vantage_point",
          [&](const toml::node& n, const std::string&) { apply_vantage_points(origin, n, c); })
      .on("resolver", section("resolver",
                              [&](Table& t) {
                                auto& r = c.resolver;
                                t.on("max_in_flight", t.number(r.max_in_flight, 1, 1e6))
                                    .on("qps", t.number(r.qps, 0.1, 1e7))
                                    .on("timeout_ms", t.number(r.timeout_ms, 10, 600000))
                                    .on("retries", t.number(r.retries, 0, 20))
                                    .on("max_cname_chain", t.number(r.max_cname_chain, 1, 64))
                                    .on("ptr_qps", t.number(r.ptr_qps, 0.1, 1e7))
                                    .on("daily_ptr", t.boolean(r.daily_ptr));
                              }))
      .on("scan",
          section("scan",
                  [&](Table& t) {
                    auto& s = c.scan;
                    t.on("ports",
                         [&](const toml::node& n, const std::string& key) {
                           const auto* arr = n.as_array();
                           if (arr == nullptr) fail(origin, n, key, "expected an array of ports");
                           ports.clear();
                           for (const auto& e : *arr) {
                             auto v = e.value<int64_t>();
                             if (!e.is_integer() || !v || *v < 1 || *v > 65535)
                               fail(origin, e, key, "ports are integers from 1 to 65535");
                             ports.push_back(static_cast<uint16_t>(*v));
                           }
                         })
                        .on("rate", t.number(s.rate, 0.01, 1e7))
                        .on("max_in_flight", t.number(s.max_in_flight, 1, 1e6))
                        .on("timeout_ms", t.number(s.timeout_ms, 10, 600000))
                        .on("per_ip_spacing_ms", t.number(s.per_ip_spacing_ms, 0, 3600000))
                        .on("per_prefix_spacing_ms", t.number(s.per_prefix_spacing_ms, 0, 3600000))
                        .on("max_bytes", t.number(s.max_bytes, 1024, 1e9))
                        .on("cidr_cap", t.number(s.cidr_cap, 1, 1e12))
                        .on("max_targets", t.number(s.max_targets, 1, 1e12))
                        .on("seed", t.number(s.seed, 0, 9.2e18))
                        .on("probe_without_sni", t.boolean(s.probe_without_sni))
                        .on("probe_with_names", t.boolean(s.probe_with_names))
                        .on("max_names_per_address", t.number(s.max_names_per_address, 0, 1000))
                        .on("workers", t.number(s.workers, 0, 1024))
                        .on("tls_mode", [&](const toml::node& n, const std::string& key) {
                          t.str(s.tls_mode)(n, key);
                          if (s.tls_mode != "full" && s.tls_mode != "cert")
                            fail(origin, n, key, R"(must be "full" or "cert")");
                        });
                  }))
      .on("ethics", section("ethics",
                            [&](Table& t) {
                              auto& e = c.ethics;
                              auto path = [&](std::string& out) {
                                return [&, set = t.str(out)](const toml::node& n,
                                                             const std::string& key) {
                                  set(n, key);
                                  out = against(base_dir, out);
                                };
                              };
                              t.on("blocklist_file", path(e.blocklist_file))
                                  .on("optout_file", path(e.optout_file))
                                  .on("contact",
                                      [&](const toml::node& n, const std::string& key) {
                                        t.str(e.contact)(n, key);
                                        auto problem = contact_problem(e.contact);
                                        if (!problem.empty()) fail(origin, n, key, problem);
                                      })
                                  .on("default_blocklist", t.boolean(e.default_blocklist))
                                  .on("max_rate", t.number(e.max_rate, 0.01, 1e7));
                            }))
      .on("sources", section("sources",
                             [&](Table& t) {
                               auto& s = c.sources;
                               t.on("data_dir", t.str(s.data_dir))
                                   .on("passive_dns", t.strings(s.passive_dns))
                                   .on("pfx2as", t.str(s.pfx2as))
                                   .on("pfx2as_extra", t.strings(s.pfx2as_extra))
                                   .on("as2org", t.str(s.as2org))
                                   .on("cloud_ases", t.str(s.cloud_ases))
                                   .on("geoip", t.str(s.geoip))
                                   .on("published_ranges", t.strings(s.published_ranges))
                                   .on("blocklist_overlap", t.str(s.blocklist_overlap))
                                   .on("ipv6_hitlists", t.strings(s.ipv6_hitlists))
                                   .on("fetch_file", t.str(s.fetch_file));
                             }))
      .on("classify",
          section("classify",
                  [&](Table& t) {
                    auto& k = c.classify;
                    t.on("window_days", t.number(k.window_days, 1, 366))
                        .on("shared_threshold", t.number(k.shared_threshold, 0, 1e6))
                        .on("hitlist_rule", [&](const toml::node& n, const std::string& key) {
                          t.str(k.hitlist_rule)(n, key);
                          if (k.hitlist_rule != "exclusive" && k.hitlist_rule != "threshold")
                            fail(origin, n, key, R"(must be "exclusive" or "threshold")");
                        });
                  }))
      .on("detect", section("detect", [&](Table& t) {
            auto& k = c.detect;
            auto one_of = [&](std::string& out, const char* a, const char* b) {
              return [&, a, b](const toml::node& n, const std::string& key) {
                t.str(out)(n, key);
                if (out != a && out != b)
                  fail(origin, n, key, std::string("must be \"") + a + "\" or \"" + b + "\"");
              };
            };
            t.on("d", t.number(k.d, 0.001, 1))
                .on("device_rule", one_of(k.device_rule, "haystack", "guo-heidemann"))
                .on("scanner_threshold", t.number(k.scanner_threshold, 0, 1e9))
                .on("subscribers", one_of(k.subscribers, "hash", "prefix"))
                .on("key_file",
                    [&](const toml::node& n, const std::string& key) {
                      t.str(k.key_file)(n, key);
                      k.key_file = against(base_dir, k.key_file);
                    })
                .on("prefix_v4", t.number(k.prefix_v4, 8, 32))
                .on("prefix_v6", t.number(k.prefix_v6, 16, 128))
                .on("flows_dir", [&](const toml::node& n, const std::string& key) {
                  t.str(k.flows_dir)(n, key);
                  k.flows_dir = against(base_dir, k.flows_dir);
                });
          }));
  top.apply();
}

// `base_dir`: what relative paths in `text` are relative to ("": left as written).
void parse_into(const std::string& text, const std::string& origin, const std::string& base_dir,
                Config& c) {
  toml_walk::parse(text, origin,
                   [&](const toml::table& root) { apply(origin, base_dir, root, c); });
  c.loaded_from.push_back(origin);
}

void finish(Config& c) {
  if (c.vantage_points.empty()) throw ConfigError("configuration has no vantage point");
  // Read only for the vantage points that remain: a file that lists its own replaces the
  // default's, whose resolv.conf then does not matter.
  for (auto& vp : c.vantage_points) {
    if (vp.resolv_conf.empty()) continue;
    auto system = read_resolv_conf(vp.resolv_conf);
    vp.resolvers = std::move(system.resolvers);
    vp.notes = std::move(system.notes);
  }
  if (c.db_path.empty()) c.db_path = default_db_path();
  // SQLite would keep an in-memory database: every run's work would be lost.
  if (c.db_path == ":memory:")
    throw ConfigError("database.path: ':memory:' keeps nothing; name a file");
  if (c.scan.rate > c.ethics.max_rate) {
    std::ostringstream os;
    os << c.set_at["scan.rate"] << ": scan.rate: " << c.scan.rate << " exceeds ethics.max_rate "
       << c.ethics.max_rate << " (" << c.set_at["ethics.max_rate"] << ")";
    throw ConfigError(os.str());
  }
}

}  // namespace

std::string ResolverEndpoint::str() const {
  return (address.v6 ? "[" + address.str() + "]" : address.str()) + ":" + std::to_string(port);
}

std::string default_db_path() {
  if (const char* env = std::getenv("IOTMAP_DB"); env != nullptr && *env != '\0') return env;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg != nullptr && *xdg != '\0')
    return std::string(xdg) + "/iotmap/iotmap.db";
  return "iotmap.db";
}

std::string contact_problem(std::string_view contact) {
  if (contact.empty()) return "";
  for (char ch : contact)
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f)
      return "must be printable ASCII (an e-mail address or URL), without line breaks or other "
             "control characters";
  if (contact.find_first_not_of(' ') == std::string_view::npos) return "is blank";
  if (contact.size() > 256) return "is longer than 256 characters";
  return "";
}

Config load_text(const std::string& text, const std::string& origin) {
  Config c;
  parse_into(std::string(embedded::default_config), "<embedded default>", "", c);
  parse_into(text, origin, "", c);  // no file: relative paths stay as written
  finish(c);
  return c;
}

Config load(const std::optional<std::string>& file) {
  Config c;
  parse_into(std::string(embedded::default_config), "<embedded default>", "", c);
  if (file) {
    std::error_code ec;
    std::string dir = std::filesystem::absolute(*file, ec).parent_path().string();
    parse_into(toml_walk::read_file(*file, "configuration file"), *file, dir, c);
  }
  finish(c);
  return c;
}

}  // namespace iotmap::config
