// `iotmap resolve`: gathers candidate names (catalogue, passive DNS, certificates, command line)
// into the store, resolves each from every vantage point with the engine (resolver/engine.h),
// and files the results under the current UTC hour. A second run in the same hour asks only the
// jobs that have no answered row yet; a reply replaces a row that got none (docs/resolver.md).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <unordered_set>

#include "config/catalogue.h"
#include "db/store.h"
#include "ethics/policy.h"
#include "fetch/bulk_dns.h"
#include "fetch/sha256.h"
#include "lib/batch_pipe.h"
#include "lib/clock.h"
#include "lib/dns_name.h"
#include "lib/lockfile.h"
#include "lib/progress.h"
#include "lib/stop_signal.h"
#include "lib/text.h"
#include "resolver/address_evidence.h"
#include "resolver/engine.h"
#include "resolver/incremental.h"
#include "resolver/pdns.h"
#include "resolver/ptr.h"
#include "resolver/rows.h"
#include "resolver/wire.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

using resolver::Result;

constexpr size_t kBatch = 10000;  // rows per store transaction
// Batches in the pipe to the store's thread: one being filled, one being written, one waiting,
// so that a slow commit does not stop the engine at once.
constexpr size_t kStoreBuffers = 3;

// "YYYY-MM-DD" (00:00 UTC) or Unix seconds.
int64_t time_option(const std::string& flag, const std::string& text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos)
    return whole_option<int64_t>(flag, text, 0, std::numeric_limits<int64_t>::max());
  return int64_t{date_option(flag, text)} * 86400;
}

