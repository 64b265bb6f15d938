// The source list as data: the embedded fetch/sources.toml overlaid by an optional
// `--sources FILE`. Validated when loaded; an error names file, line and key (ConfigError).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fetch/decode.h"
#include "fetch/formats.h"
#include "fetch/http.h"

namespace iotmap::fetch {

enum class Kind { file, dnsdb, crtsh, atlas };
const char* kind_name(Kind k);

// A set of RIPE Atlas probes standing for one vantage point ("atlas-de": 5 probes in DE).
struct ProbeGroup {
  std::string name;  // the vantage point the resolutions are filed under
  std::string type;  // Atlas probe selection: country, asn, area, prefix, probes, msm
  std::string value;
  int requested = 5;
};

struct Source {
  std::string name;
  Kind kind = Kind::file;
  bool enabled = true;
  std::string url;
  std::string file;  // under data_dir: the file, or for crtsh/atlas a directory
  // kind = "file"
  Format format = Format::pfx2as;
  std::string index;  // a page or log listing releases; empty: `url` is the file
  std::string pick;   // RE2 with one group, searched in the index
  Compression compression = Compression::sniff;
  uint64_t max_bytes = 0;  // 0: [fetch] max_bytes
  // APIs
  std::string key_env, key_file;
  std::vector<std::string> rrtypes;
  // dnsdb
  int window_days = 30;
  int limit = 10000;
  int max_lookups = 1000;
  int max_rdata_lookups = 1000;  // reverse look-ups of candidate addresses per run; 0: none
  // crtsh
  std::vector<std::string> domains;
  bool exclude_expired = true;
  // atlas
  int af = 4;
  std::vector<std::string> names;
  int max_names = 50;
  int definitions_per_request = 25;
  double poll_interval_s = 60;
  double poll_timeout_s = 1800;
  std::vector<ProbeGroup> probe_groups;
};

struct FetchSettings {
  std::string data_dir;
  HttpSettings http;
  std::vector<Source> sources;
  std::vector<std::string> loaded_from;

  const Source* find(const std::string& name) const;
};

// The embedded list, then `file` on top. Throws config::ConfigError.
FetchSettings load_sources(const std::optional<std::string>& file);
// Same from text (tests); `origin` names it in errors.
FetchSettings load_sources_text(const std::string& text, const std::string& origin);

}  // namespace iotmap::fetch
