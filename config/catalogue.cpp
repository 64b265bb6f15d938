// Loads and validates the provider catalogue (config/catalogue.toml) and matches names against
// it. Every pattern of every provider and device domain goes into one anchored RE2::Set; a hit
// is then confirmed with the pattern's own RE2 (for the region capture) and its post-filters.
#include "config/catalogue.h"

#include <re2/re2.h>
#include <re2/set.h>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_set>

#include "config/name_suffixes.h"
#include "config/toml_walk.h"
#include "lib/dns_name.h"

namespace iotmap::embedded {
extern const std::string_view default_catalogue;
}

namespace iotmap::config {

struct Catalogue::Data {
  std::vector<Provider> providers;
  std::vector<DeviceService> services;

  // One rule per pattern, in the order they were added to `set`.
  struct Rule {
    Match::Kind kind = Match::Kind::provider;
    size_t owner = 0;   // index into providers or services
    size_t domain = 0;  // devices: index into the service's domains
    std::unique_ptr<RE2> re;
    int region_group = 0;  // capture group index of `region`, 0: none
    std::vector<std::unique_ptr<RE2>> require, exclude;
  };
  std::vector<Rule> rules;
  std::unique_ptr<RE2::Set> set;
  SuffixFilter suffixes;  // the patterns' literal ends, asked before the set

  std::optional<Match> confirm(const Rule& rule, std::string_view name) const;
  std::optional<Match> match_slow(std::string_view name) const;
};

namespace {

using toml_walk::fail;
using toml_walk::Table;

constexpr std::array<std::string_view, 3> kLevels = {"platform", "manufacturer", "product"};
constexpr std::array<std::string_view, 7> kProtocols = {"mqtt", "https",     "http", "amqp",
                                                        "coap", "cisco-tcp", "opcua"};
// Stands for a certificate's "*" label while matching, so that "*.iot.eu-west-1.amazonaws.com"
// is attributed like any direct child of iot.eu-west-1.amazonaws.com.
constexpr std::string_view kWildcardStandIn = "x";

RE2::Options re2_options() {
  RE2::Options o;
  o.set_case_sensitive(false);
  o.set_log_errors(false);
  o.set_encoding(RE2::Options::EncodingLatin1);  // names are ASCII once validated
  o.set_max_mem(64 << 20);
  return o;
}

std::vector<std::string_view> split_labels(std::string_view fqdn) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < fqdn.size()) {
    size_t dot = fqdn.find('.', start);
    if (dot == std::string_view::npos) dot = fqdn.size();
    out.push_back(fqdn.substr(start, dot - start));
    start = dot + 1;
  }
  return out;
}

std::string lowered_without_dot(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  return lower;
}

// A device domain as written in the catalogue ("command-2.amcrestcloud.com",
// "samsung-*.whisk.com") turned into an RE2 pattern over normalised names. `*` stands for one or
// more characters inside one label; with digit_wildcard, each run of digits in the labels left
// of the registrable domain (taken as the last two labels) matches any run of digits.
std::string device_pattern(const std::string& name, bool subdomains, bool digit_wildcard) {
  const std::string lower = lowered_without_dot(name);
  auto labels = split_labels(lower);
  std::string out = subdomains ? "(?:[a-z0-9_-]+\\.)*" : "";
  for (size_t i = 0; i < labels.size(); ++i) {
    bool wild_digits = digit_wildcard && i + 2 < labels.size();
    std::string_view l = labels[i];
    for (size_t j = 0; j < l.size(); ++j) {
      char c = l[j];
      if (c == '*') {
        out += "[a-z0-9_-]+";
      } else if (wild_digits && c >= '0' && c <= '9') {
        while (j + 1 < l.size() && l[j + 1] >= '0' && l[j + 1] <= '9') ++j;
        out += "[0-9]+";
      } else {
        out += RE2::QuoteMeta(std::string(1, c));
      }
    }
    out += "\\.";
  }
  return out;
}

