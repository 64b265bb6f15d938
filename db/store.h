// The store: iotmap's one way to write measurements into the database and read them back.
// Writes take batches of plain rows (db/rows.h) and run each batch in one transaction with
// prepared statements. Every write is idempotent (natural unique keys with ON CONFLICT DO
// NOTHING or an upsert), so re-running an hour, a scan or a day adds nothing twice; never
// INSERT OR IGNORE, which would also drop rows that fail a CHECK or NOT NULL without a word.
// Reads stream large results through a callback instead of building vectors of millions of
// rows.
//
// A Store is used by one thread at a time. Each write method runs its own transaction, so do
// not call one inside a transaction opened through database(). A read's callback may run
// other reads but must not write (collect, then write) nor start the same read again.
// Errors throw db::Error (db/sqlite.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "db/rows.h"
#include "db/sqlite.h"

namespace iotmap::db {

class Store {
 public:
  // Opens the database (creating it and its directory if missing) and migrates it.
  explicit Store(const std::string& path) : Store(path, Database::Options{}) {}
  // Commands that only read pass {.create = false}: a mistyped path is then an error naming
  // it instead of a new empty database (and directories) that reports nothing.
  Store(const std::string& path, Database::Options options);

  // For queries the store does not offer; keep writes to the store's own methods.
  Database& database() { return db_; }

  // --- runs: one row per invocation of a stage ---
  int64_t begin_run(const RunInfo& run);
  // status: ok|failed|partial|interrupted. Throws if no run has this id.
  void finish_run(int64_t id, std::string_view status,
                  const std::map<std::string, int64_t>& counts = {}, std::string_view message = {});
  std::optional<RunRecord> run(int64_t id);
  // Marks the other runs of `kind` still 'running' as failed with `message`, keeping their
  // counts; returns their ids. Only for a caller holding the lock that admits one run of `kind`
  // at a time: such runs belong to a process that died (SIGKILL, power loss, OOM).
  std::vector<int64_t> close_stale_runs(const std::string& kind, int64_t current,
                                        std::string_view message);
  // The same for the runs of `kind` still 'running' with an id in (after, before): the stage
  // runs of a job that died, which no lock of their own protects.
  std::vector<int64_t> close_stale_runs_between(const std::string& kind, int64_t after,
                                                int64_t before, std::string_view message);
  // Sets the status and message of a run and leaves it unfinished (finished_at NULL): a scan
  // that failed or was stopped stays resumable. Throws if no run has this id.
  void set_run_status(int64_t id, std::string_view status, std::string_view message);

  // --- names and vantage points ---
  int64_t upsert_vantage_point(const VantagePointRow& vp);
  // Adds or widens each name and its (name, source) record.
  void upsert_names(std::span<const NameRow> names);
  // Every candidate name, sorted; `seen_at` is its last_seen (0 if never seen by a source).
  std::vector<NameRow> candidate_names();

  // --- active and passive DNS ---
  // Returns how many rows were new or replaced. A row whose (hour, name, qtype, vantage) is
  // already stored is skipped with its answers: the first result with a reply stands. A stored
  // row without one (db/resolution_status.h) is replaced by a new row that has one.
  size_t add_resolutions(std::span<const ResolutionRow> rows);
  // Resolutions with hour in [from, to), grouped with their answers, in (hour, name) order.
  void for_each_resolution(int64_t from, int64_t to,
                           const std::function<void(const ResolutionRow&)>& fn);
  // Distinct (ip, name, CNAME chain) of resolutions with hour in [from, to), sorted by ip then
  // name: what the classifier needs to see every name that lands on an IP.
  void for_each_ip_name(int64_t from, int64_t to, const std::function<void(const IpNameRow&)>& fn);
  // Upserts on (rrname, rrtype, rdata), widening time_first/time_last.
  void upsert_pdns(std::span<const PdnsRow> rows);
  // Records whose [time_first, time_last] overlaps [from, to).
  void for_each_pdns(int64_t from, int64_t to, const std::function<void(const PdnsRow&)>& fn);

