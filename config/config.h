// The run configuration: an embedded default (config/default.toml) overlaid by an optional
// user file. Every key is validated at start; an error names the file, line and key.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net.h"

namespace iotmap::config {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct ResolverEndpoint {
  IpAddress address;
  uint16_t port = 53;
  std::string str() const;  // "192.0.2.1:53" or "[2001:db8::1]:53"
};

// A named set of recursive resolvers that stands for one place in the network.
struct VantagePoint {
  std::string name;
  std::string location;
  std::vector<ResolverEndpoint> resolvers;
  std::optional<Prefix> client_subnet;  // sent as EDNS client subnet when set
  // When set, `resolvers` are this host's own, read from this resolv.conf(5) file when the
  // configuration is loaded (config/resolv_conf.h), and `notes` says what it skipped.
  std::string resolv_conf;
  std::vector<std::string> notes;
};

struct ResolverSettings {
  int max_in_flight = 1000;  // per resolver
  double qps = 2000;         // per resolver
  int timeout_ms = 2000;
  int retries = 2;
  int max_cname_chain = 16;
  // resolve --ptr: queries per second per resolver for the reverse names of candidate
  // addresses (also capped by qps); reverse zones belong to the address owners, whose servers
  // are often small.
  double ptr_qps = 20;
  // `iotmap daily` runs its resolve stage with --ptr: the footprint's PTR names and the
  // reasons' host names stay current at one round of reverse queries a day (hourly never asks).
  bool daily_ptr = true;
};

struct ScanSettings {
  std::vector<uint16_t> ports;  // empty: the catalogue's ports per provider
  double rate = 100;            // new connections per second, all workers together
  int max_in_flight = 1000;
  int timeout_ms = 8000;  // deadline for one whole exchange
  int per_ip_spacing_ms = 1000;
  int per_prefix_spacing_ms = 100;  // per IPv4 /24 or IPv6 /48
  uint64_t max_bytes = uint64_t{256} * 1024;
  uint64_t cidr_cap = 65536;  // largest prefix expansion accepted
  // most targets (addresses) of one scan; each costs some 700 bytes with its connections
  uint64_t max_targets = 1000000;
  uint64_t seed = 0;  // 0: a new random seed per scan (recorded in the run)
  bool probe_without_sni = true;
  bool probe_with_names = true;
  int max_names_per_address = 4;  // names sent as SNI per address and TLS port (ETHICS.md)
  int workers = 0;                // 0: one per core
  // "full": every TLS handshake completes; "cert": where no application probe follows, it stops
  // once the server's certificates have arrived (docs/scan-output.md)
  std::string tls_mode = "full";
};

struct EthicsSettings {
  // Both files: a relative path is relative to the configuration file that names it.
  std::string blocklist_file;     // CIDRs never probed; a scan refuses to start without it
  std::string optout_file;        // CIDRs of operators who asked to be left out; must exist
  std::string contact;            // e-mail or URL shown on the info page; required to scan
  bool default_blocklist = true;  // also block IANA special-purpose ranges
  double max_rate = 10000;        // hard cap on scan.rate, whatever the configuration says
};

struct Sources {
  std::string data_dir;                  // where fetched sources are kept
  std::vector<std::string> passive_dns;  // DNSDB JSON-lines files
  std::string pfx2as;                    // CAIDA RouteViews prefix-to-AS (v4 and v6 files)
  std::vector<std::string> pfx2as_extra;
  std::string as2org;
  std::string cloud_ases;  // cloud and CDN ASes (backend_map/cloud_ases.h); "": the built-in list
  std::string geoip;       // MaxMind-format database
  std::vector<std::string> published_ranges;  // Azure service tags / AWS ip-ranges.json
  std::string blocklist_overlap;              // FireHOL netset
  std::vector<std::string> ipv6_hitlists;
  std::string fetch_file;  // where and how `iotmap fetch` downloads (fetch/sources.toml format)
};

struct ClassifySettings {
  int window_days = 7;
  int shared_threshold = 0;                // non-matching names tolerated on a dedicated IP
  std::string hitlist_rule = "exclusive";  // "exclusive" (one registrable domain) or "threshold"
};

// `iotmap detect` (docs/detect.md). The key of the subscriber hash is never in this file's
// values: it comes from IOTMAP_DETECT_KEY or from the file key_file names.
struct DetectSettings {
  double d = 0.4;                        // Haystack's D
  std::string device_rule = "haystack";  // "haystack" or "guo-heidemann"
  int scanner_threshold = 100;           // hitlist addresses a day that make a scanner; 0: none
  std::string subscribers = "hash";      // "hash" (keyed) or "prefix" (/prefix_v4, /prefix_v6)
  std::string key_file;                  // the hash key, read when IOTMAP_DETECT_KEY is unset
  int prefix_v4 = 24;
  int prefix_v6 = 48;
  // `daily` runs `detect --date D` on the files in flows_dir/D/ ("": no detect stage).
  std::string flows_dir;
};

struct Config {
  std::string db_path;
  std::string catalogue_file;  // empty: the embedded catalogue
  std::vector<VantagePoint> vantage_points;
  ResolverSettings resolver;
  ScanSettings scan;
  EthicsSettings ethics;
  Sources sources;
  ClassifySettings classify;
  DetectSettings detect;
  std::vector<std::string> loaded_from;  // "<embedded default>", then the user file
  // Where each section key in force was set: "scan.rate" -> "file:line", for errors that
  // involve more than one key.
  std::map<std::string, std::string> set_at;
};

// Loads the embedded default, then `file` on top of it. Throws ConfigError.
Config load(const std::optional<std::string>& file);
// Same, from text (tests); `origin` names the text in errors.
Config load_text(const std::string& text, const std::string& origin);

// Why `contact` cannot be ethics.contact, "" when it can. It goes into the User-Agent of every
// HTTP probe and onto the info page, so it must be printable ASCII (no CR, LF or other control
// characters) and not blank. Empty means "not set", which only a scan refuses.
std::string contact_problem(std::string_view contact);

// The default database path: $IOTMAP_DB, else $XDG_DATA_HOME/iotmap/iotmap.db when
// XDG_DATA_HOME is set, else ./iotmap.db.
std::string default_db_path();

}  // namespace iotmap::config
