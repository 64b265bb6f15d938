// The store's bookkeeping: opening, runs, names, vantage points, scan checkpoints, fetches and
// the opt-out list. DNS, TLS and daily results live in store_dns.cpp, store_tls.cpp and
// store_daily.cpp.
#include "db/store.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <ctime>

#include "db/json_text.h"
#include "db/schema.h"
#include "lib/clock.h"
#include "lib/dns_name.h"
#include "lib/net.h"
#include "lib/text.h"

namespace iotmap::db {
namespace {

int64_t now() { return clock_now(); }

std::string this_host() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return {};
  return buf;
}

}  // namespace

bool is_normalized_name(std::string_view name) {
  return is_normal_dns_name(name, DnsNameChars::data);
}

std::string normalize_name(std::string_view name) {
  std::string why;
  auto n = normalise_dns_name(name, &why, DnsNameChars::data);
  if (!n) throw Error("not a domain name (" + why + "): " + shown(name));
  return *n;
}

std::string canonical_ip(std::string_view ip) {
  auto parsed = IpAddress::parse(ip);
  if (!parsed) throw Error("not an IP address: '" + std::string(ip) + "'");
  return parsed->str();
}

std::string utc_date(int64_t t) {
  const auto tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

Store::Store(const std::string& path, Database::Options options) : db_(path, options) {
  migrate(db_);
}

// --- runs ---

int64_t Store::begin_run(const RunInfo& run) {
  db_.cached(R"(INSERT INTO runs(kind, started_at, covers, host, vantage, shard, seed,
                                 target_count, rate, config, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))")
      .bind_all(run.kind, run.started_at ? run.started_at : now(), run.covers,
                run.host.empty() ? this_host() : run.host, run.vantage, run.shard, run.seed,
                run.target_count, run.rate, run.config, run.message)
      .run();
  return db_.last_insert_rowid();
}

void Store::set_run_status(int64_t id, std::string_view status, std::string_view message) {
  db_.cached("UPDATE runs SET status = ?, message = ? WHERE id = ?")
      .bind_all(status, message, id)
      .run();
  if (db_.changes() == 0)
    throw Error(db_.path() + ": set status of run " + std::to_string(id) + ": no such run");
}

void Store::finish_run(int64_t id, std::string_view status,
                       const std::map<std::string, int64_t>& counts, std::string_view message) {
  db_.cached(R"(UPDATE runs SET finished_at = ?, status = ?, counts = ?,
                       message = CASE WHEN ?4 <> '' THEN ?4 ELSE message END
                WHERE id = ?5)")
      .bind_all(now(), status, json_counts(counts), message, id)
      .run();
  if (db_.changes() == 0)
    throw Error(db_.path() + ": finish run " + std::to_string(id) + ": no such run");
}

std::vector<int64_t> Store::close_stale_runs(const std::string& kind, int64_t current,
                                             std::string_view message) {
  std::vector<int64_t> ids;
  db_.cached("SELECT id FROM runs WHERE kind = ? AND status = 'running' AND id <> ?")
      .bind_all(kind, current)
      .each([&](Statement& s) { ids.push_back(s.int64(0)); });
  close_runs(ids, message);
  return ids;
}

std::vector<int64_t> Store::close_stale_runs_between(const std::string& kind, int64_t after,
                                                     int64_t before, std::string_view message) {
  std::vector<int64_t> ids;
  db_.cached("SELECT id FROM runs WHERE kind = ? AND status = 'running' AND id > ? AND id < ?")
      .bind_all(kind, after, before)
      .each([&](Statement& s) { ids.push_back(s.int64(0)); });
  close_runs(ids, message);
  return ids;
}

void Store::close_runs(const std::vector<int64_t>& ids, std::string_view message) {
  for (auto id : ids)
    if (auto rec = run(id)) finish_run(id, "failed", rec->counts, message);
}

std::optional<RunRecord> Store::run(int64_t id) {
  std::optional<RunRecord> out;
  db_.cached(R"(SELECT kind, started_at, covers, host, vantage, shard, seed, target_count, rate,
                       config, message, finished_at, status, counts
                FROM runs WHERE id = ?)")
      .bind(1, id)
      .each([&](Statement& s) {
        RunRecord r;
        r.id = id;
        r.info = {s.text(0), s.text(2),           s.text(3),           s.text(4),
                  s.text(5), s.optional_int64(6), s.optional_int64(7), s.optional_real(8),
                  s.text(9), s.text(10),          s.int64(1)};
        r.finished_at = s.optional_int64(11);
        r.status = s.text(12);
        r.counts = parse_json_counts(s.text(13));
        out = std::move(r);
      });
  return out;
}