std::string trim(const std::string& s) {
  auto a = s.find_first_not_of(" \t\r");
  if (a == std::string::npos) return "";
  auto b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

struct Gathered {
  std::vector<std::string> names;  // what this run resolves, normalized with trailing dot
  std::vector<int64_t> ids;  // names.id of each of `names` when read from the store, else empty
  bool bad_input = false;
  std::map<std::string, int64_t> counts;
  // Passive-DNS files read this run: their address evidence is collected after the run's
  // resolutions (which add candidate addresses), then the import is recorded.
  std::vector<db::PdnsFileRow> pdns_imported;
};

// Names given as arguments ("-" reads stdin, one per line; '#' starts a comment).
Gathered from_arguments(const std::vector<std::string>& args, const config::Catalogue& cat,
                        db::Store& store, int64_t now) {
  Gathered g;
  std::vector<db::NameRow> rows;
  std::unordered_set<std::string> seen;
  auto take = [&](const std::string& raw, const std::string& where) {
    std::string text = trim(raw);
    if (text.empty() || text[0] == '#') return;
    std::string why;
    auto name = normalise_dns_name(text, &why);
    if (!name || (*name)[0] == '*') {
      std::fprintf(stderr, "iotmap resolve: %s: '%s' is not a name to resolve%s%s; skipped\n",
                   where.c_str(), shown(text).c_str(), why.empty() ? "" : ": ", why.c_str());
      g.bad_input = true;
      ++g.counts["bad_names"];
      return;
    }
    if (!seen.insert(*name).second) return;
    g.names.push_back(*name);
    rows.push_back(resolver::catalogue_name_row(cat, *name, "cli", now));
  };
  for (const auto& a : args) {
    if (a != "-") {
      take(a, "argument");
      continue;
    }
    std::string line;
    for (size_t n = 1; std::getline(std::cin, line); ++n) take(line, "stdin:" + std::to_string(n));
  }
  for (size_t i = 0; i < rows.size(); i += kBatch)
    store.upsert_names(std::span(rows).subspan(i, std::min(kBatch, rows.size() - i)));
  g.counts["names_cli"] = static_cast<int64_t>(rows.size());
  return g;
}

// Passive DNS files: records of matching names go to the pdns table, their names become
// candidates (source pdns, last seen = time_last). A file whose content and filter are those
// of its last import is not read again: the upserts would change nothing. The digest, not the
// size and mtime, decides, because copies keep the mtime (cp -p, rsync -t) and a rewrite within
// the same second keeps it too; hashing costs less than parsing.
void import_pdns_files(const std::vector<std::string>& files, const config::Catalogue& cat,
                       const resolver::PdnsFilter& window, db::Store& store, int64_t run_id,
                       int64_t now, Gathered& g) {
  const std::string filter_key = resolver::pdns_filter_key(window, cat);
  for (const auto& file : files) {
    struct stat file_info {};
    std::string sha = ::stat(file.c_str(), &file_info) == 0 ? fetch::sha256_file(file) : "";
    std::ifstream in(file);
    if (!in || sha.empty()) {
      std::fprintf(stderr, "iotmap resolve: cannot read passive DNS file %s; skipped\n",
                   file.c_str());
      g.bad_input = true;
      continue;
    }
    // Cron and a person at the shell name the same file from different directories.
    const std::string path = std::filesystem::absolute(file).lexically_normal().string();
    auto stored = store.pdns_file(path);
    if (resolver::pdns_file_unchanged(stored, sha, filter_key)) {
      std::fprintf(stderr,
                   "iotmap resolve: passive DNS %s: unchanged since %s; not imported again\n",
                   file.c_str(), utc_time_text(stored->imported_at).c_str());
      ++g.counts["pdns_files_unchanged"];
      continue;
    }
    std::string source = file.substr(file.find_last_of('/') + 1);
    auto imported = resolver::import_pdns(in, file, window, source, cat, store);
    const resolver::PdnsStats& st = imported.stats;
    for (const auto& e : st.errors)
      std::fprintf(stderr, "iotmap resolve: %s; skipped\n", shown(e, 300).c_str());
    if (st.malformed > st.errors.size())
      std::fprintf(stderr, "iotmap resolve: %s: %llu more malformed lines skipped\n", file.c_str(),
                   static_cast<unsigned long long>(st.malformed - st.errors.size()));
    std::fprintf(stderr,
                 "iotmap resolve: passive DNS %s: %llu lines, %llu records kept, %llu outside the "
                 "window, %llu not matching, %llu malformed; %zu names\n",
                 file.c_str(), static_cast<unsigned long long>(st.lines),
                 static_cast<unsigned long long>(st.kept),
                 static_cast<unsigned long long>(st.outside_window),
                 static_cast<unsigned long long>(st.not_matching),
                 static_cast<unsigned long long>(st.malformed), imported.names);
    if (st.malformed > 0) g.bad_input = true;
    g.counts["pdns_records"] += static_cast<int64_t>(st.kept);
    g.counts["pdns_malformed"] += static_cast<int64_t>(st.malformed);
    g.counts["names_pdns"] += static_cast<int64_t>(imported.names);
    ++g.counts["pdns_files_imported"];
    g.pdns_imported.push_back({path, static_cast<int64_t>(file_info.st_size),
                               static_cast<int64_t>(file_info.st_mtim.tv_sec), sha, filter_key, now,
                               static_cast<int64_t>(st.kept), run_id});
  }
}

// The second half of a passive-DNS import (resolver/address_evidence.h): what else points at
// candidate addresses, now that this run's resolutions are stored. Only then is the file
// recorded as imported, so that a run stopped before this point reads it again.
void import_address_evidence(const config::Catalogue& cat, const resolver::PdnsFilter& window,
                             db::Store& store, Gathered& g) {
  for (const auto& file : g.pdns_imported) {
    std::ifstream in(file.path);
    if (!in) {
      std::fprintf(stderr, "iotmap resolve: cannot read passive DNS file %s again; skipped\n",
                   file.path.c_str());
      g.bad_input = true;
      continue;
    }
    std::string source = file.path.substr(file.path.find_last_of('/') + 1);
    auto ev = resolver::import_address_evidence(resolver::dnsdb_reader(in, file.path, window),
                                                window.from, window.to, "pdns", source, cat, store);
    std::fprintf(stderr,
                 "iotmap resolve: passive DNS %s: %zu records on %zu candidate addresses kept as "
                 "address evidence (%zu passes%s)\n",
                 file.path.c_str(), ev.records, ev.candidate_addresses, ev.passes,
                 ev.converged ? "" : ", stopped before the CNAME chains were complete");
    g.counts["pdns_address_records"] += static_cast<int64_t>(ev.records);
    store.record_pdns_file(file);
  }
}

// Names in certificates the scanner observed since the previous resolve run that did this
// (resolver::cert_cursor): CN and DNS SANs that match a pattern, first and last seen when the
// observations were made. Only the leaf's names count: it is the certificate the server
// presents for itself, while intermediates and roots name their CA (a vendor CA called
// "ca.vendor-iot.example" is not a host that serves devices).
void import_cert_names(const config::Catalogue& cat, db::Store& store, Gathered& g) {
  auto cursor =
      resolver::cert_cursor(store.latest_run_with("resolve", resolver::kCertObservationCount));
  std::vector<db::ObservedCertName> seen;
  int64_t last_id = store.for_each_observed_cert_name(
      cursor.after_id, cursor.since, [&](const db::ObservedCertName& n) { seen.push_back(n); });
  auto rows = resolver::cert_name_rows(cat, seen);
  store.upsert_names(rows);
  std::set<std::string_view> names;
  for (const auto& r : rows) names.insert(r.name);
  g.counts["names_cert"] = static_cast<int64_t>(names.size());
  g.counts[resolver::kCertObservationCount] = last_id;
}

// Forward-DNS data sets (fetch/bulk_dns.h): only what points at candidate addresses is kept
// (address_names, kind bulk), and the provider names the set names become candidate names
// (source bulk; found on the first pass over the file). A record without a time gets the
// file's modification time.
void import_bulk_files(const std::vector<std::string>& files, const config::Catalogue& cat,
                       const resolver::PdnsFilter& window, db::Store& store, Gathered& g) {
  for (const auto& file : files) {
    struct stat info {};
    if (::stat(file.c_str(), &info) != 0) {
      std::fprintf(stderr, "iotmap resolve: cannot read bulk DNS file %s; skipped\n", file.c_str());
      g.bad_input = true;
      continue;
    }
    fetch::BulkStats st;
    resolver::AddressImport ev;
    resolver::ProviderNames found([&](const std::string& n) { return cat.match(n).has_value(); });
    try {
      auto reader = fetch::bulk_reader(file, info.st_mtim.tv_sec, window.from, window.to, st);
      bool first_pass = true;
      auto names_too = [&](const std::function<void(const resolver::PdnsRecord&)>& fn) {
        reader([&](const resolver::PdnsRecord& r) {
          if (first_pass) found.see(r);
          fn(r);
        });
        first_pass = false;
      };
      ev = resolver::import_address_evidence(names_too, window.from, window.to, "bulk",
                                             file.substr(file.find_last_of('/') + 1), cat, store);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "iotmap resolve: %s; skipped\n", e.what());
      g.bad_input = true;
      continue;
    }
    for (const auto& e : st.errors)
      std::fprintf(stderr, "iotmap resolve: %s; skipped\n", e.c_str());
    std::fprintf(stderr,
                 "iotmap resolve: bulk DNS %s: %llu lines, %llu records in the window, %llu "
                 "malformed; %zu records on %zu candidate addresses kept (%zu passes%s)\n",
                 file.c_str(), static_cast<unsigned long long>(st.lines),
                 static_cast<unsigned long long>(st.records),
                 static_cast<unsigned long long>(st.malformed), ev.records, ev.candidate_addresses,
                 ev.passes, ev.converged ? "" : ", stopped before the CNAME chains were complete");
    std::vector<db::NameRow> rows;
    for (const auto& [name, seen] : found.names())
      rows.push_back(resolver::catalogue_name_row(cat, name, "bulk", seen));
    store.upsert_names(rows);
    std::fprintf(stderr,
                 "iotmap resolve: bulk DNS %s: %zu provider names, candidates from now on\n",
                 file.c_str(), rows.size());
    if (st.malformed > 0) g.bad_input = true;
    g.counts["bulk_address_records"] += static_cast<int64_t>(ev.records);
    g.counts["names_bulk"] += static_cast<int64_t>(rows.size());
  }
}

