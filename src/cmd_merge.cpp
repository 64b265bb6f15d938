// `iotmap merge A.db B.db ... --into MAIN.db`: brings the databases of other vantage points
// (each running `iotmap resolve --vantage NAME` from its own cron) into one. Every write goes
// through the store, whose unique keys make the merge idempotent: merging the same file twice,
// or a file that overlaps MAIN.db, adds nothing twice. Run ids are local to each database, so
// merged resolutions carry none; TLS observations move under a copy of their scan run in MAIN.db
// (found again by kind, start, host, shard and seed on the next merge); the merge itself is
// recorded as a run in MAIN.db.
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "config/catalogue.h"
#include "db/store.h"
#include "lib/dns_name.h"
#include "lib/text.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

constexpr size_t kBatch = 10000;
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

struct Counts {
  int64_t vantage_points = 0, names = 0, resolutions = 0, resolutions_new = 0, pdns = 0;
  int64_t certificates = 0, tls = 0, tls_new = 0, runs = 0, rejected = 0;
};

// A shard database is input like any other: its names pass the check `resolve` applies to the
// names it is given (lib/dns_name.h), so a formula ("=cmd|..."), markup or bytes that
// are not UTF-8 never reach MAIN.db and its exports. A row with a rejected name is skipped and
// reported (the first few in full), and the merge ends partial.
class NameCheck {
 public:
  NameCheck(const std::string& db, Counts& c) : db_(db), c_(c) {}

  // The name in the store's form, or nullopt when rejected. Certificate names may be wildcards.
  std::optional<std::string> operator()(std::string_view name, const char* what,
                                        bool wildcard = false) {
    std::string why;
    auto n = normalise_dns_name(name, &why);
    if (n && (*n)[0] == '*' && !wildcard) why = "a wildcard is not a name to resolve";
    if (n && why.empty()) return n;
    if (++c_.rejected <= kShown)
      std::fprintf(stderr, "iotmap merge: %s: %s '%s' rejected: %s; skipped\n", db_.c_str(), what,
                   shown(name).c_str(), why.c_str());
    return std::nullopt;
  }

 private:
  static constexpr int64_t kShown = 10;
  const std::string& db_;
  Counts& c_;
};

// The run in MAIN that stands for a source run: found again by kind, start, host, shard and
// seed (so a second merge reuses it), else recorded anew with the source's outcome.
int64_t target_run(db::Store& src, db::Store& dst, int64_t id, Counts& c) {
  auto rec = src.run(id);
  if (!rec)
    throw std::runtime_error("observation of run " + std::to_string(id) + ", which is missing");
  std::optional<int64_t> found;
  dst.database()
      .cached(
          "SELECT id FROM runs WHERE kind = ? AND started_at = ? AND host = ? AND shard = ? "
          "AND seed IS ? ORDER BY id LIMIT 1")
      .bind_all(rec->info.kind, rec->info.started_at, rec->info.host, rec->info.shard,
                rec->info.seed)
      .each([&](db::Statement& s) { found = s.int64(0); });
  if (found) return *found;
  int64_t run = dst.begin_run(rec->info);
  if (rec->status != "running") dst.finish_run(run, rec->status, rec->counts, rec->info.message);
  ++c.runs;
  return run;
}

// Certificates (with their names) first, then the connections, under runs of MAIN.
void merge_tls(db::Store& src, db::Store& dst, Counts& c) {
  std::vector<std::string> shas;
  src.database()
      .cached("SELECT sha256 FROM certificates ORDER BY sha256")
      .each([&](db::Statement& s) { shas.push_back(s.text(0)); });
  std::vector<db::CertificateRow> certs;
  for (size_t i = 0; i < shas.size(); ++i) {
    if (auto cert = src.certificate(shas[i])) certs.push_back(std::move(*cert));
    if (certs.size() >= 1000 || i + 1 == shas.size()) {
      c.certificates += static_cast<int64_t>(dst.add_certificates(certs));
      certs.clear();
    }
  }
  std::vector<db::CertNameRow> names;
  NameCheck check(src.database().path(), c);
  src.database()
      .cached("SELECT sha256, name, provider FROM cert_names")
      .each([&](db::Statement& s) {
        if (auto name = check(s.text(1), "certificate name", true))
          names.push_back({s.text(0), *name, s.text(2)});
      });
  for (size_t i = 0; i < names.size(); i += kBatch)
    dst.add_cert_names(std::span(names).subspan(i, std::min(kBatch, names.size() - i)));
  std::map<int64_t, int64_t> runs;
  std::vector<db::TlsObservationRow> rows;
  auto flush = [&] {
    c.tls_new += static_cast<int64_t>(dst.add_tls_observations(rows));
    c.tls += static_cast<int64_t>(rows.size());
    rows.clear();
  };
  src.for_each_tls_observation(kMin, kMax, [&](const db::TlsObservationRow& o) {
    auto it = runs.find(o.run_id);
    if (it == runs.end()) it = runs.emplace(o.run_id, target_run(src, dst, o.run_id, c)).first;
    rows.push_back(o);
    rows.back().run_id = it->second;
    if (rows.size() >= kBatch) flush();
  });
  flush();
}

