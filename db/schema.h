// The database schema, versioned by PRAGMA user_version: version N means the first N steps of
// the migration list in schema.cpp have been applied. docs/schema.md describes every table.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "db/sqlite.h"

namespace iotmap::db {

// The schema version this binary writes (the number of migration steps it knows).
int latest_version();

// The version stored in the file (0 for a new, empty database).
int stored_version(Database& db);

// Throws when the file's schema is newer than this binary knows: its tables may mean what this
// binary cannot read right.
void require_known_version(Database& db);

struct Migration {
  int from = 0;
  int to = 0;
};

// Applies the missing steps, each in its own transaction, and returns the versions before and
// after. A file newer than this binary is an error: an old binary must not write into a
// schema it does not know.
Migration migrate(Database& db);

// The number of rows of every table in the file, SQLite's own excepted, by table name. Reads
// only; counting a large table takes a full scan of its smallest index.
std::vector<std::pair<std::string, int64_t>> row_counts(Database& db);

}  // namespace iotmap::db