// resolve --ptr (docs/resolver.md): the PTR names of the window's candidate addresses (the
// last 7 days when no --since), asked from every vantage point of the run at most at
// resolver.ptr_qps per resolver, the blocklist's addresses left out. Stored in address_names
// (rrtype PTR, kind ptr, source the vantage point); they name hosts, not served sites.
void resolve_ptr(const config::Config& cfg, const std::vector<config::VantagePoint>& vps,
                 const ethics::Blocklist& blocklist, const resolver::PdnsFilter& window,
                 int64_t now, db::Store& store, Gathered& g) {
  const int64_t from = window.from == INT64_MIN ? now - int64_t{7} * 86400 : window.from;
  const int64_t to = window.to == INT64_MAX ? now + 1 : window.to;
  auto targets = resolver::ptr_targets(store.candidate_addresses(from, to),
                                       [&](const IpAddress& ip) { return blocklist.contains(ip); });
  config::ResolverSettings settings = cfg.resolver;
  settings.qps = std::min(settings.qps, settings.ptr_qps);
  std::vector<db::AddressNameRow> rows;
  size_t named = 0;
  resolver::EngineOptions opts;
  opts.qtypes = {resolver::kTypePtr};
  opts.on_result = [&](const Result& r) {
    auto add = resolver::ptr_rows(r, targets.ips[r.name_index], now);
    named += add.empty() ? 0 : 1;
    rows.insert(rows.end(), add.begin(), add.end());
  };
  opts.on_notice = [](const std::string& m) {
    std::fprintf(stderr, "iotmap resolve: PTR: %s\n", m.c_str());
  };
  opts.stop = &StopOnSignal::flag();
  resolver::Engine engine(vps, settings, opts);
  auto stats = engine.run(targets.names);
  store.upsert_address_names(rows);
  std::fprintf(stderr,
               "iotmap resolve: PTR: %zu candidate addresses asked from %zu vantage points "
               "(%zu blocklisted, not asked) in %llu queries at <= %g/s per resolver: %zu answers "
               "with %zu names\n",
               targets.names.size(), vps.size(), targets.blocked,
               static_cast<unsigned long long>(stats.queries), settings.qps, named, rows.size());
  g.counts["ptr_addresses"] = static_cast<int64_t>(targets.names.size());
  g.counts["ptr_blocked"] = static_cast<int64_t>(targets.blocked);
  g.counts["ptr_names"] = static_cast<int64_t>(rows.size());
}