  // --- what else points at candidate addresses (address_names) ---
  // Upserts on (ip, name, rrtype, target, kind), widening time_first/time_last.
  void upsert_address_names(std::span<const AddressNameRow> rows);
  // Rows whose [time_first, time_last] overlaps [from, to), in (ip, name) order.
  void for_each_address_name(int64_t from, int64_t to,
                             const std::function<void(const AddressNameRow&)>& fn);
  // Candidate addresses of [from, to): those a provider or device-service name (names.provider
  // not empty) resolved to in our resolutions or in passive DNS, and those address_names holds.
  std::vector<std::string> candidate_addresses(int64_t from, int64_t to);

  // --- TLS ---
  // Certificates are stored once per sha256; returns how many were new.
  size_t add_certificates(std::span<const CertificateRow> certs);
  void add_cert_names(std::span<const CertNameRow> names);
  std::optional<CertificateRow> certificate(std::string_view sha256);
  // Stores `certs` first (the observations refer to them), then the observations, in one
  // transaction. Returns how many observations were new (unique per run, ip, port, sni).
  size_t add_tls_observations(std::span<const TlsObservationRow> rows,
                              std::span<const CertificateRow> certs = {});
  void for_each_tls_observation(int64_t from, int64_t to,
                                const std::function<void(const TlsObservationRow&)>& fn);
  // Upserts the checkpoint of a scan run.
  void save_checkpoint(const ScanCheckpoint& cp);
  // Begins a scan run and saves its first checkpoint (cp.run_id is set here) in one
  // transaction: a scan killed at any moment leaves no run, or one the same command resumes.
  int64_t begin_scan_run(const RunInfo& run, ScanCheckpoint cp);
  // One batch of a scan in one transaction: certificates, observations, certificate names and
  // the checkpoint covering them, so that a scan killed at any moment never leaves observations
  // without their checkpoint or a checkpoint ahead of observations. Returns how many
  // observations were new.
  // `devices`: the device certificates among them (certs/devices.h), in the same transaction.
  size_t add_scan_batch(std::span<const TlsObservationRow> rows,
                        std::span<const CertificateRow> certs, std::span<const CertNameRow> names,
                        const ScanCheckpoint& cp,
                        std::span<const DeviceCertificateRow> devices = {});
  // A batch of `iotmap import certs`: as add_scan_batch without a checkpoint.
  size_t add_import_batch(std::span<const TlsObservationRow> rows,
                          std::span<const CertificateRow> certs, std::span<const CertNameRow> names,
                          std::span<const DeviceCertificateRow> devices);
  // Upserts on (date, ip, port, sha256), widening first/last seen; the first source and run stay.
  void add_device_certificates(std::span<const DeviceCertificateRow> rows);
  // (ip, name) of import runs' observations in [from, to) whose leaf was valid on their UTC day
  // (certs::valid_on_day) and names a provider (cert_names.provider set), once each, by ip.
  void for_each_imported_provider_address(
      int64_t from, int64_t to,
      const std::function<void(std::string_view ip, std::string_view name)>& fn);
  // The device certificates of a day, in (manufacturer, ip, port) order.
  std::vector<DeviceCertificateRow> device_certificates(std::string_view date);
  // The import of a file with this content and format, if one finished.
  std::optional<CertImportRow> cert_import(std::string_view sha256, std::string_view format);
  void record_cert_import(const CertImportRow& row);
  // Removes what a run stored in tls_observations and device_certificates (an import of a
  // stream found, once read, to have been imported before). Returns the rows removed.
  int64_t remove_run_observations(int64_t run_id);
  // The latest checkpoint of an unfinished scan run over the same shard and target list, if
  // any: a scan that was killed resumes from there with the same seed and run id.
  std::optional<ScanCheckpoint> resumable_scan(std::string_view shard,
                                               std::string_view targets_digest);

