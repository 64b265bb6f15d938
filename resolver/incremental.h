// The hourly `iotmap resolve` imports only what is new since its previous run: passive-DNS files
// whose content or filter changed, and the certificate names of TLS observations that are new.
// The decisions live here, apart from files and the database, so that unit tests can check them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/catalogue.h"
#include "db/rows.h"
#include "resolver/pdns.h"

namespace iotmap::resolver {

// The counter under which a resolve run records the highest TLS observation id it has read
// certificate names from (runs.counts); the next run starts after it.
inline constexpr const char* kCertObservationCount = "cert_observation_id";

// Which TLS observations a run takes certificate names from: id > after_id or
// observed_at >= since.
struct CertCursor {
  int64_t after_id = 0;
  int64_t since = INT64_MAX;  // every id is above 0: the first run needs no second look by time
};

// From the latest ok/partial resolve run that imported certificate names (nullopt: none, so
// every observation). Observed since its start is what is new; the id catches what was stored
// after its read but observed before its start: a scan batch in flight, or a `merge` bringing
// a shard's older observations. The time alone catches rows whose ids SQLite reused after a
// prune deleted the newest ids.
CertCursor cert_cursor(const std::optional<db::RunRecord>& previous);

// Candidate names (source "cert") from the names of observed certificates: "*.x" gives "x"
// (the wildcard's parent is a name a client may be told to use), names that the catalogue does
// not match are dropped, first and last seen are those of the observations. A name seen over a
// span gives two rows, one at each end, because upsert_names widens first_seen and last_seen by
// each row's one time.
std::vector<db::NameRow> cert_name_rows(const config::Catalogue& cat,
                                        const std::vector<db::ObservedCertName>& seen);

// What decides the records an import of a passive-DNS file keeps: the window, the record types
// and the catalogue (ids, patterns, filters, regions). A file read under another key is read
// again even when its content is the same: a new pattern may keep records the last import did
// not.
std::string pdns_filter_key(const PdnsFilter& filter, const config::Catalogue& cat);

// True when `stored` is an import of the same content under the same filter key.
bool pdns_file_unchanged(const std::optional<db::PdnsFileRow>& stored, const std::string& sha256,
                         const std::string& filter_key);

// The jobs (name x type x vantage point) of one run and which of them already have their
// answered row for the run's hour, read from the store: a second run in the same hour asks only
// for the rest. A row without a reply (db::resolution_unanswered) leaves its job to do; rows of
// other types or vantage points are not this run's jobs and count for nothing.
class HourJobs {
 public:
  // `qtypes` ("A", "AAAA") and `vantages` (names) in the run's order.
  HourJobs(std::vector<std::string> qtypes, std::vector<std::string> vantages);
  void add(const db::ResolutionRow& stored);
  bool empty() const { return done_.empty(); }
  bool done(const std::string& name, size_t type, size_t vantage) const;
  // Every type x vantage point of `name` done.
  bool complete(const std::string& name) const;
  // How many jobs of `names` are not done.
  uint64_t missing(const std::vector<std::string>& names) const;

 private:
  std::vector<std::string> qtypes_, vantages_;
  std::unordered_map<std::string, std::vector<bool>> done_;  // name -> [type * vantages + vp]
};

// Keeps, in order, the names (and their ids when `ids` is not empty) that some job of `jobs`
// is still missing for; returns how many were dropped as complete.
size_t keep_unfinished(const HourJobs& jobs, std::vector<std::string>& names,
                       std::vector<int64_t>& ids);

}  // namespace iotmap::resolver
