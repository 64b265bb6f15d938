#include "fetch/sources.h"

#include <re2/re2.h>

#include "config/toml_walk.h"

namespace iotmap::embedded {
extern const std::string_view default_sources;
}

namespace iotmap::fetch {
namespace {

using config::toml_walk::fail;
using config::toml_walk::Table;

const char* const kKinds[] = {"file", "dnsdb", "crtsh", "atlas"};

void apply_settings(const std::string& origin, const toml::table& t, FetchSettings& fs) {
  auto& h = fs.http;
  auto& r = h.retry;
  Table tab(origin, t, "fetch");
  bool defaults = true;
  tab.on("defaults", tab.boolean(defaults))
      .on("data_dir", tab.str(fs.data_dir))
      .on("user_agent", tab.str(h.user_agent))
      .on("connect_timeout_s", tab.number(h.connect_timeout_s, 1, 3600))
      .on("timeout_s", tab.number(h.timeout_s, 1, 7 * 86400))
      .on("stall_timeout_s", tab.number(h.stall_timeout_s, 1, 86400))
      .on("retries", tab.number(r.retries, 0, 50))
      .on("backoff_ms", tab.number(r.backoff_ms, 0, 3600000))
      .on("backoff_max_ms", tab.number(r.backoff_max_ms, 0, 86400000))
      .on("retry_after_max_s", tab.number(r.retry_after_max_s, 0, 86400))
      .on("max_bytes", tab.number(h.max_bytes, 1, 1e13))
      .on("progress_min_bytes", tab.number(h.progress_min_bytes, 0, 1e13))
      .on("ca_file", tab.str(h.ca_file))
      .apply();
}

void apply_probe_groups(const std::string& origin, const toml::node& n, const std::string& key,
                        Source& s) {
  const auto* arr = n.as_array();
  if (arr == nullptr)
    fail(origin, n, key, "expected an array of tables {name, type, value, requested}");
  s.probe_groups.clear();
  for (const auto& e : *arr) {
    const auto* t = e.as_table();
    if (t == nullptr) fail(origin, e, key, "expected {name, type, value, requested}");
    ProbeGroup g;
    Table tab(origin, *t, key);
    tab.on("name", tab.str(g.name))
        .on("type", tab.str(g.type))
        .on("value", tab.str(g.value))
        .on("requested", tab.number(g.requested, 1, 1000))
        .apply();
    if (g.name.empty() || g.type.empty() || g.value.empty())
      fail(origin, e, key, "a probe group needs name, type and value");
    s.probe_groups.push_back(std::move(g));
  }
}

void apply_source(const std::string& origin, const std::string& name, const toml::table& t,
                  FetchSettings& fs) {
  std::string path = "source." + name;
  Source* s = nullptr;
  for (auto& e : fs.sources)
    if (e.name == name) s = &e;
  bool is_new = s == nullptr;
  if (is_new) {
    fs.sources.push_back(Source{});
    s = &fs.sources.back();
    s->name = name;
    if (!t.contains("kind")) fail(origin, t, path + ".kind", "missing (a new source needs one)");
  }
  std::string kind, format, compression;
  Table tab(origin, t, path);
  tab.on("kind", tab.str(kind))
      .on("enabled", tab.boolean(s->enabled))
      .on("url", tab.str(s->url))
      .on("file", tab.str(s->file))
      .on("format", tab.str(format))
      .on("index", tab.str(s->index))
      .on("pick", tab.str(s->pick))
      .on("compression", tab.str(compression))
      .on("max_bytes", tab.number(s->max_bytes, 0, 1e13))
      .on("key_env", tab.str(s->key_env))
      .on("key_file", tab.str(s->key_file))
      .on("rrtypes", tab.strings(s->rrtypes))
      .on("window_days", tab.number(s->window_days, 1, 36500))
      .on("limit", tab.number(s->limit, 0, 1e9))
      .on("max_lookups", tab.number(s->max_lookups, 0, 1e9))
      .on("max_rdata_lookups", tab.number(s->max_rdata_lookups, 0, 1e9))
      .on("domains", tab.strings(s->domains))
      .on("exclude_expired", tab.boolean(s->exclude_expired))
      .on("af", tab.number(s->af, 4, 6))
      .on("names", tab.strings(s->names))
      .on("max_names", tab.number(s->max_names, 1, 1e6))
      .on("definitions_per_request", tab.number(s->definitions_per_request, 1, 1000))
      .on("poll_interval_s", tab.number(s->poll_interval_s, 0.01, 86400))
      .on("poll_timeout_s", tab.number(s->poll_timeout_s, 0.01, 7 * 86400))
      .on("probe_groups", [&](const toml::node& n, const std::string& key) {
        apply_probe_groups(origin, n, key, *s);
      });
  tab.apply();
  auto where = [&](const char* key) -> const toml::node& {
    const toml::node* n = t.get(key);
    return n != nullptr ? *n : static_cast<const toml::node&>(t);
  };
  if (!kind.empty()) {
    bool known = false;
    for (int i = 0; i < 4; ++i)
      if (kind == kKinds[i]) {
        s->kind = static_cast<Kind>(i);
        known = true;
      }
    if (!known) fail(origin, where("kind"), path + ".kind", "must be file, dnsdb, crtsh or atlas");
  }
  if (!format.empty()) {
    auto f = parse_format(format);
    if (!f)
      fail(origin, where("format"), path + ".format",
           "must be pfx2as, as2org, aws-ranges, azure-tags, google-ranges, netset, hitlist, "
           "dnsdb or crtsh");
    s->format = *f;
  }
  if (!compression.empty()) {
    try {
      s->compression = parse_compression(compression);
    } catch (const std::exception& e) {
      fail(origin, where("compression"), path + ".compression", e.what());
    }
  }
  if (s->af != 4 && s->af != 6) fail(origin, where("af"), path + ".af", "must be 4 or 6");
  // What each kind needs, checked where the source was defined or changed.
  if (s->kind == Kind::file) {
    if (s->url.empty() && s->index.empty())
      fail(origin, t, path, "a file source needs url or index");
    if (!s->index.empty()) {
      RE2 re(s->pick);
      if (s->pick.empty() || !re.ok() || re.NumberOfCapturingGroups() < 1)
        fail(origin, where("pick"), path + ".pick",
             "with index, pick must be an RE2 pattern with one group (the file's URL)");
    }
    if (is_new && format.empty())
      fail(origin, t, path + ".format", "missing (a file source needs one)");
  } else if (s->url.empty()) {
    fail(origin, t, path + ".url", "missing");
  }
  if (s->file.empty() || s->file.find("..") != std::string::npos || s->file[0] == '/')
    fail(origin, where("file"), path + ".file", "must be a relative name inside data_dir");
  for (const auto& rt : s->rrtypes)
    if (rt != "A" && rt != "AAAA" && rt != "CNAME")
      fail(origin, where("rrtypes"), path + ".rrtypes", "'" + rt + "' is not A, AAAA or CNAME");
  if (s->kind == Kind::atlas)
    for (const auto& rt : s->rrtypes)
      if (rt == "CNAME")
        fail(origin, where("rrtypes"), path + ".rrtypes", "Atlas measures A and AAAA");
}

void apply(const std::string& origin, const toml::table& root, FetchSettings& fs, bool overlay) {
  if (overlay) {
    if (const auto* f = root.get_as<toml::table>("fetch"))
      if (const auto* d = f->get("defaults"); d != nullptr && d->is_boolean() && !*d->value<bool>())
        fs.sources.clear();
  }
  Table top(origin, root, "");
  top.on("fetch",
         [&](const toml::node& n, const std::string& key) {
           if (!n.is_table()) fail(origin, n, key, "expected a [fetch] table");
           apply_settings(origin, *n.as_table(), fs);
         })
      .on("source", [&](const toml::node& n, const std::string& key) {
        if (!n.is_table()) fail(origin, n, key, "expected [source.NAME] tables");
        for (const auto& [k, v] : *n.as_table()) {
          std::string name(k.str());
          if (!v.is_table())
            fail(origin, v, "source." + name, "expected a [source." + name + "] table");
          if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos)
            fail(origin, v, "source." + name, "source names use a-z, 0-9, '-' and '_'");
          apply_source(origin, name, *v.as_table(), fs);
        }
      });
  top.apply();
}

void parse_into(const std::string& text, const std::string& origin, FetchSettings& fs,
                bool overlay) {
  config::toml_walk::parse(text, origin,
                           [&](const toml::table& root) { apply(origin, root, fs, overlay); });
  fs.loaded_from.push_back(origin);
}

}  // namespace

const char* kind_name(Kind k) { return kKinds[static_cast<int>(k)]; }

const Source* FetchSettings::find(const std::string& name) const {
  for (const auto& s : sources)
    if (s.name == name) return &s;
  return nullptr;
}

FetchSettings load_sources_text(const std::string& text, const std::string& origin) {
  FetchSettings fs;
  parse_into(std::string(embedded::default_sources), "<embedded sources>", fs, false);
  parse_into(text, origin, fs, true);
  return fs;
}

FetchSettings load_sources(const std::optional<std::string>& file) {
  FetchSettings fs;
  parse_into(std::string(embedded::default_sources), "<embedded sources>", fs, false);
  if (file) {
    parse_into(config::toml_walk::read_file(*file, "the sources file"), *file, fs, true);
  }
  return fs;
}

}  // namespace iotmap::fetch