Gathered from_sources(const config::Config& cfg, const config::Catalogue& cat, db::Store& store,
                      int64_t now, int64_t run_id, bool use_catalogue,
                      const std::vector<std::string>& pdns_files,
                      const resolver::PdnsFilter& window) {
  Gathered g;
  if (use_catalogue) {
    std::vector<db::NameRow> rows;
    for (const auto& n : cat.candidate_names())
      rows.push_back(resolver::catalogue_name_row(cat, n, "catalogue", now));
    store.upsert_names(rows);
    g.counts["names_catalogue"] = static_cast<int64_t>(rows.size());
  }
  std::vector<std::string> files = cfg.sources.passive_dns;
  files.insert(files.end(), pdns_files.begin(), pdns_files.end());
  import_pdns_files(files, cat, window, store, run_id, now, g);
  import_cert_names(cat, store, g);
  for (auto& row : store.candidate_names()) {
    g.names.push_back(std::move(row.name));
    g.ids.push_back(row.id);
  }
  return g;
}

// The jobs of this run and which of them the stored rows of `hour` answered already.
resolver::HourJobs hour_jobs(db::Store& store, int64_t hour,
                             const std::vector<config::VantagePoint>& vps,
                             const std::vector<uint16_t>& qtypes) {
  std::vector<std::string> types, vantages;
  for (uint16_t t : qtypes) types.push_back(resolver::type_name(t));
  for (const auto& vp : vps) vantages.push_back(vp.name);
  resolver::HourJobs jobs(std::move(types), std::move(vantages));
  store.for_each_resolution(hour, hour + 3600, [&](const db::ResolutionRow& r) { jobs.add(r); });
  return jobs;
}

std::string settings_summary(const config::ResolverSettings& s) {
  char buf[160];
  std::snprintf(buf, sizeof buf,
                "max_in_flight=%d qps=%g timeout_ms=%d retries=%d max_cname_chain=%d",
                s.max_in_flight, s.qps, s.timeout_ms, s.retries, s.max_cname_chain);
  return buf;
}

