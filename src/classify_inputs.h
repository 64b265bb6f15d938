// The edge between the store and the backend map: reads a window of resolutions, passive DNS,
// TLS observations and candidate names into a backend_map::Dataset, and the configured
// prefix-to-AS, as2org, geolocation, published-range and blocklist files into FootprintInputs.
// Used by `iotmap classify`, `iotmap report footprint` and `iotmap export hitlist`.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend_map/catalogue_view.h"
#include "backend_map/classify.h"
#include "backend_map/footprint.h"
#include "backend_map/geo.h"
#include "config/config.h"
#include "db/store.h"
#include "src/cli.h"

namespace iotmap::cli {

struct WindowData {
  backend_map::Dataset data;
  backend_map::Day first = 0, last = 0;
  size_t resolutions = 0, pdns = 0, tls = 0, address_names = 0;  // rows read
};

// One address_names row of `day` into the data set: an A/AAAA record becomes an observation of
// source pdns_reverse (bulk for a forward-DNS data set), a CNAME an edge. PTR rows are no
// served names (docs/backend-map.md): they become Dataset::ptr_names hints; returns false.
bool add_address_name(backend_map::Dataset& d, backend_map::Day day, const db::AddressNameRow& r);

// Days [date - window_days + 1, date]. Every (ip, name, chain) resolved on a day becomes a
// resolution of that day (active DNS); passive DNS A/AAAA and CNAME records, and the address
// evidence (address_names), count on every day their first..last seen range touches; TLS
// observations that returned a certificate add its names on the IP, and every answered port adds a
// service.
WindowData load_window(db::Store& store, backend_map::Day date, int window_days);

struct FootprintSources {
  backend_map::PrefixTable pfx2as;
  std::unordered_map<uint32_t, backend_map::AsOrg> as2org;
  std::vector<backend_map::CloudAs> cloud_ases;  // [sources] cloud_ases, when set
  std::unique_ptr<backend_map::MaxMindGeo> geo;
  backend_map::FootprintInputs inputs;
  std::vector<std::string> problems;  // unreadable files, malformed lines (first few)
};

// Reads [sources] pfx2as (+ pfx2as_extra), as2org, cloud_ases (else the built-in list), geoip,
// published_ranges (Azure service tags go to the provider "microsoft", AWS ip-ranges to "aws") and
// blocklist_overlap. Missing settings leave the parts empty; unreadable files are reported in
// `problems`.
std::unique_ptr<FootprintSources> load_footprint_sources(const config::Config& config,
                                                         const backend_map::CatalogueView& view);

// --date YYYY-MM-DD (required) and --window DAYS (1..366, else `fallback`); UsageError otherwise.
backend_map::Day classify_date_option(Args& args);
int classify_window_option(Args& args, int fallback);

// Store spellings: "name." and day start in Unix seconds.
std::string store_name(std::string_view name);
int64_t day_seconds(backend_map::Day day);

// Gives every hitlist row without a stored catalogue entry the current catalogue's
// (backend_map::catalogue_entry); returns how many it gave. classify fills the rows it stores;
// detect and `export hitlist` read a day's stored entries, so that the rule's N is the day's, and
// fill only the rows of days classified before entries were stored (schema version 8).
size_t fill_entries(std::vector<db::HitlistRow>& rows, const backend_map::CatalogueView& view);
// The one stderr line of `command` when fill_entries had to fill a stored day's rows.
void note_current_catalogue(std::string_view command, std::string_view day, size_t filled);

}  // namespace iotmap::cli
