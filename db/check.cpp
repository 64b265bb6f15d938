#include "db/check.h"

#include "db/schema.h"

namespace iotmap::db {

CheckReport check(Database& db) {
  require_known_version(db);
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
  report.row_counts = row_counts(db);
  return report;
}

}  // namespace iotmap::db
