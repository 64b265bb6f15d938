// `iotmap db check|migrate|size|prune`: database maintenance.
#include <cstdio>

#include "db/check.h"
#include "db/prune.h"
#include "db/schema.h"
#include "lib/clock.h"
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

// Opens an existing database read-only, checks it and prints its version and row counts. A
// missing file is an error: a check must not create one. Read-only, so that a copy on a
// read-only mount can be checked and a check never changes what it checks.
int check_command(const std::string& path) {
  db::Database database(path, {.read_only = true});
  db::CheckReport report = db::check(database);
  std::printf("database: %s\nschema version: %d (this iotmap: %d)\n", path.c_str(),
              report.schema_version, db::latest_version());
  if (report.schema_version < db::latest_version())
    std::printf("note: `iotmap db migrate` brings the schema up to version %d\n",
                db::latest_version());
  std::printf("rows:\n");
  for (const auto& [table, count] : report.row_counts)
    std::printf("  %-20s %lld\n", table.c_str(), static_cast<long long>(count));
  for (const auto& problem : report.problems) std::printf("problem: %s\n", problem.c_str());
  std::printf("check: %s\n", report.ok() ? "ok" : "FAILED");
  return report.ok() ? kOk : kFailure;
}

std::string human(int64_t bytes) {
  char buf[32];
  if (bytes < 0) return "?";
  if (bytes < 10LL * 1024)
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else if (bytes < 10LL * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  else if (bytes < 10LL * 1024 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
  else
    std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / 1073741824.0);
  return buf;
}

// File sizes and rows (and bytes, where SQLite has dbstat) per table. Reads only.
int size_command(const std::string& path) {
  db::Database database(path, {.read_only = true});
  db::SizeReport r = db::size_report(database);
  std::printf("database: %s\n", path.c_str());
  std::printf(
      "file: %s (%lld bytes), WAL: %s, free pages: %lld of %lld (%s reclaimable by "
      "VACUUM)\n",
      human(r.file_bytes).c_str(), static_cast<long long>(r.file_bytes), human(r.wal_bytes).c_str(),
      static_cast<long long>(r.free_pages), static_cast<long long>(r.page_count),
      human(r.free_pages * r.page_size).c_str());
  std::printf("%-20s %14s %12s\n", "table", "rows", "size");
  for (const auto& t : r.tables)
    std::printf("%-20s %14lld %12s\n", t.name.c_str(), static_cast<long long>(t.rows),
                human(t.bytes).c_str());
  return kOk;
}

int prune_command(Context& ctx, const std::string& path, int keep_days, bool vacuum, bool dry_run) {
  db::Database database(path, {.create = false});
  db::Migration m = db::migrate(database);
  if (m.from != m.to) std::printf("migrated schema version %d -> %d\n", m.from, m.to);
  const int window = ctx.config().classify.window_days;
  if (keep_days < window)
    std::fprintf(stderr,
                 "iotmap db prune: warning: --keep-days %d is shorter than classify.window_days "
                 "%d; classifying the days kept will see less than a full window\n",
                 keep_days, window);
  db::PruneReport r = db::prune(database, db::keep_cutoff(keep_days, clock_now()), dry_run);
  std::printf("%s rows from before %s (keeping %d days before today):\n",
              dry_run ? "would delete" : "deleted", r.cutoff_date.c_str(), keep_days);
  for (const auto& [table, n] : r.deleted)
    std::printf("  %-20s %lld\n", table.c_str(), static_cast<long long>(n));
  std::printf("total: %lld rows%s\n", static_cast<long long>(r.total()),
              dry_run ? " (dry run: nothing was deleted)" : "");
  if (vacuum && !dry_run) {
    database.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    database.exec("VACUUM");
    database.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    std::printf("vacuumed: the file is now %s\n",
                human(db::size_report(database).file_bytes).c_str());
  }
  return kOk;
}

}  // namespace

int run_db(Context& ctx, Args& args) {
  auto keep_days = args.option("--keep-days");
  bool vacuum = args.flag("--vacuum");
  bool dry_run = args.flag("--dry-run");
  auto words = args.positionals();
  if (words.size() != 1) throw UsageError("expected one of: check, migrate, size, prune");
  if (words[0] != "prune" && (keep_days || vacuum || dry_run))
    throw UsageError("--keep-days, --vacuum and --dry-run belong to db prune");
  int days = 0;
  if (words[0] == "prune") {
    if (!keep_days) throw UsageError("db prune needs --keep-days N");
    if (keep_days->empty() || keep_days->size() > 6 ||
        keep_days->find_first_not_of("0123456789") != std::string::npos)
      throw UsageError("--keep-days wants a number of days, not '" + *keep_days + "'");
    days = std::stoi(*keep_days);
  }
  const std::string path = ctx.db_path();
  try {
    if (words[0] == "check") return check_command(path);
    if (words[0] == "migrate") return migrate_command(path);
    if (words[0] == "size") return size_command(path);
    if (words[0] == "prune") return prune_command(ctx, path, days, vacuum, dry_run);
  } catch (const db::Error& e) {
    std::fprintf(stderr, "iotmap db %s: %s\n", words[0].c_str(), e.what());
    return kFailure;
  }
  throw UsageError("unknown subcommand " + words[0] + " (expected check, migrate, size or prune)");
}

}  // namespace iotmap::cli
