// `iotmap db check|migrate`: database maintenance.
#include <cstdio>

#include "db/check.h"
#include "db/schema.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

// Creates the database if missing and brings its schema up to date.
int migrate_command(const std::string& path) {
  db::Database database(path);
  db::Migration m = db::migrate(database);
  if (m.from == m.to)
    std::printf("%s: schema version %d, up to date\n", path.c_str(), m.to);
  else
    std::printf("%s: schema version %d -> %d\n", path.c_str(), m.from, m.to);
  return kOk;
}

// Opens an existing database (migrating it if it is older than this binary), checks it and
// prints its version and row counts. A missing file is an error: a check must not create one.
int check_command(const std::string& path) {
  db::Database database(path, {.create = false});
  db::Migration m = db::migrate(database);
  if (m.from != m.to) std::printf("migrated schema version %d -> %d\n", m.from, m.to);
  db::CheckReport report = db::check(database);
  std::printf("database: %s\nschema version: %d (this iotmap: %d)\n", path.c_str(),
              report.schema_version, db::latest_version());
  std::printf("rows:\n");
  for (const auto& [table, count] : report.row_counts)
    std::printf("  %-20s %lld\n", table.c_str(), static_cast<long long>(count));
  for (const auto& problem : report.problems) std::printf("problem: %s\n", problem.c_str());
  std::printf("check: %s\n", report.ok() ? "ok" : "FAILED");
  return report.ok() ? kOk : kFailure;
}

}  // namespace

int run_db(Context& ctx, Args& args) {
  auto words = args.positionals();
  if (words.size() != 1) throw UsageError("expected one of: check, migrate");
  const std::string path = ctx.db_path();
  try {
    if (words[0] == "check") return check_command(path);
    if (words[0] == "migrate") return migrate_command(path);
  } catch (const db::Error& e) {
    std::fprintf(stderr, "iotmap db %s: %s\n", words[0].c_str(), e.what());
    return kFailure;
  }
  throw UsageError("unknown subcommand " + words[0] + " (expected check or migrate)");
}

}  // namespace iotmap::cli