// --- names and vantage points ---

int64_t Store::upsert_vantage_point(const VantagePointRow& vp) {
  int64_t id = 0;
  db_.cached(R"(INSERT INTO vantage_points(name, location, client_subnet, resolvers)
                VALUES (?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET location = excluded.location,
                  client_subnet = excluded.client_subnet, resolvers = excluded.resolvers
                RETURNING id)")
      .bind_all(vp.name, vp.location, vp.client_subnet, json_array(vp.resolvers))
      .each([&](Statement& s) { id = s.int64(0); });
  return id;
}

int64_t Store::vantage_id(const std::string& vantage_name) {
  std::optional<int64_t> id;
  db_.cached("SELECT id FROM vantage_points WHERE name = ?")
      .bind(1, vantage_name)
      .each([&](Statement& s) { id = s.int64(0); });
  if (id) return *id;
  // Unknown so far: create it bare; upsert_vantage_point fills in the details.
  db_.cached("INSERT INTO vantage_points(name) VALUES (?)").bind(1, vantage_name).run();
  return db_.last_insert_rowid();
}

int64_t Store::name_id(const std::string& normalized_name,
                       std::unordered_map<std::string, int64_t>& fresh) {
  if (auto it = name_ids_.find(normalized_name); it != name_ids_.end()) return it->second;
  if (auto it = fresh.find(normalized_name); it != fresh.end()) return it->second;
  std::optional<int64_t> id;
  db_.cached("SELECT id FROM names WHERE name = ?")
      .bind(1, normalized_name)
      .each([&](Statement& s) { id = s.int64(0); });
  // Found here means committed earlier (this transaction's own inserts are in `fresh`).
  if (id) return name_ids_[normalized_name] = *id;
  // A name resolved without having been recorded from a source (e.g. `iotmap resolve NAME`).
  db_.cached("INSERT INTO names(name) VALUES (?)").bind(1, normalized_name).run();
  return fresh[normalized_name] = db_.last_insert_rowid();
}

void Store::upsert_names(std::span<const NameRow> names) {
  Transaction tx(db_, "upsert_names");
  auto& name = db_.cached(R"(
      INSERT INTO names(name, provider, region, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?4)
      ON CONFLICT(name) DO UPDATE SET
        provider = CASE WHEN excluded.provider <> '' THEN excluded.provider ELSE provider END,
        region = CASE WHEN excluded.region <> '' THEN excluded.region ELSE region END,
        first_seen = min(coalesce(first_seen, excluded.first_seen), excluded.first_seen),
        last_seen = max(coalesce(last_seen, excluded.last_seen), excluded.last_seen))");
  auto& source = db_.cached(R"(
      INSERT INTO name_sources(name_id, source, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)
      ON CONFLICT(name_id, source) DO UPDATE SET
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen))");
  const int64_t fallback_time = now();
  auto& lookup = db_.cached("SELECT id FROM names WHERE name = ?");
  // The ids are kept: add_resolutions then needs no index search per row for the names a run
  // has just imported. Not through RETURNING: SQLite builds an ephemeral table for it on every
  // execution, which was two thirds of the import's CPU (perf, 50k names). A new row sets the
  // last insert rowid, an update of an existing one does not: hence the 0 before each step.
  std::unordered_map<std::string, int64_t> fresh;
  fresh.reserve(names.size());
  std::string normalized;
  for (const NameRow& n : names) {
    int64_t seen = n.seen_at ? n.seen_at : fallback_time;
    normalized = is_normalized_name(n.name) ? n.name : normalize_name(n.name);
    sqlite3_set_last_insert_rowid(db_.handle(), 0);
    name.bind_all(normalized, n.provider, n.region, seen).run();
    int64_t id = db_.last_insert_rowid();
    if (id == 0) {
      if (auto it = name_ids_.find(normalized); it != name_ids_.end()) {
        id = it->second;
      } else if (auto f = fresh.find(normalized); f != fresh.end()) {
        id = f->second;  // twice in this batch
      } else {
        lookup.bind(1, normalized).each([&](Statement& s) { id = s.int64(0); });
      }
    }
    if (!n.source.empty()) source.bind_all(id, n.source, seen).run();
    fresh.emplace(normalized, id);
  }
  tx.commit();
  name_ids_.reserve(name_ids_.size() + fresh.size());
  name_ids_.merge(fresh);
}