// The entry of a device domain (DeviceService::Domain::entry). A pattern written by hand is
// the name's entry as written: the names it matches count once all the same.
std::string device_entry(const std::string& name, bool digit_wildcard) {
  const std::string lower = lowered_without_dot(name);
  auto labels = split_labels(lower);
  std::string out;
  for (size_t i = 0; i < labels.size(); ++i) {
    bool wild_digits = digit_wildcard && i + 2 < labels.size();
    std::string_view l = labels[i];
    for (size_t j = 0; j < l.size(); ++j) {
      bool digit = l[j] >= '0' && l[j] <= '9';
      if (wild_digits && digit) {
        while (j + 1 < l.size() && l[j + 1] >= '0' && l[j + 1] <= '9') ++j;
        out += '#';
      } else {
        out += l[j];
      }
    }
    out += '.';
  }
  return out;
}

// A name with `*` inside labels (device domains): labels must be non-empty and use only name
// characters or `*`.
bool valid_glob_name(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  for (auto l : split_labels(name)) {
    if (l.empty() || l.size() > 63) return false;
    for (char c : l)
      if (!is_host_label_char(c) && c != '*') return false;
  }
  return name.find('.') != std::string_view::npos;
}

class Loader {
 public:
  explicit Loader(const std::string& origin) : origin_(origin) {}

  void apply(const toml::table& root) {
    Table top(origin_, root, "");
    top.on("provider",
           [&](const toml::node& n, const std::string& key) {
             for_each_table(n, key, [&](const toml::table& t, size_t i) { provider(t, i); });
           })
        .on("service", [&](const toml::node& n, const std::string& key) {
          for_each_table(n, key, [&](const toml::table& t, size_t i) { service(t, i); });
        });
    top.apply();
    if (d_->providers.empty() && d_->services.empty())
      fail(origin_, root, "provider", "the catalogue lists no provider and no device service");
    compile(root);
  }

  std::shared_ptr<Catalogue::Data> take() { return std::move(d_); }

 private:
  template <typename F>
  void for_each_table(const toml::node& n, const std::string& key, F&& f) {
    const auto* arr = n.as_array();
    if (arr == nullptr || !arr->is_array_of_tables())
      fail(origin_, n, key, "expected [[" + key + "]] tables");
    for (size_t i = 0; i < arr->size(); ++i) f(*arr->get(i)->as_table(), i);
  }

  // "provider[aws]" when the table has a usable id, else "provider[3]".
  static std::string path_of(const char* kind, const toml::table& t, size_t index) {
    auto id = t["id"].value<std::string>();
    return std::string(kind) + "[" + (id && !id->empty() ? *id : std::to_string(index)) + "]";
  }

  void check_id(const toml::table& t, const std::string& path, const std::string& id) {
    const toml::node& at =
        t.get("id") != nullptr ? *t.get("id") : static_cast<const toml::node&>(t);
    if (id.empty()) fail(origin_, at, path + ".id", "must not be empty");
    for (char c : id)
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
        fail(origin_, at, path + ".id", "'" + id + "': use lowercase letters, digits, '-' and '_'");
    if (!ids_.insert(id).second) fail(origin_, at, path + ".id", "duplicate id '" + id + "'");
  }

  // Arrays of inline tables ({ port = 8883, ... }) each read with its own Table.
  template <typename F>
  Table::Setter table_array(const std::string& path, F&& each) {
    return [this, path, each](const toml::node& n, const std::string& key) {
      const auto* arr = n.as_array();
      if (arr == nullptr) fail(origin_, n, key, "expected an array of tables");
      for (const auto& e : *arr) {
        if (!e.is_table()) fail(origin_, e, key, "expected { ... } tables");
        Table t(origin_, *e.as_table(), path);
        each(t, e);
      }
    };
  }

  Table::Setter ports(const std::string& path, std::vector<PortSpec>& out) {
    return table_array(path + ".ports", [this, &out](Table& t, const toml::node& e) {
      PortSpec p;
      t.on("port", t.number(p.port, 1, 65535))
          .on("protocol", t.str(p.protocol))
          .on("tls", t.boolean(p.tls))
          .on("alpn", t.str(p.alpn));
      t.require("port");
      t.require("protocol");
      t.require("tls");
      t.apply();
      if (std::find(kProtocols.begin(), kProtocols.end(), p.protocol) == kProtocols.end())
        fail(origin_, e, t.path() + ".protocol",
             "'" + p.protocol + "' is not one of mqtt, https, http, amqp, coap, cisco-tcp, opcua");
      out.push_back(std::move(p));
    });
  }