// What one `iotmap resolve` invocation asks for, read from its options before any work.
struct Request {
  std::vector<config::VantagePoint> vps;
  std::vector<uint16_t> qtypes;
  resolver::PdnsFilter window;
  std::vector<std::string> pdns_files, bulk_files, positional;
  bool use_catalogue = true;
  bool ptr = false;
  ethics::Blocklist blocklist;  // the PTR stage's; empty without --ptr
};

std::vector<config::VantagePoint> chosen_vantage_points(const config::Config& cfg,
                                                        const std::vector<std::string>& wanted) {
  if (wanted.empty()) return cfg.vantage_points;
  std::vector<config::VantagePoint> vps;
  for (const auto& w : wanted) {
    auto it = std::find_if(cfg.vantage_points.begin(), cfg.vantage_points.end(),
                           [&](const auto& vp) { return vp.name == w; });
    if (it == cfg.vantage_points.end()) throw UsageError("no vantage point named " + w);
    vps.push_back(*it);
  }
  return vps;
}

std::vector<uint16_t> query_types(const std::optional<std::string>& opt) {
  if (!opt) return {resolver::kTypeA, resolver::kTypeAaaa};
  std::vector<uint16_t> qtypes;
  for (auto t : split(*opt, ',')) {
    auto qt = resolver::type_from_name(std::string(t));
    if (!qt || (*qt != resolver::kTypeA && *qt != resolver::kTypeAaaa))
      throw UsageError("--types takes A and/or AAAA, not '" + std::string(t) + "'");
    qtypes.push_back(*qt);
  }
  return qtypes;
}

Request read_request(Context& ctx, Args& args) {
  Request req;
  args.flag("--once");  // the default: resolve once, file under the current hour
  auto wanted = args.options("--vantage");
  req.pdns_files = args.options("--pdns");
  req.bulk_files = args.options("--bulk");
  auto since = args.option("--since");
  auto until = args.option("--until");
  auto types = args.option("--types");
  req.use_catalogue = !args.flag("--no-catalogue");
  req.ptr = args.flag("--ptr");
  req.positional = args.positionals();

  const config::Config& cfg = ctx.config();
  req.vps = chosen_vantage_points(cfg, wanted);
  req.qtypes = query_types(types);
  if (since) req.window.from = time_option("--since", *since);
  if (until) req.window.to = time_option("--until", *until);
  // The blocklist the PTR stage honours is read before any work: a bad file is a config error.
  if (req.ptr) {
    try {
      req.blocklist = ethics::configured_blocklist(cfg);
    } catch (const std::runtime_error& e) {
      throw config::ConfigError(e.what());
    }
  }
  return req;
}

// Records the vantage points and begins the run. We hold the resolve lock: a resolve run still
// 'running' belongs to a process that was killed (a killed hourly or daily takes its resolve
// stage with it), so it is closed here.
int64_t begin_resolve_run(const config::Config& cfg, const std::vector<config::VantagePoint>& vps,
                          int64_t hour, db::Store& store) {
  std::string vantage_list;
  for (const auto& vp : vps) {
    for (const auto& note : vp.notes)
      std::fprintf(stderr, "iotmap resolve: vantage point %s: %s\n", vp.name.c_str(), note.c_str());
    vantage_list += (vantage_list.empty() ? "" : ",") + vp.name;
    db::VantagePointRow row{
        vp.name, vp.location, vp.client_subnet ? vp.client_subnet->str() : "", {}};
    for (const auto& r : vp.resolvers) row.resolvers.push_back(r.str());
    store.upsert_vantage_point(row);
  }
  db::RunInfo info;
  info.kind = "resolve";
  info.covers = resolver::hour_label(hour);
  info.vantage = vantage_list;
  info.config = settings_summary(cfg.resolver);
  const int64_t run_id = store.begin_run(info);
  for (int64_t id : store.close_stale_runs("resolve", run_id,
                                           "interrupted: the process died before finishing "
                                           "(found by run #" +
                                               std::to_string(run_id) + ")"))
    std::fprintf(stderr, "iotmap resolve: run #%lld was killed before it finished; marked failed\n",
                 static_cast<long long>(id));
  return run_id;
}

struct Resolved {
  resolver::RunStats stats;
  size_t stored = 0;  // rows handed to the store
  size_t added = 0;   // of which new
};

