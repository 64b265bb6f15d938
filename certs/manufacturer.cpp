#include "certs/manufacturer.h"

#include <toml++/toml.h>

#include <array>
#include <fstream>
#include <sstream>

#include "certs/names.h"
#include "lib/text.h"

namespace iotmap::embedded {
extern const std::string_view default_manufacturers;
}

namespace iotmap::certs {
namespace {

// ---- keyword file --------------------------------------------------------------------------

[[noreturn]] void fail(const std::string& origin, const toml::node& node, const std::string& key,
                       const std::string& msg) {
  std::ostringstream os;
  os << origin << ":" << node.source().begin.line << ": " << key << ": " << msg;
  throw KeywordError(os.str());
}

std::vector<std::string> strings(const std::string& origin, const toml::node& node,
                                 const std::string& key) {
  const auto* arr = node.as_array();
  if (arr == nullptr) fail(origin, node, key, "expected an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *arr) {
    auto v = item.value<std::string>();
    if (!item.is_string() || !v) fail(origin, item, key, "expected a string");
    if (v->empty()) fail(origin, item, key, "empty string");
    out.push_back(*v);
  }
  return out;
}

ManufacturerKeys manufacturer(const std::string& origin, const toml::table& t, size_t index) {
  ManufacturerKeys m;
  std::string path = "manufacturer[" + std::to_string(index) + "]";
  for (const auto& [k, v] : t) {
    std::string key = path + "." + std::string(k.str());
    if (k == "key") {
      auto s = v.value<std::string>();
      if (!v.is_string() || !s || s->empty()) fail(origin, v, key, "expected a non-empty string");
      m.key = *s;
    } else if (k == "products") {
      m.products = strings(origin, v, key);
    } else if (k == "placeholder_names") {
      m.placeholder_names = strings(origin, v, key);
    } else if (k == "device_domains") {
      m.device_domains = strings(origin, v, key);
    } else if (k == "device_issuers") {
      m.device_issuers = strings(origin, v, key);
    } else {
      fail(origin, v, key, "unknown key");
    }
  }
  if (m.key.empty()) fail(origin, t, path, "missing key");
  return m;
}

// ---- matching --------------------------------------------------------------------------------

bool is_separator(char ch) { return ch == ' ' || ch == '_' || ch == '-'; }

char lower(char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch - 'A' + 'a') : ch; }

bool same_char(char key, char field) {
  return lower(key) == lower(field) || (is_separator(key) && is_separator(field));
}

// A letter or digit for Good-Match; non-ASCII bytes are parts of (probably) letters.
bool is_word_char(char ch) {
  auto u = static_cast<unsigned char>(ch);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u >= 0x80;
}

bool find_key(std::string_view key, std::string_view field, bool good) {
  if (key.empty() || key.size() > field.size()) return false;
  for (size_t i = 0; i + key.size() <= field.size(); ++i) {
    bool equal = true;
    for (size_t j = 0; j < key.size() && equal; ++j) equal = same_char(key[j], field[i + j]);
    if (!equal) continue;
    if (!good) return true;
    size_t end = i + key.size();
    if ((i == 0 || !is_word_char(field[i - 1])) &&
        (end == field.size() || !is_word_char(field[end])))
      return true;
  }
  return false;
}

bool equal_text(std::string_view a, std::string_view b) {
  return a.size() == b.size() && find_key(a, b, false);
}

// Spaces and tabs only: a CR or LF inside a certificate field is part of its value.
std::string_view trim(std::string_view s) { return iotmap::trim(s, " \t"); }

// A field that is a URL or a domain name is matched against its domain only: the label left of
// the public suffix (seed 000 section II-A1), so "*.sharp.accedo.tv" is Accedo's, not Sharp's.
std::string key_target(std::string_view value) {
  std::string_view v = trim(value);
  size_t scheme = v.find("://");
  if (scheme != std::string_view::npos) v.remove_prefix(scheme + 3);
  v = v.substr(0, v.find_first_of("/?#"));
  if (size_t at = v.rfind('@'); at != std::string_view::npos) v.remove_prefix(at + 1);
  if (size_t colon = v.rfind(':'); colon != std::string_view::npos && v.find(':') == colon)
    v = v.substr(0, colon);
  if (v.starts_with("*.")) v.remove_prefix(2);
  if (auto rd = registrable_domain(v)) return rd->substr(0, rd->find('.'));
  return std::string(value);
}

std::vector<std::string_view> values(const std::vector<std::pair<std::string, std::string>>& fields,
                                     std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : fields)
    if (k == name) out.push_back(v);
  return out;
}

bool under(std::string_view name, std::string_view zone) {
  std::string z = ascii_lower(zone);
  if (z.ends_with('.')) z.pop_back();
  return name == z ||
         (name.size() > z.size() && name.ends_with(z) && name[name.size() - z.size() - 1] == '.');
}

struct Fields {
  std::vector<std::string_view> o, ou, cn, san, issuer_o;
  // key_target of each value of o, ou, cn and san, found once per certificate rather than once
  // per keyword entry: each is a public-suffix look-up, which perf put at 12% of an import
  // whose certificates are all new.
  std::vector<std::string> o_key, ou_key, cn_key, san_key;
};

std::vector<std::string> key_targets(const std::vector<std::string_view>& values) {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (auto v : values) out.push_back(key_target(v));
  return out;
}