  Table::Setter regions(const std::string& path, std::vector<Region>& out) {
    return table_array(path + ".regions", [this, &out](Table& t, const toml::node& e) {
      Region r;
      t.on("code", t.str(r.code))
          .on("city", t.str(r.city))
          .on("country", t.str(r.country))
          .on("lat", t.number(r.latitude, -90, 90))
          .on("lon", t.number(r.longitude, -180, 180))
          .on("approximate", t.boolean(r.approximate));
      for (const char* k : {"code", "city", "country", "lat", "lon"}) t.require(k);
      t.apply();
      auto bad_code = std::find_if_not(r.code.begin(), r.code.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      });
      if (r.code.empty() || bad_code != r.code.end())
        fail(origin_, e, t.path() + ".code", "'" + r.code + "' is not a region label");
      if (r.city.empty()) fail(origin_, e, t.path() + ".city", "must not be empty");
      if (r.country.size() != 2 || !std::isupper(static_cast<unsigned char>(r.country[0])) ||
          !std::isupper(static_cast<unsigned char>(r.country[1])))
        fail(origin_, e, t.path() + ".country",
             "'" + r.country + "' is not an ISO 3166-1 alpha-2 code");
      for (const auto& other : out)
        if (other.code == r.code) fail(origin_, e, t.path() + ".code", "duplicate " + r.code);
      out.push_back(std::move(r));
    });
  }

  // patterns = ['regex', { regex = '...', require = [...], exclude = [...] }, ...]
  Table::Setter patterns(const std::string& path, Provider& p) {
    return [this, path, &p](const toml::node& n, const std::string& key) {
      const auto* arr = n.as_array();
      if (arr == nullptr || arr->empty())
        fail(origin_, n, key, "expected a non-empty array of patterns");
      for (const auto& e : *arr) {
        PatternFilter f;
        std::string regex;
        if (e.is_string()) {
          regex = *e.value<std::string>();
        } else if (e.is_table()) {
          Table t(origin_, *e.as_table(), key);
          t.on("regex", t.str(regex))
              .on("require", t.strings(f.require))
              .on("exclude", t.strings(f.exclude));
          t.require("regex");
          t.apply();
        } else {
          fail(origin_, e, key, "expected a regex string or { regex = ..., exclude = [...] }");
        }
        check_regex(e, key, "provider " + p.id, regex);
        for (const auto& r : f.require) check_regex(e, key + ".require", "provider " + p.id, r);
        for (const auto& r : f.exclude) check_regex(e, key + ".exclude", "provider " + p.id, r);
        p.patterns.push_back(std::move(regex));
        p.filters.push_back(std::move(f));
        pattern_nodes_.push_back(&e);
      }
    };
  }

  void check_regex(const toml::node& at, const std::string& key, const std::string& owner,
                   const std::string& regex) {
    if (regex.empty()) fail(origin_, at, key, owner + ": empty pattern");
    RE2 re(regex, re2_options());
    if (!re.ok())
      fail(origin_, at, key, owner + ": invalid RE2 pattern '" + regex + "': " + re.error());
    const auto& groups = re.NamedCapturingGroups();
    for (const auto& [name, index] : groups)
      if (name != "region")
        fail(origin_, at, key,
             owner + ": pattern '" + regex + "' has a capture group named '" + name +
                 "'; only (?P<region>...) is understood");
  }

  // A name the resolver will ask for: must be a domain name under a registrable domain.
  void check_name(const toml::node& at, const std::string& key, const Provider& p,
                  const std::string& name) {
    std::string why;
    auto norm = normalise_dns_name(name, &why);
    if (!norm || (*norm)[0] == '*')
      fail(origin_, at, key,
           "'" + name + "' is not a domain name" + (why.empty() ? "" : ": " + why));
    if (p.registrable_domains.empty()) return;
    for (const auto& rd : p.registrable_domains) {
      std::string suffix = rd + ".";
      if (*norm == suffix ||
          (norm->size() > suffix.size() &&
           norm->compare(norm->size() - suffix.size() - 1, suffix.size() + 1, "." + suffix) == 0))
        return;
    }
    fail(origin_, at, key, "'" + name + "' is under none of the registrable_domains of " + p.id);
  }

  void provider(const toml::table& tab, size_t index) {
    Provider p;
    std::string path = path_of("provider", tab, index);
    Table t(origin_, tab, path);
    size_t first_pattern = pattern_nodes_.size();
    // `id` first, so that pattern errors can name the provider.
    p.id = tab["id"].value<std::string>().value_or("");
    t.on("id", t.str(p.id))
        .on("name", t.str(p.name))
        .on("historical", t.boolean(p.historical))
        .on("patterns", patterns(path + ".patterns", p))
        .on("name_templates", t.strings(p.name_templates))
        .on("fixed_names", t.strings(p.fixed_names))
        .on("registrable_domains", t.strings(p.registrable_domains))
        .on("docs", t.strings(p.docs))
        .on("regions", regions(path, p.regions))
        .on("ports", ports(path, p.ports))
        .on("asns", [&](const toml::node& n, const std::string& key) {
          const auto* arr = n.as_array();
          if (arr == nullptr) fail(origin_, n, key, "expected an array of AS numbers");
          for (const auto& e : *arr)
            p.asns.push_back(Table::number_value<uint32_t>(origin_, e, key, 1, 4294967295.0));
        });
    for (const char* k : {"id", "name", "patterns", "ports"}) t.require(k);
    t.apply();
    check_id(tab, path, p.id);
    if (p.name.empty()) fail(origin_, *tab.get("name"), path + ".name", "must not be empty");
    if (p.ports.empty()) fail(origin_, *tab.get("ports"), path + ".ports", "lists no port");
    for (const auto& tmpl : p.name_templates) {
      const toml::node& at = *tab.get("name_templates");
      if (tmpl.find("{region}") == std::string::npos)
        fail(origin_, at, path + ".name_templates",
             "'" + tmpl + "' has no {region}; put it in fixed_names");
      if (p.regions.empty())
        fail(origin_, at, path + ".name_templates", "templates need regions to expand over");
      for (const auto& r : p.regions) {
        std::string name = tmpl;
        name.replace(name.find("{region}"), 8, r.code);
        check_name(at, path + ".name_templates", p, name);
      }
    }
    for (const auto& f : p.fixed_names)
      check_name(*tab.get("fixed_names"), path + ".fixed_names", p, f);
    for (size_t i = first_pattern; i < pattern_nodes_.size(); ++i)
      rule_sources_.push_back({Match::Kind::provider, d_->providers.size(), i - first_pattern,
                               pattern_nodes_[i], "provider " + p.id});
    d_->providers.push_back(std::move(p));
  }

  void service(const toml::table& tab, size_t index) {
    DeviceService s;
    std::string path = path_of("service", tab, index);
    Table t(origin_, tab, path);
    s.id = tab["id"].value<std::string>().value_or("");
    bool digit_wildcard = tab["digit_wildcard"].value<bool>().value_or(false);
    std::vector<const toml::node*> domain_nodes;
    t.on("id", t.str(s.id))
        .on("name", t.str(s.name))
        .on("brand", t.str(s.brand))
        .on("level", t.str(s.level))
        .on("parent", t.str(s.parent))
        .on("digit_wildcard", t.boolean(digit_wildcard))
        .on("ports", ports(path, s.ports))
        .on("docs", t.strings(s.docs))
        .on("domains", table_array(path + ".domains", [&](Table& dt, const toml::node& e) {
              DeviceService::Domain d;
              bool subdomains = false;
              bool digits = digit_wildcard;
              dt.on("name", dt.str(d.name))
                  .on("pattern", dt.str(d.pattern))
                  .on("primary", dt.boolean(d.primary))
                  .on("subdomains", dt.boolean(subdomains))
                  .on("digit_wildcard", dt.boolean(digits));
              dt.require("name");
              dt.apply();
              if (!valid_glob_name(d.name))
                fail(origin_, e, dt.path() + ".name", "'" + d.name + "' is not a domain name");
              const bool derived = d.pattern.empty();
              if (derived) d.pattern = device_pattern(d.name, subdomains, digits);
              d.entry = device_entry(d.name, derived && digits);
              check_regex(e, dt.path() + ".pattern", "service " + s.id, d.pattern);
              s.domains.push_back(std::move(d));
              domain_nodes.push_back(&e);
            }));
    for (const char* k : {"id", "name", "level", "domains"}) t.require(k);
    t.apply();
    check_id(tab, path, s.id);
    if (s.brand.empty()) s.brand = s.name;
    if (std::find(kLevels.begin(), kLevels.end(), s.level) == kLevels.end())
      fail(origin_, *tab.get("level"), path + ".level",
           "'" + s.level + "' is not platform, manufacturer or product");
    if (s.domains.empty()) fail(origin_, *tab.get("domains"), path + ".domains", "lists no domain");
    if (!s.parent.empty()) check_parent(*tab.get("parent"), path, s);
    for (size_t i = 0; i < domain_nodes.size(); ++i)
      rule_sources_.push_back(
          {Match::Kind::device, d_->services.size(), i, domain_nodes[i], "service " + s.id});
    d_->services.push_back(std::move(s));
  }

  // A parent is a service listed earlier (so no cycle can form) at a coarser level: a product
  // under a manufacturer or a platform, a manufacturer under a platform.
  void check_parent(const toml::node& at, const std::string& path, const DeviceService& s) {
    auto rank = [](const std::string& level) {
      return std::find(kLevels.begin(), kLevels.end(), level) - kLevels.begin();
    };
    auto it = std::find_if(d_->services.begin(), d_->services.end(),
                           [&](const DeviceService& p) { return p.id == s.parent; });
    if (it == d_->services.end())
      fail(origin_, at, path + ".parent",
           "'" + s.parent + "' is no service listed before this one");
    if (rank(it->level) >= rank(s.level))
      fail(origin_, at, path + ".parent",
           "'" + s.parent + "' is a " + it->level + "; a " + s.level +
               "'s parent must be a coarser level (platform > manufacturer > product)");
  }

  // Builds the rules and the set: providers first (in catalogue order), then device services.
  void compile(const toml::table& root) {
    std::stable_partition(rule_sources_.begin(), rule_sources_.end(),
                          [](const RuleSource& r) { return r.kind == Match::Kind::provider; });
    d_->set = std::make_unique<RE2::Set>(re2_options(), RE2::ANCHOR_BOTH);
    for (const auto& src : rule_sources_) {
      Catalogue::Data::Rule rule;
      rule.kind = src.kind;
      rule.owner = src.owner;
      rule.domain = src.index;
      const std::string* regex;
      const PatternFilter* filter = nullptr;
      if (src.kind == Match::Kind::provider) {
        const auto& p = d_->providers[src.owner];
        regex = &p.patterns[src.index];
        filter = &p.filters[src.index];
      } else {
        regex = &d_->services[src.owner].domains[src.index].pattern;
      }
      rule.re = std::make_unique<RE2>(*regex, re2_options());
      auto groups = rule.re->NamedCapturingGroups();
      if (auto it = groups.find("region"); it != groups.end()) rule.region_group = it->second;
      if (filter != nullptr) {
        for (const auto& r : filter->require)
          rule.require.push_back(std::make_unique<RE2>(r, re2_options()));
        for (const auto& r : filter->exclude)
          rule.exclude.push_back(std::make_unique<RE2>(r, re2_options()));
      }
      std::string error;
      if (d_->set->Add(*regex, &error) < 0)
        fail(origin_, *src.node, "patterns", src.owner_name + ": '" + *regex + "': " + error);
      d_->suffixes.add(*regex);
      d_->rules.push_back(std::move(rule));
    }
    d_->suffixes.finish();
    if (!d_->set->Compile())
      fail(origin_, root, "provider", "the patterns together exceed RE2's memory budget");
  }

  struct RuleSource {
    Match::Kind kind;
    size_t owner, index;
    const toml::node* node;
    std::string owner_name;
  };

  const std::string& origin_;
  std::shared_ptr<Catalogue::Data> d_ = std::make_shared<Catalogue::Data>();
  std::unordered_set<std::string> ids_;
  std::vector<const toml::node*> pattern_nodes_;
  std::vector<RuleSource> rule_sources_;
};

}  // namespace

