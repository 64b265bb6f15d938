// `iotmap fetch SOURCE...|--all`: downloads the data sources (fetch/sources.toml, overlaid by
// --sources FILE) into the data directory and records each download in the database. The work
// is in fetch/ (crawler.h); this file picks the sources, takes the lock, and reports.
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "backend_map/dataset.h"
#include "config/catalogue.h"
#include "db/store.h"
#include "fetch/crawler.h"
#include "fetch/sources.h"
#include "lib/clock.h"
#include "lib/lockfile.h"
#include "lib/text.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

// A message line is cut here: a source's error quoting a whole body must not flood cron mail.
constexpr size_t kMessageBytes = 1000;

void list_sources(const fetch::FetchSettings& fs) {
  for (const auto& s : fs.sources) {
    std::string where = s.index.empty() ? s.url : s.index + " (latest)";
    std::printf("%-16s %-6s %-8s %-26s %s\n", s.name.c_str(), fetch::kind_name(s.kind),
                s.enabled ? "enabled" : "disabled", s.file.c_str(), where.c_str());
  }
}

// The sources named, or with --all every enabled one.
std::vector<const fetch::Source*> chosen_sources(const fetch::FetchSettings& fs, bool all,
                                                 const std::vector<std::string>& names) {
  if (all == !names.empty()) throw UsageError("name the sources to fetch, or --all (see --list)");
  std::vector<const fetch::Source*> chosen;
  for (const auto& n : names) {
    const fetch::Source* s = fs.find(n);
    if (s == nullptr) throw UsageError("unknown source " + n + " (see iotmap fetch --list)");
    chosen.push_back(s);
  }
  if (all)
    for (const auto& s : fs.sources)
      if (s.enabled) chosen.push_back(&s);
  return chosen;
}

// --data-dir, else the sources file's, else the configuration's; a configuration error when
// none is set.
std::string data_directory(const std::optional<std::string>& option, const fetch::FetchSettings& fs,
                           const config::Config& cfg) {
  std::string dir = option ? *option : fs.data_dir;
  if (dir.empty()) dir = cfg.sources.data_dir;
  if (dir.empty())
    throw config::ConfigError(
        "no data directory: set [sources] data_dir, [fetch] data_dir in --sources, or --data-dir");
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

int64_t begin_fetch_run(db::Store& store, const std::vector<const fetch::Source*>& chosen,
                        const std::string& data_dir) {
  std::string summary;
  for (const auto* s : chosen) summary += (summary.empty() ? "" : ",") + s->name;
  db::RunInfo info;
  info.kind = "fetch";
  info.covers = backend_map::day_str(backend_map::day_of(clock_now()));
  info.config = "sources=" + summary + " data_dir=" + data_dir;
  return store.begin_run(info);
}

// What the sources of one run came to: the run's counters and its first failure.
struct Outcome {
  int failed = 0, skipped = 0;
  std::map<std::string, int64_t> counts;
  std::string first_failure;
};

void fetch_each(const std::vector<const fetch::Source*>& chosen, fetch::Context& fc,
                const std::function<void(const std::string&)>& log, Outcome& o) {
  for (const auto* s : chosen) {
    fetch::SourceResult r;
    try {
      fc.now = clock_now();
      r = fetch::run_source(*s, fc);
    } catch (const std::exception& e) {
      r.status = fetch::SourceResult::Status::failed;
      r.message = e.what();
    }
    log(s->name + ": " + fetch::status_name(r.status) + ": " + r.message);
    ++o.counts[std::string("sources_") + fetch::status_name(r.status)];
    for (const auto& [k, v] : r.counts) o.counts[s->name + "." + k] = v;
    if (r.status == fetch::SourceResult::Status::failed) {
      ++o.failed;
      if (o.first_failure.empty())
        o.first_failure = shown(s->name + ": " + fc.redact(r.message), kMessageBytes);
    }
    if (r.status == fetch::SourceResult::Status::skipped) ++o.skipped;
  }
}

}  // namespace

int run_fetch(Context& ctx, Args& args) {
  bool all = args.flag("--all");
  bool list = args.flag("--list");
  auto sources_file = args.option("--sources");
  if (!sources_file && !ctx.config().sources.fetch_file.empty())
    sources_file = ctx.config().sources.fetch_file;
  auto data_dir_opt = args.option("--data-dir");
  auto names = args.positionals();

  fetch::FetchSettings fs = fetch::load_sources(sources_file);
  if (list) {
    list_sources(fs);
    return kOk;
  }
  const auto chosen = chosen_sources(fs, all, names);
  const std::string data_dir = data_directory(data_dir_opt, fs, ctx.config());
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "iotmap fetch: cannot create %s: %s\n", data_dir.c_str(),
                 ec.message().c_str());
    return kFailure;
  }
  auto lock = LockFile::try_acquire(data_dir + "/.fetch.lock");
  if (!lock) {
    std::fprintf(stderr, "iotmap fetch: another fetch is running in %s\n", data_dir.c_str());
    return kLocked;
  }

  fetch::HttpSettings http = fs.http;
  if (const char* g = std::getenv("IOTMAP_FETCH_LOOPBACK_ONLY");
      g != nullptr && std::string(g) == "1")
    http.loopback_only = true;
  fetch::Redactor redact;
  auto log = [&](const std::string& line) {
    // Messages may quote a downloaded body (a parser's "last read"): never a raw escape
    // sequence on the terminal or in cron mail.
    std::fprintf(stderr, "iotmap fetch: %s\n", shown(redact(line), kMessageBytes).c_str());
  };
  fetch::HttpClient client(http, redact, log);
  db::Store store(ctx.db_path());
  auto catalogue = config::Catalogue::load(ctx.config());
  const int64_t run_id = begin_fetch_run(store, chosen, data_dir);
  ctx.track_run(ctx.db_path(), run_id);

  fetch::Context fc{fs, data_dir, client, store, catalogue, redact, log, clock_now(), run_id};
  Outcome o;
  fetch_each(chosen, fc, log, o);
  std::string status = o.failed > 0 ? "failed" : o.skipped > 0 ? "partial" : "ok";
  store.finish_run(run_id, status, o.counts, o.first_failure);
  if (o.failed > 0) return kFailure;
  return o.skipped > 0 ? kPartial : kOk;
}

}  // namespace iotmap::cli