// Asks every missing (name, type, vantage point) of the hour and stores the answers. The store
// writes on a thread of its own while the engine resolves on this one: the store is used by
// that thread alone until finish() or close() returns. The rows are reused from batch to batch
// (fill_row keeps their buffers): no allocation per result after the first round.
Resolved resolve_names(const config::Config& cfg, const Request& req, const Gathered& g,
                       const resolver::HourJobs& jobs, int64_t hour, int64_t run_id,
                       Progress& progress, db::Store& store) {
  Resolved out;
  BatchPipe<db::ResolutionRow> writer(kBatch, kStoreBuffers, [&](std::span<db::ResolutionRow> b) {
    out.added += store.add_resolutions(b);
    out.stored += b.size();
  });
  const std::vector<std::string>& names = g.names;
  resolver::EngineOptions opts;
  opts.qtypes = req.qtypes;
  opts.on_result = [&](const Result& r) {
    db::ResolutionRow& row = writer.next();
    resolver::fill_row(r, hour, run_id, row);
    row.name_id = g.ids.empty() ? 0 : g.ids[r.name_index];
    progress.add();
  };
  opts.on_notice = [](const std::string& m) {
    std::fprintf(stderr, "\niotmap resolve: %s\n", m.c_str());
  };
  opts.stop = &StopOnSignal::flag();
  // A name kept because one of its jobs is missing is not asked again where it has its answer.
  opts.skip = [&](size_t v, uint32_t i, size_t t) { return jobs.done(names[i], t, v); };
  try {
    resolver::Engine engine(req.vps, cfg.resolver, opts);
    // A signal during the import: nothing is sent, the run ends as interrupted below.
    if (!StopOnSignal::raised()) out.stats = engine.run(names);
    writer.finish();
  } catch (...) {
    writer.close();
    throw;
  }
  return out;
}

// The run's counters, and the one-line "status n, ..." text of its statuses.
std::map<std::string, int64_t> run_counts(const Gathered& g, const Resolved& r,
                                          std::string* by_status) {
  auto counts = g.counts;
  counts["names"] = static_cast<int64_t>(g.names.size());
  counts["rows"] = static_cast<int64_t>(r.stored);
  counts["rows_added"] = static_cast<int64_t>(r.added);
  counts["queries"] = static_cast<int64_t>(r.stats.queries);
  for (int s = 0; s < resolver::kStatusCount; ++s) {
    if (r.stats.by_status[s] == 0) continue;
    const char* n = resolver::status_name(static_cast<resolver::Status>(s));
    counts[std::string("status_") + n] = static_cast<int64_t>(r.stats.by_status[s]);
    *by_status += std::string(by_status->empty() ? "" : ", ") + n + " " +
                  std::to_string(r.stats.by_status[s]);
  }
  return counts;
}

// Prints the resolvers that were down; true when every resolver of a vantage point was down at
// the end, or silent all along: its names could not be measured.
bool report_resolvers(const resolver::RunStats& stats) {
  std::map<std::string, std::pair<int, int>> down;  // vantage -> (dead, all)
  for (const auto& r : stats.resolvers) {
    auto& d = down[r.vantage];
    d.first += r.down || (r.sent > 0 && r.replies == 0);
    d.second += 1;
    if (r.down || r.times_down > 0)
      std::fprintf(
          stderr,
          "iotmap resolve: resolver %s (vantage point %s) %s: %llu sent, %llu replies, "
          "%llu timeouts, %llu socket errors\n",
          r.resolver.c_str(), r.vantage.c_str(),
          r.down ? "was down at the end" : "was down for a while",
          static_cast<unsigned long long>(r.sent), static_cast<unsigned long long>(r.replies),
          static_cast<unsigned long long>(r.timeouts), static_cast<unsigned long long>(r.errors));
  }
  bool dead_vantage = false;
  for (const auto& [vp, d] : down) dead_vantage = dead_vantage || (d.first == d.second);
  return dead_vantage;
}

// The evidence stages that follow the hour's resolution: passive-DNS addresses, bulk DNS files
// and PTR names.
void import_evidence(const config::Config& cfg, const config::Catalogue& cat, const Request& req,
                     int64_t now, db::Store& store, Gathered& g) {
  import_address_evidence(cat, req.window, store, g);
  import_bulk_files(req.bulk_files, cat, req.window, store, g);
  if (req.ptr && !StopOnSignal::raised())
    resolve_ptr(cfg, req.vps, req.blocklist, req.window, now, store, g);
}

}  // namespace