std::optional<Match> Catalogue::Data::confirm(const Rule& rule, std::string_view name) const {
  for (const auto& r : rule.require)
    if (!RE2::PartialMatch(name, *r)) return std::nullopt;
  for (const auto& r : rule.exclude)
    if (RE2::PartialMatch(name, *r)) return std::nullopt;
  Match m;
  m.kind = rule.kind;
  if (rule.kind == Match::Kind::device) {
    const auto& s = services[rule.owner];
    m.id = s.id;
    m.name = s.name;
    m.primary = s.domains[rule.domain].primary;
    m.domain = s.domains[rule.domain].name;
    m.entry = s.domains[rule.domain].entry;
    return m;
  }
  const auto& p = providers[rule.owner];
  m.id = p.id;
  m.name = p.name;
  if (rule.region_group > 0) {
    std::vector<re2::StringPiece> groups(static_cast<size_t>(rule.region_group) + 1);
    if (!rule.re->Match(name, 0, name.size(), RE2::ANCHOR_BOTH, groups.data(),
                        static_cast<int>(groups.size())))
      return std::nullopt;  // cannot happen: the set said it matches
    const auto& g = groups[static_cast<size_t>(rule.region_group)];
    if (g.data() != nullptr) m.region.assign(g.data(), g.size());
  } else {
    // No capture: the label nearest the registrable domain that is one of the provider's codes.
    auto labels = split_labels(name);
    for (auto it = labels.rbegin(); it != labels.rend() && m.region.empty(); ++it)
      for (const auto& r : p.regions)
        if (r.code == *it) m.region = r.code;
  }
  for (const auto& r : p.regions)
    if (r.code == m.region) m.region_info = &r;
  return m;
}

