// `iotmap db check`: is the file sound, which schema version is it, how much does it hold.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "db/sqlite.h"

namespace iotmap::db {

struct CheckReport {
  int schema_version = 0;
  std::vector<std::string> problems;  // integrity_check and foreign_key_check findings
  std::vector<std::pair<std::string, int64_t>> row_counts;  // per table, by name
  bool ok() const { return problems.empty(); }
};

// Runs PRAGMA integrity_check and foreign_key_check and counts the rows of every table.
// Reads only; counting a large table takes a full scan of its smallest index.
CheckReport check(Database& db);

}  // namespace iotmap::db