// The resolution with its names checked, or nullopt when one is rejected.
std::optional<db::ResolutionRow> checked(const db::ResolutionRow& r, NameCheck& check) {
  auto name = check(r.name, "resolved name");
  if (!name) return std::nullopt;
  db::ResolutionRow out = r;
  out.name = *name;
  out.run_id.reset();
  for (auto& target : out.cname_chain) {
    auto t = check(target, "CNAME target");
    if (!t) return std::nullopt;
    target = *t;
  }
  return out;
}

void merge_one(db::Store& src, db::Store& dst, Counts& c) {
  auto& sdb = src.database();
  NameCheck check(sdb.path(), c);
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
        auto name = check(s.text(0), "name");
        if (!name) return;
        db::NameRow row{*name, s.text(1), s.text(2), s.text(3), s.int64(4)};
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
    auto row = checked(r, check);
    if (!row) return;
    rows.push_back(std::move(*row));
    if (rows.size() >= kBatch) flush();
  });
  flush();

  std::vector<db::PdnsRow> pdns;
  src.for_each_pdns(kMin, kMax, [&](const db::PdnsRow& p) {
    auto name = check(p.rrname, "passive DNS name");
    auto target = p.rrtype == "CNAME" ? check(p.rdata, "passive DNS CNAME target") : p.rdata;
    if (!name || !target) return;
    pdns.push_back(p);
    pdns.back().rrname = *name;
    pdns.back().rdata = *target;
    if (pdns.size() >= kBatch) {
      dst.upsert_pdns(pdns);
      c.pdns += static_cast<int64_t>(pdns.size());
      pdns.clear();
    }
  });
  dst.upsert_pdns(pdns);
  c.pdns += static_cast<int64_t>(pdns.size());

  merge_tls(src, dst, c);
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
  ctx.track_run(*into, run_id);
  Counts total;
  for (const auto& s : sources) {
    Counts c;
    try {
      db::Store src(s, {.create = false});
      merge_one(src, dst, c);
    } catch (const std::exception& e) {
      dst.finish_run(run_id, "failed", {}, std::string(s) + ": " + e.what());
      throw;
    }
    std::fprintf(stderr,
                 "iotmap merge: %s: %lld vantage points, %lld names, %lld resolutions (%lld new), "
                 "%lld passive DNS records, %lld new certificates, %lld TLS observations (%lld "
                 "new) under %lld new runs\n",
                 s.c_str(), static_cast<long long>(c.vantage_points),
                 static_cast<long long>(c.names), static_cast<long long>(c.resolutions),
                 static_cast<long long>(c.resolutions_new), static_cast<long long>(c.pdns),
                 static_cast<long long>(c.certificates), static_cast<long long>(c.tls),
                 static_cast<long long>(c.tls_new), static_cast<long long>(c.runs));
    if (c.rejected > 0)
      std::fprintf(stderr, "iotmap merge: %s: %lld rows with a rejected name skipped\n", s.c_str(),
                   static_cast<long long>(c.rejected));
    total.resolutions += c.resolutions;
    total.resolutions_new += c.resolutions_new;
    total.names += c.names;
    total.pdns += c.pdns;
    total.tls += c.tls;
    total.tls_new += c.tls_new;
    total.certificates += c.certificates;
    total.rejected += c.rejected;
  }
  const bool partial = total.rejected > 0;
  dst.finish_run(run_id, partial ? "partial" : "ok",
                 {{"resolutions", total.resolutions},
                  {"resolutions_new", total.resolutions_new},
                  {"names", total.names},
                  {"pdns", total.pdns},
                  {"certificates_new", total.certificates},
                  {"tls", total.tls},
                  {"tls_new", total.tls_new},
                  {"rejected", total.rejected}},
                 partial ? "rows with a rejected name were skipped" : "");
  return partial ? kPartial : kOk;
}

}  // namespace iotmap::cli