  // --- daily results: each call replaces everything stored for the date, atomically ---
  void replace_ip_verdicts(std::string_view date, std::span<const IpVerdictRow> rows);
  void replace_domain_verdicts(std::string_view date, std::span<const DomainVerdictRow> rows);
  void replace_hitlist(std::string_view date, std::span<const HitlistRow> rows);
  void replace_footprint(std::string_view date, std::span<const FootprintRow> rows);
  std::vector<HitlistRow> hitlist(std::string_view date);
  // `iotmap detect`'s results for one day: detections, traffic and the day's counts replace
  // what was stored for the date, in one transaction.
  void replace_detections(std::string_view date, std::span<const DetectionRow> rows,
                          std::span<const DetectionTrafficRow> traffic, const DetectionDayRow& day);
  // period "" for every period of the date.
  std::vector<DetectionRow> detections(std::string_view date, std::string_view period = "");
  std::vector<DetectionTrafficRow> detection_traffic(std::string_view date);
  std::optional<DetectionDayRow> detection_day(std::string_view date);
  std::vector<FootprintRow> footprint(std::string_view date);

  // --- downloads and opt-out ---
  void add_fetch(const FetchRow& fetch);
  // The latest fetch of `source` that did not fail (for If-None-Match / If-Modified-Since).
  std::optional<FetchRow> latest_fetch(std::string_view source);
  // Sources of the fetches since `since` (Unix seconds) that did not fail and start with
  // `prefix`, each once (the DNSDB reverse look-ups of the window: "dnsdb-rdata:<query>").
  std::vector<std::string> fetched_sources_since(std::string_view prefix, int64_t since);
  // Upserts by prefix (canonicalised; an invalid prefix throws).
  void add_optout(const OptoutRow& row);
  std::vector<OptoutRow> optouts();

  // --- what `iotmap resolve` imported before, so that it imports only what is new ---
  // The latest run of `kind` that ended ok or partial and whose counts have `counter`.
  std::optional<RunRecord> latest_run_with(std::string_view kind, std::string_view counter);
  std::optional<PdnsFileRow> pdns_file(std::string_view path);
  // Upserts by path.
  void record_pdns_file(const PdnsFileRow& row);
  // The names (cert_names) of the leaf certificates of the TLS observations with id > after_id
  // or observed_at >= since, each with the first and last observed_at among those
  // observations, in name order. Returns the highest observation id stored when the read
  // began, the after_id of the next call.
  int64_t for_each_observed_cert_name(int64_t after_id, int64_t since,
                                      const std::function<void(const ObservedCertName&)>& fn);

 private:
  void close_runs(const std::vector<int64_t>& ids, std::string_view message);
  // The id of a name, inserting it if new. `fresh` collects the names this transaction
  // inserted; they join name_ids_ only once it commits, so a rollback leaves no stale id.
  int64_t name_id(const std::string& normalized_name,
                  std::unordered_map<std::string, int64_t>& fresh);
  int64_t vantage_id(const std::string& vantage_name);

  Database db_;
  // Ids of committed names. The hourly resolver writes the same names every hour, and a hash
  // lookup is much cheaper than an index search. Names are never deleted, so ids stay valid.
  std::unordered_map<std::string, int64_t> name_ids_;
};

// The store's spelling of a name: lib/dns_name.h with DNS data's characters and the root dot
// ("Mqtt.Example.COM" -> "mqtt.example.com."); throws db::Error on text that is no name.
std::string normalize_name(std::string_view name);
// True when normalize_name(name) == name: callers skip the copy for names already normalised.
bool is_normalized_name(std::string_view name);
// "192.0.2.1", "2001:DB8::1" -> canonical text; throws db::Error on anything else.
std::string canonical_ip(std::string_view ip);
// Unix seconds -> "YYYY-MM-DD" of that moment's UTC day (the inverse of lib/date.h's
// parse_date times 86400).
std::string utc_date(int64_t t);

}  // namespace iotmap::db
