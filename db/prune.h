// Housekeeping: `iotmap db prune --keep-days N` and `iotmap db size`. Pruning deletes the
// measurements and daily results of days before a cutoff and the certificates nothing refers
// to any more; it keeps what defines the measurement (names, vantage points, runs, fetches,
// the opt-out list, passive DNS imports) so that later runs and merges keep their ids.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "db/sqlite.h"

namespace iotmap::db {

struct PruneReport {
  int64_t cutoff = 0;       // Unix seconds: rows from before this time were deleted
  std::string cutoff_date;  // "YYYY-MM-DD": daily rows of dates before this were deleted
  std::vector<std::pair<std::string, int64_t>> deleted;  // table -> rows, in deletion order
  bool dry_run = false;  // counted in a transaction that was rolled back
  int64_t total() const;
};

// Deletes, in one transaction, resolutions (and their answers) with hour < cutoff, TLS
// observations with observed_at < cutoff, ip and domain verdicts, hitlist and footprint rows of
// dates before cutoff's date, scan checkpoints of finished runs last updated before the cutoff,
// and certificates first seen before the cutoff that no remaining observation refers to (as
// leaf or in a chain). `cutoff` must be 00:00 UTC of a day. With dry_run the same deletes run
// and are rolled back, so the counts are exact.
PruneReport prune(Database& db, int64_t cutoff, bool dry_run = false);

// 00:00 UTC of the day `keep_days` days before the day of `now`: prune(db, keep_cutoff(7, t))
// keeps today and the seven days before it.
int64_t keep_cutoff(int keep_days, int64_t now);

struct TableSize {
  std::string name;
  int64_t rows = 0;
  int64_t bytes = -1;  // pages of the table and its indexes (-1: SQLite has no dbstat)
};

struct SizeReport {
  std::string path;
  int64_t file_bytes = 0;  // the main file
  int64_t wal_bytes = 0;   // <path>-wal (0 when absent)
  int64_t page_size = 0;
  int64_t page_count = 0;
  int64_t free_pages = 0;         // pages VACUUM would give back
  std::vector<TableSize> tables;  // by name
};

// Reads only.
SizeReport size_report(Database& db);

}  // namespace iotmap::db