std::vector<NameRow> Store::candidate_names() {
  std::vector<NameRow> out;
  db_.cached("SELECT name, provider, region, coalesce(last_seen, 0), id FROM names ORDER BY name")
      .each([&](Statement& s) {
        out.push_back({s.text(0), s.text(1), s.text(2), "", s.int64(3), s.int64(4)});
      });
  return out;
}

// --- scan checkpoints ---

int64_t Store::begin_scan_run(const RunInfo& run, ScanCheckpoint cp) {
  Transaction t(db_, "begin scan run");
  cp.run_id = begin_run(run);
  save_checkpoint(cp);
  t.commit();
  return cp.run_id;
}

void Store::save_checkpoint(const ScanCheckpoint& cp) {
  db_.cached(R"(INSERT INTO scan_checkpoints(run_id, shard, seed, targets_digest, target_count,
                                             next_index, done_count, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(run_id) DO UPDATE SET shard = excluded.shard, seed = excluded.seed,
                  targets_digest = excluded.targets_digest,
                  target_count = excluded.target_count, next_index = excluded.next_index,
                  done_count = excluded.done_count, updated_at = excluded.updated_at)")
      .bind_all(cp.run_id, cp.shard, cp.seed, cp.targets_digest, cp.target_count, cp.next_index,
                cp.done_count, cp.updated_at ? cp.updated_at : now())
      .run();
}

std::optional<ScanCheckpoint> Store::resumable_scan(std::string_view shard,
                                                    std::string_view targets_digest) {
  std::optional<ScanCheckpoint> out;
  db_.cached(R"(SELECT c.run_id, c.shard, c.seed, c.targets_digest, c.target_count, c.next_index,
                       c.done_count, c.updated_at
                FROM scan_checkpoints c JOIN runs r ON r.id = c.run_id
                WHERE r.finished_at IS NULL AND c.shard = ? AND c.targets_digest = ?
                ORDER BY c.updated_at DESC, c.run_id DESC LIMIT 1)")
      .bind_all(shard, targets_digest)
      .each([&](Statement& s) {
        out = ScanCheckpoint{s.int64(0), s.text(1),  s.int64(2), s.text(3),
                             s.int64(4), s.int64(5), s.int64(6), s.int64(7)};
      });
  return out;
}

// --- downloads and opt-out ---

void Store::add_fetch(const FetchRow& f) {
  db_.cached(R"(INSERT INTO fetches(source, url, fetched_at, status, etag, last_modified, sha256,
                                    bytes, path)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?))")
      .bind_all(f.source, f.url, f.fetched_at ? f.fetched_at : now(), f.status, f.etag,
                f.last_modified, f.sha256, f.bytes, f.path)
      .run();
}

std::optional<FetchRow> Store::latest_fetch(std::string_view source) {
  std::optional<FetchRow> out;
  db_.cached(R"(SELECT source, url, fetched_at, status, etag, last_modified, sha256, bytes, path
                FROM fetches WHERE source = ? AND status <> 'failed'
                ORDER BY fetched_at DESC, id DESC LIMIT 1)")
      .bind(1, source)
      .each([&](Statement& s) {
        out = FetchRow{s.text(0), s.text(1), s.int64(2), s.text(3), s.text(4),
                       s.text(5), s.text(6), s.int64(7), s.text(8)};
      });
  return out;
}

std::vector<std::string> Store::fetched_sources_since(std::string_view prefix, int64_t since) {
  std::vector<std::string> out;
  db_.cached(R"(SELECT DISTINCT source FROM fetches
                WHERE substr(source, 1, length(?1)) = ?1 AND fetched_at >= ?2
                  AND status <> 'failed' ORDER BY source)")
      .bind_all(prefix, since)
      .each([&](Statement& s) { out.push_back(s.text(0)); });
  return out;
}

void Store::add_optout(const OptoutRow& row) {
  auto prefix = Prefix::parse(row.prefix);
  if (!prefix) throw Error("not an address prefix: '" + row.prefix + "'");
  db_.cached(R"(INSERT INTO optout(prefix, reason, added_at) VALUES (?, ?, ?)
                ON CONFLICT(prefix) DO UPDATE SET reason = excluded.reason)")
      .bind_all(prefix->str(), row.reason, row.added_at ? row.added_at : now())
      .run();
}

std::vector<OptoutRow> Store::optouts() {
  std::vector<OptoutRow> out;
  db_.cached("SELECT prefix, reason, added_at FROM optout ORDER BY prefix").each([&](Statement& s) {
    out.push_back({s.text(0), s.text(1), s.int64(2)});
  });
  return out;
}

}  // namespace iotmap::db
