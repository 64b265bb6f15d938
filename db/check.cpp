#include "db/check.h"

#include "db/schema.h"

namespace iotmap::db {
namespace {

// Table names come from sqlite_schema, never from users; quote them anyway so that any name
// SQLite accepts counts.
std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

CheckReport check(Database& db) {
  CheckReport report;
  report.schema_version = stored_version(db);
  // integrity_check prints one row "ok", or up to 100 rows describing what is wrong.
  Statement integrity(db, "PRAGMA integrity_check");
  integrity.each([&](Statement& s) {
    if (s.text(0) != "ok") report.problems.push_back("integrity: " + s.text(0));
  });
  // foreign_key_check: one row per violating row (table, rowid, parent, fkid).
  Statement fk(db, "PRAGMA foreign_key_check");
  fk.each([&](Statement& s) {
    report.problems.push_back("foreign key: " + s.text(0) + " row " + s.text(1) +
                              " refers to a missing row of " + s.text(2));
  });
  std::vector<std::string> tables;
  Statement list(db,
                 "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                 "ORDER BY name");
  list.each([&](Statement& s) { tables.push_back(s.text(0)); });
  for (const auto& t : tables) {
    Statement count(db, "SELECT count(*) FROM " + quoted(t));
    count.each([&](Statement& s) { report.row_counts.emplace_back(t, s.int64(0)); });
  }
  return report;
}

}  // namespace iotmap::db
