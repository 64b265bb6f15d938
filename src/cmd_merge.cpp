// `iotmap merge A.db B.db ... --into MAIN.db`: brings the databases of other vantage points
// (each running `iotmap resolve --vantage NAME` from its own cron) into one. Every write goes
// through the store, whose unique keys make the merge idempotent: merging the same file twice,
// or a file that overlaps MAIN.db, adds nothing twice. Run ids are local to each database, so
// merged resolutions carry none; the merge itself is recorded as a run in MAIN.db.
#include <cstdio>
#include <filesystem>
#include <limits>

#include <nlohmann/json.hpp>

#include "db/store.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

constexpr size_t kBatch = 10000;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

struct Counts {
  int64_t vantage_points = 0, names = 0, resolutions = 0, resolutions_new = 0, pdns = 0;
  int64_t tls_rows_skipped = 0;
};

void merge_one(db::Store& src, db::Store& dst, Counts& c) {
  auto& sdb = src.database();
  sdb.cached("SELECT name, location, client_subnet, resolvers FROM vantage_points")
      .each([&](db::Statement& s) {
        db::VantagePointRow vp{s.text(0), s.text(1), s.text(2), {}};
        auto list = nlohmann::json::parse(s.text(3), nullptr, false);
        if (list.is_array())
          for (const auto& r : list)
            if (r.is_string()) vp.resolvers.push_back(r.get<std::string>());
        dst.upsert_vantage_point(vp);
        ++c.vantage_points;
      });

  // Each (name, source) twice, at its first and its last sighting, so that both ends widen.
  std::vector<db::NameRow> names;
  sdb.cached(R"(SELECT n.name, n.provider, n.region, s.source, s.first_seen, s.last_seen
                FROM names n JOIN name_sources s ON s.name_id = n.id ORDER BY n.name)")
      .each([&](db::Statement& s) {
        db::NameRow row{s.text(0), s.text(1), s.text(2), s.text(3), s.int64(4)};
        names.push_back(row);
        row.seen_at = s.int64(5);
        names.push_back(std::move(row));
        if (names.size() >= kBatch) {
          dst.upsert_names(names);
          c.names += static_cast<int64_t>(names.size() / 2);
          names.clear();
        }
      });
  dst.upsert_names(names);
  c.names += static_cast<int64_t>(names.size() / 2);

  std::vector<db::ResolutionRow> rows;
  auto flush = [&] {
    c.resolutions_new += static_cast<int64_t>(dst.add_resolutions(rows));
    c.resolutions += static_cast<int64_t>(rows.size());
    rows.clear();
  };
  src.for_each_resolution(kMin, kMax, [&](const db::ResolutionRow& r) {
    rows.push_back(r);
    rows.back().run_id.reset();
    if (rows.size() >= kBatch) flush();
  });
  flush();

  std::vector<db::PdnsRow> pdns;
  src.for_each_pdns(kMin, kMax, [&](const db::PdnsRow& p) {
    pdns.push_back(p);
    if (pdns.size() >= kBatch) {
      dst.upsert_pdns(pdns);
      c.pdns += static_cast<int64_t>(pdns.size());
      pdns.clear();
    }
  });
  dst.upsert_pdns(pdns);
  c.pdns += static_cast<int64_t>(pdns.size());

  sdb.cached("SELECT count(*) FROM tls_observations").each([&](db::Statement& s) {
    c.tls_rows_skipped += s.int64(0);
  });
}

}  // namespace

int run_merge(Context& ctx, Args& args) {
  (void)ctx;
  auto into = args.option("--into");
  auto sources = args.positionals();
  if (!into) throw UsageError("merge needs --into MAIN.db");
  if (sources.empty()) throw UsageError("merge needs at least one database to merge");
  namespace fs = std::filesystem;
  for (const auto& s : sources) {
    std::error_code ec;
    if (!fs::is_regular_file(s, ec)) {
      std::fprintf(stderr, "iotmap merge: %s is not a database file; nothing was merged\n",
                   s.c_str());
      return kFailure;
    }
    if (fs::exists(*into, ec) && fs::equivalent(s, *into, ec))
      throw UsageError(s + " is the database merged into");
  }
  db::Store dst(*into);
  db::RunInfo info;
  info.kind = "merge";
  for (const auto& s : sources) info.message += (info.message.empty() ? "" : " ") + s;
  int64_t run_id = dst.begin_run(info);
  Counts total;
  for (const auto& s : sources) {
    Counts c;
    try {
      db::Store src(s);
      merge_one(src, dst, c);
    } catch (const std::exception& e) {
      dst.finish_run(run_id, "failed", {}, std::string(s) + ": " + e.what());
      throw;
    }
    std::fprintf(stderr,
                 "iotmap merge: %s: %lld vantage points, %lld names, %lld resolutions (%lld new), "
                 "%lld passive DNS records\n",
                 s.c_str(), static_cast<long long>(c.vantage_points),
                 static_cast<long long>(c.names), static_cast<long long>(c.resolutions),
                 static_cast<long long>(c.resolutions_new), static_cast<long long>(c.pdns));
    total.resolutions += c.resolutions;
    total.resolutions_new += c.resolutions_new;
    total.names += c.names;
    total.pdns += c.pdns;
    total.tls_rows_skipped += c.tls_rows_skipped;
  }
  if (total.tls_rows_skipped > 0)
    std::fprintf(stderr,
                 "iotmap merge: %lld TLS observations were not merged: merging scan databases "
                 "is not built yet\n",
                 static_cast<long long>(total.tls_rows_skipped));
  const char* status = total.tls_rows_skipped > 0 ? "partial" : "ok";
  dst.finish_run(run_id, status,
                 {{"resolutions", total.resolutions},
                  {"resolutions_new", total.resolutions_new},
                  {"names", total.names},
                  {"pdns", total.pdns},
                  {"tls_rows_skipped", total.tls_rows_skipped}});
  return total.tls_rows_skipped > 0 ? kPartial : kOk;
}

}  // namespace iotmap::cli
