#include "db/prune.h"

#include <sys/stat.h>

#include "db/schema.h"
#include "db/store.h"

namespace iotmap::db {
namespace {

int64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

int64_t scalar(Database& db, const std::string& sql) {
  int64_t v = 0;
  Statement s(db, sql);
  s.each([&](Statement& row) { v = row.is_null(0) ? 0 : row.int64(0); });
  return v;
}

}  // namespace

int64_t PruneReport::total() const {
  int64_t t = 0;
  for (const auto& [table, n] : deleted) t += n;
  return t;
}

int64_t keep_cutoff(int keep_days, int64_t now) {
  const int64_t today = now - ((now % 86400) + 86400) % 86400;
  return today - static_cast<int64_t>(keep_days) * 86400;
}

PruneReport prune(Database& db, int64_t cutoff, bool dry_run) {
  PruneReport r;
  r.cutoff = cutoff;
  r.cutoff_date = utc_date(cutoff);
  r.dry_run = dry_run;
  Transaction tx(db, "prune");
  auto del = [&](const std::string& table, const std::string& sql, auto... values) {
    Statement s(db, sql);
    s.bind_all(values...);
    s.run();
    r.deleted.emplace_back(table, db.changes());
  };
  // Answers go with their resolution (ON DELETE CASCADE); count them first to report them.
  {
    Statement s(db,
                "SELECT count(*) FROM resolution_answers WHERE resolution_id IN "
                "(SELECT id FROM resolutions WHERE hour < ?)");
    s.bind(1, cutoff);
    int64_t n = 0;
    s.each([&](Statement& row) { n = row.int64(0); });
    del("resolutions", "DELETE FROM resolutions WHERE hour < ?", cutoff);
    r.deleted.emplace_back("resolution_answers", n);
  }
  del("tls_observations", "DELETE FROM tls_observations WHERE observed_at < ?", cutoff);
  del("ip_verdicts", "DELETE FROM ip_verdicts WHERE date < ?", r.cutoff_date);
  del("domain_verdicts", "DELETE FROM domain_verdicts WHERE date < ?", r.cutoff_date);
  del("hitlist", "DELETE FROM hitlist WHERE date < ?", r.cutoff_date);
  del("footprint", "DELETE FROM footprint WHERE date < ?", r.cutoff_date);
  del("detections", "DELETE FROM detections WHERE date < ?", r.cutoff_date);
  del("detection_traffic", "DELETE FROM detection_traffic WHERE date < ?", r.cutoff_date);
  del("detection_days", "DELETE FROM detection_days WHERE date < ?", r.cutoff_date);
  del("device_certificates", "DELETE FROM device_certificates WHERE date < ?", r.cutoff_date);
  // A checkpoint of a finished scan is only history; one of an unfinished scan lets it resume.
  del("scan_checkpoints",
      "DELETE FROM scan_checkpoints WHERE updated_at < ? AND run_id IN "
      "(SELECT id FROM runs WHERE status <> 'running')",
      cutoff);
  // Certificates nothing refers to any more, as leaf or anywhere in a chain. Their names go
  // with them (cert_names ON DELETE CASCADE); names already gathered stay in `names`.
  db.exec(
      "CREATE TEMP TABLE IF NOT EXISTS prune_keep_certs (sha256 TEXT PRIMARY KEY) WITHOUT ROWID;"
      "DELETE FROM prune_keep_certs;"
      "INSERT OR IGNORE INTO prune_keep_certs SELECT leaf_sha256 FROM tls_observations "
      "  WHERE leaf_sha256 IS NOT NULL;"
      "INSERT OR IGNORE INTO prune_keep_certs SELECT j.value FROM tls_observations o, "
      "  json_each(o.chain) j WHERE o.chain <> '[]';");
  {
    Statement s(db,
                "SELECT count(*) FROM cert_names WHERE sha256 IN (SELECT sha256 FROM certificates "
                "WHERE coalesce(first_seen, 0) < ? AND sha256 NOT IN "
                "(SELECT sha256 FROM prune_keep_certs))");
    s.bind(1, cutoff);
    int64_t n = 0;
    s.each([&](Statement& row) { n = row.int64(0); });
    del("certificates",
        "DELETE FROM certificates WHERE coalesce(first_seen, 0) < ? AND sha256 NOT IN "
        "(SELECT sha256 FROM prune_keep_certs)",
        cutoff);
    r.deleted.emplace_back("cert_names", n);
  }
  db.exec("DELETE FROM prune_keep_certs");
  if (!dry_run) tx.commit();
  return r;
}

SizeReport size_report(Database& db) {
  SizeReport r;
  r.path = db.path();
  r.file_bytes = file_size(db.path());
  r.wal_bytes = file_size(db.path() + "-wal");
  r.page_size = scalar(db, "PRAGMA page_size");
  r.page_count = scalar(db, "PRAGMA page_count");
  r.free_pages = scalar(db, "PRAGMA freelist_count");
  for (auto& [name, rows] : row_counts(db)) {
    TableSize ts;
    ts.name = std::move(name);
    ts.rows = rows;
    r.tables.push_back(std::move(ts));
  }
  // Bytes per table with its indexes, where SQLite was built with the dbstat table (Debian's is).
  try {
    Statement s(db,
                "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
                "LEFT JOIN sqlite_schema m ON m.name = d.name GROUP BY 1");
    s.each([&](Statement& row) {
      std::string name = row.text(0);
      for (auto& t : r.tables)
        if (t.name == name) t.bytes = row.int64(1);
    });
  } catch (const Error&) {
    // no dbstat: sizes per table stay unknown
  }
  return r;
}

}  // namespace iotmap::db