int run_resolve(Context& ctx, Args& args) {
  const Request req = read_request(ctx, args);
  const config::Config& cfg = ctx.config();
  const std::string db_path = ctx.db_path();
  const std::string lock_file = lock_path(db_path, ".resolve.lock");
  auto lock = LockFile::try_acquire(lock_file);
  if (!lock) {
    std::fprintf(stderr, "iotmap resolve: another resolve holds %s; nothing done\n",
                 lock_file.c_str());
    return kLocked;
  }
  auto cat = config::Catalogue::load(cfg);
  db::Store store(db_path);
  const int64_t now = clock_now();
  const int64_t hour = resolver::hour_start(now);
  const std::string covers = resolver::hour_label(hour);
  const int64_t run_id = begin_resolve_run(cfg, req.vps, hour, store);
  ctx.track_run(db_path, run_id);
  // From here SIGTERM/SIGINT end the run cleanly: what was resolved is stored, the run is
  // marked interrupted, and the next run of the same hour asks only for what is missing.
  StopOnSignal signals;

  Gathered g = req.positional.empty() ? from_sources(cfg, cat, store, now, run_id,
                                                     req.use_catalogue, req.pdns_files, req.window)
                                      : from_arguments(req.positional, cat, store, now);
  const size_t candidates = g.names.size();
  const resolver::HourJobs jobs = hour_jobs(store, hour, req.vps, req.qtypes);
  const size_t done = resolver::keep_unfinished(jobs, g.names, g.ids);
  if (done > 0)
    std::fprintf(stderr,
                 "iotmap resolve: %zu of %zu names already resolved for %s; not asked again\n",
                 done, candidates, covers.c_str());

  const uint64_t total = jobs.missing(g.names);
  const uint64_t answered_before = g.names.size() * req.qtypes.size() * req.vps.size() - total;
  Progress progress("resolve " + covers, total);
  Resolved r;
  try {
    r = resolve_names(cfg, req, g, jobs, hour, run_id, progress, store);
  } catch (const std::exception& e) {
    store.finish_run(run_id, "failed", g.counts, e.what());
    throw;
  }
  progress.finish();
  const bool interrupted = StopOnSignal::raised() || r.stats.stopped;
  if (!interrupted) import_evidence(cfg, cat, req, now, store, g);

  std::string by_status;
  const auto counts = run_counts(g, r, &by_status);
  std::fprintf(stderr,
               "iotmap resolve: %s: %zu names x %zu types x %zu vantage points%s = %zu rows "
               "(%zu new) from %llu queries in %.1f s (%.0f rows/s)%s%s\n",
               covers.c_str(), g.names.size(), req.qtypes.size(), req.vps.size(),
               answered_before == 0
                   ? ""
                   : (" less " + std::to_string(answered_before) + " answered earlier").c_str(),
               r.stored, r.added, static_cast<unsigned long long>(r.stats.queries), r.stats.seconds,
               r.stats.seconds > 0 ? static_cast<double>(r.stored) / r.stats.seconds : 0.0,
               by_status.empty() ? "" : "; ", by_status.c_str());
  const bool dead_vantage = report_resolvers(r.stats);
  if (interrupted) {
    std::fprintf(stderr,
                 "iotmap resolve: stopped by a signal: %zu of %llu rows stored; the next run "
                 "for %s asks only for the rest\n",
                 r.stored, static_cast<unsigned long long>(total), covers.c_str());
    store.finish_run(run_id, "interrupted", counts,
                     "stopped by a signal after " + std::to_string(r.stored) + " of " +
                         std::to_string(total) + " rows");
    return kFailure;
  }
  const char* status = dead_vantage ? "failed" : g.bad_input ? "partial" : "ok";
  store.finish_run(run_id, status, counts,
                   dead_vantage ? "every resolver of a vantage point stopped answering" : "");
  if (dead_vantage) return kFailure;
  return g.bad_input ? kPartial : kOk;
}

}  // namespace iotmap::cli
