// Passive DNS import: DNSDB's JSON-lines export format, one record set per line:
//   {"rrname":"x.example.","rrtype":"A","rdata":["192.0.2.1"],"time_first":N,"time_last":N,...}
// also wrapped as the API streams it ({"obj": {...}}), with zone_time_first/zone_time_last
// instead of time_first/time_last, and with SAF control lines ({"cond":"begin"}) that carry no
// record. Records are kept when their rrname passes the filter (the catalogue's patterns) and
// their [time_first, time_last] overlaps the window. Malformed lines are reported as
// "FILE:LINE: reason" and skipped; they never stop the import.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "config/catalogue.h"
#include "db/store.h"

namespace iotmap::resolver {

struct PdnsRecord {
  std::string rrname;  // normalized: lower case, no trailing dot
  std::string rrtype;  // upper case, as DNSDB writes it
  std::string rdata;   // one value; a record set with three values gives three records
  int64_t time_first = 0;
  int64_t time_last = 0;
};

struct PdnsFilter {
  std::function<bool(const std::string& rrname)> name;  // empty: every name
  int64_t from = INT64_MIN;                             // window [from, to)
  int64_t to = INT64_MAX;
  std::vector<std::string> rrtypes = {"A", "AAAA", "CNAME"};  // empty: every type
};

struct PdnsStats {
  uint64_t lines = 0;
  uint64_t records = 0;  // record sets read
  uint64_t kept = 0;     // values handed to the callback
  uint64_t outside_window = 0;
  uint64_t not_matching = 0;  // rrname or rrtype filtered out
  uint64_t malformed = 0;
  std::vector<std::string> errors;  // "FILE:LINE: reason", the first kMaxErrors of them
  static constexpr size_t kMaxErrors = 100;
};

// Parses one line. Returns false with `error` set when the line is not a DNSDB record; a SAF
// control line or an empty line yields true and no records.
bool parse_dnsdb_line(std::string_view line, std::vector<PdnsRecord>& out, std::string& error);

// Reads `in` line by line, calling `on_record` for every kept value.
PdnsStats read_dnsdb(std::istream& in, const std::string& origin, const PdnsFilter& filter,
                     const std::function<void(const PdnsRecord&)>& on_record);

// A candidate name with the catalogue's provider and region (both "" when it matches none).
db::NameRow catalogue_name_row(const config::Catalogue& cat, const std::string& name,
                               const std::string& source, int64_t seen);

struct PdnsImport {
  PdnsStats stats;
  size_t names = 0;  // distinct rrnames recorded as candidate names
};

// Reads a DNSDB stream into the store, as `iotmap resolve --pdns` and `iotmap fetch` both do:
// records whose rrname matches the catalogue (filter.name is replaced by the catalogue's
// patterns) go to the pdns table under `source`, and their rrnames become candidate names
// (source "pdns", last seen = their latest time_last), in batches.
PdnsImport import_pdns(std::istream& in, const std::string& origin, PdnsFilter filter,
                       const std::string& source, const config::Catalogue& cat, db::Store& store);

}  // namespace iotmap::resolver