// Pattern by pattern; only used if the set's DFA runs out of memory on some input.
std::optional<Match> Catalogue::Data::match_slow(std::string_view name) const {
  for (const auto& rule : rules)
    if (RE2::FullMatch(name, *rule.re))
      if (auto m = confirm(rule, name)) return m;
  return std::nullopt;
}

Catalogue Catalogue::from_text(std::string_view text, const std::string& origin) {
  Loader loader(origin);
  toml_walk::parse(std::string(text), origin, [&](const toml::table& root) { loader.apply(root); });
  return Catalogue(loader.take());
}

Catalogue Catalogue::from_file(const std::string& path) {
  return from_text(toml_walk::read_file(path, "catalogue file"), path);
}

Catalogue Catalogue::embedded() {
  static const Catalogue c = from_text(embedded::default_catalogue, "<embedded catalogue>");
  return c;
}

Catalogue Catalogue::load(const Config& config) {
  return config.catalogue_file.empty() ? embedded() : from_file(config.catalogue_file);
}

const std::vector<Provider>& Catalogue::providers() const { return d_->providers; }
const std::vector<DeviceService>& Catalogue::services() const { return d_->services; }

const Provider* Catalogue::provider(std::string_view id) const {
  for (const auto& p : d_->providers)
    if (p.id == id) return &p;
  return nullptr;
}