// Where the manufacturer key Good-Matches, or "" when nowhere the rule looks.
std::string manufacturer_field(const Fields& f, const ManufacturerKeys& m, const KeywordList& kw) {
  bool o_named = false;
  for (size_t i = 0; i < f.o.size(); ++i) {
    std::string_view o = f.o[i];
    bool placeholder = trim(o).empty();
    for (const auto& p : kw.placeholder_organizations)
      placeholder = placeholder || equal_text(p, trim(o));
    if (placeholder) continue;
    o_named = true;
    if (key_good_match(m.key, f.o_key[i])) return "O";
  }
  if (o_named) return "";
  const std::array<std::pair<const char*, const std::vector<std::string>*>, 3> others{
      {{"OU", &f.ou_key}, {"CN", &f.cn_key}, {"SAN", &f.san_key}}};
  for (const auto& [name, list] : others)
    for (const auto& v : *list)
      if (key_good_match(m.key, v)) return name;
  return "";
}

std::string product_match(const Fields& f, const ManufacturerKeys& m) {
  for (const auto& p : m.products)
    for (const auto* list : {&f.o, &f.ou, &f.cn, &f.san})
      for (auto v : *list)
        if (key_match(p, v)) return p;
  return "";
}

bool rule_self_signed(const Certificate& c, const Fields& f, const ManufacturerKeys& m) {
  if (c.self_signed) return true;
  for (auto io : f.issuer_o) {
    if (trim(io).empty()) continue;
    if (key_match(m.key, io)) return true;
    for (const auto& i : m.device_issuers)
      if (key_match(i, io)) return true;
    for (const auto* list : {&f.o, &f.ou, &f.cn})
      for (auto v : *list)
        if (equal_text(trim(io), trim(v))) return true;
  }
  return false;
}

// The first CN that is a valid public domain name and not a placeholder, DDNS or device name.
std::string public_domain_cn(const Fields& f, const ManufacturerKeys& m, const KeywordList& kw) {
  std::string www;
  for (char ch : m.key)
    if (!is_separator(ch)) www.push_back(lower(ch));
  www = "www." + www + ".com";
  for (auto cn : f.cn) {
    std::string name = ascii_lower(trim(cn));
    if (name.ends_with('.')) name.pop_back();
    if (name.starts_with("*.")) name.erase(0, 2);
    if (!is_public_domain(name) || name == www) continue;
    bool excused = false;
    for (const auto& p : m.placeholder_names) excused = excused || name == ascii_lower(p);
    for (const auto& d : m.device_domains) excused = excused || under(name, d);
    for (const auto& d : kw.ddns_suffixes) excused = excused || under(name, d);
    if (!excused) return std::string(trim(cn));
  }
  return "";
}

}  // namespace

bool key_match(std::string_view key, std::string_view field) { return find_key(key, field, false); }
bool key_good_match(std::string_view key, std::string_view field) {
  return find_key(key, field, true);
}

KeywordList parse_keywords(std::string_view text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << origin << ":" << e.source().begin.line << ": " << e.description();
    throw KeywordError(os.str());
  }
  KeywordList kw;
  for (const auto& [k, v] : root) {
    std::string key(k.str());
    if (k == "placeholder_organizations") {
      kw.placeholder_organizations = strings(origin, v, key);
    } else if (k == "ddns_suffixes") {
      kw.ddns_suffixes = strings(origin, v, key);
    } else if (k == "manufacturer") {
      const auto* arr = v.as_array();
      if (arr == nullptr) fail(origin, v, key, "expected [[manufacturer]] tables");
      for (const auto& item : *arr) {
        const auto* t = item.as_table();
        if (t == nullptr) fail(origin, item, key, "expected a table");
        kw.manufacturers.push_back(manufacturer(origin, *t, kw.manufacturers.size()));
      }
    } else {
      fail(origin, v, key, "unknown key");
    }
  }
  return kw;
}

KeywordList load_keywords(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw KeywordError(path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_keywords(text.str(), path);
}

const KeywordList& default_keywords() {
  static const KeywordList list =
      parse_keywords(embedded::default_manufacturers, "certs/manufacturers.toml");
  return list;
}

ManufacturerMatch match_manufacturer(const Certificate& c, const KeywordList& keywords) {
  Fields f;
  f.o = values(c.subject_fields, "O");
  f.ou = values(c.subject_fields, "OU");
  f.cn.assign(c.common_names.begin(), c.common_names.end());
  f.san.assign(c.dns_sans.begin(), c.dns_sans.end());
  f.issuer_o = values(c.issuer_fields, "O");
  f.o_key = key_targets(f.o);
  f.ou_key = key_targets(f.ou);
  f.cn_key = key_targets(f.cn);
  f.san_key = key_targets(f.san);
  ManufacturerMatch best;
  for (const auto& m : keywords.manufacturers) {
    ManufacturerMatch r;
    r.field = manufacturer_field(f, m, keywords);
    if (r.field.empty()) continue;
    if (!m.products.empty()) {
      r.product = product_match(f, m);
      if (r.product.empty()) continue;
    }
    r.candidate = true;
    r.manufacturer = m.key;
    r.self_signed = rule_self_signed(c, f, m);
    r.public_domain_cn = public_domain_cn(f, m, keywords);
    r.device = r.self_signed && r.public_domain_cn.empty();
    if (r.device) return r;
    if (!best.candidate) best = std::move(r);
  }
  return best;
}

}  // namespace iotmap::certs