const DeviceService* Catalogue::service(std::string_view id) const {
  for (const auto& s : d_->services)
    if (s.id == id) return &s;
  return nullptr;
}

std::optional<Match> Catalogue::match(std::string_view name) const {
  if (!d_->suffixes.may_match(name)) return std::nullopt;
  thread_local std::string norm;  // reused, as `hits`: no allocation per name
  if (!normalise_dns_name_into(name, norm)) return std::nullopt;
  if (norm[0] == '*') norm.replace(0, 1, kWildcardStandIn);
  thread_local std::vector<int> hits;
  RE2::Set::ErrorInfo info{RE2::Set::kNoError};
  // Most names match nothing: asking only whether any pattern matches spares RE2 the set of
  // hits it allocates per call, and lets its DFA stop at the first match.
  if (!d_->set->Match(norm, nullptr, &info) && info.kind == RE2::Set::kNoError) return std::nullopt;
  if (!d_->set->Match(norm, &hits, &info)) {
    if (info.kind == RE2::Set::kNoError) return std::nullopt;
    return d_->match_slow(norm);
  }
  std::sort(hits.begin(), hits.end());  // catalogue order: providers, then device services
  for (int h : hits)
    if (auto m = d_->confirm(d_->rules[static_cast<size_t>(h)], norm)) return m;
  return std::nullopt;
}

std::vector<std::string> Catalogue::candidate_names() const {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  auto add = [&](const std::string& name) {
    auto norm = normalise_dns_name(name);
    if (norm && seen.insert(*norm).second) out.push_back(*norm);
  };
  for (const auto& p : d_->providers) {
    for (const auto& f : p.fixed_names) add(f);
    for (const auto& tmpl : p.name_templates)
      for (const auto& r : p.regions) {
        std::string name = tmpl;
        name.replace(name.find("{region}"), 8, r.code);
        add(name);
      }
  }
  for (const auto& s : d_->services)
    for (const auto& d : s.domains)
      if (d.name.find('*') == std::string::npos) add(d.name);
  return out;
}

}  // namespace iotmap::config
