// `iotmap scan`: TLS certificates and IoT protocol probes (scanner/engine.h) over target files,
// addresses on the command line, or the IPs the resolver found for a date or hour. Ethics
// first: without a blocklist file and contact information nothing happens (exit 6), and the
// blocklist is honoured by the engine before every connection. Each scan is a run in the
// store with its settings and counts; its checkpoint lets a killed scan resume where it was,
// with the same seed and run, repeating and losing no target. docs/scan-output.md describes
// --output jsonl.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <unordered_set>

#include "config/catalogue.h"
#include "db/store.h"
#include "ethics/policy.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/lockfile.h"
#include "lib/progress.h"
#include "lib/stop_signal.h"
#include "resolver/rows.h"
#include "scanner/engine.h"
#include "scanner/ports.h"
#include "scanner/record.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

using namespace iotmap::scanner;

std::vector<uint16_t> parse_ports(const std::string& text) {
  std::vector<uint16_t> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string p = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (p.empty() || p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(p) == 0 || std::stoul(p) > 65535)
      throw UsageError("--ports takes port numbers 1-65535 separated by commas, not '" + p + "'");
    out.push_back(static_cast<uint16_t>(std::stoul(p)));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

// [from, to) and the label of "YYYY-MM-DD" or "YYYY-MM-DDTHH".
struct Period {
  int64_t from = 0, to = 0;
  std::string label;
};

Period parse_period(const std::string& text) {
  if (text.size() == 13) {
    int64_t hour = hour_option("--resolutions", text);
    return {hour, hour + 3600, text};
  }
  if (text.size() == 10) {
    int64_t day = int64_t{date_option("--resolutions", text)} * 86400;
    return {day, day + 86400, text};
  }
  throw UsageError("--resolutions wants YYYY-MM-DD or YYYY-MM-DDTHH, not '" + text + "'");
}

// Every (ip, name) the resolver stored for the period: each IP a target, its names as SNI.
void targets_from_resolutions(db::Store& store, const Period& p, TargetList& list) {
  store.for_each_ip_name(p.from, p.to, [&](const db::IpNameRow& row) {
    auto ip = IpAddress::parse(row.ip);
    if (!ip) return;
    std::string name = sni_name(row.name);
    list.add(*ip, name.empty() ? std::vector<std::string>{} : std::vector<std::string>{name});
  });
}

// The addresses that imported certificate data sets attribute to providers in the classify
// window before the period's end (docs/certificates.md): scanned like any candidate, with their
// provider names as SNI (wildcards cannot be sent).
void targets_from_certificates(db::Store& store, const Period& p, int window_days,
                               TargetList& list) {
  const int64_t from = p.to - int64_t{std::max(1, window_days)} * 86400;
  store.for_each_imported_provider_address(from, p.to,
                                           [&](std::string_view ip, std::string_view name) {
                                             auto addr = IpAddress::parse(ip);
                                             if (!addr) return;
                                             std::vector<std::string> names;
                                             if (!name.starts_with("*."))
                                               names.push_back(sni_name(name));
                                             list.add(*addr, names);
                                           });
}

std::string settings_summary(const EngineOptions& o, const config::ScanSettings& s,
                             const std::optional<std::vector<uint16_t>>& ports, bool grab_only) {
  std::string p = "catalogue";
  if (ports) {
    p.clear();
    for (auto port : *ports) p += (p.empty() ? "" : ",") + std::to_string(port);
  }
  char buf[320];
  std::snprintf(buf, sizeof buf,
                "rate=%g max_in_flight=%d timeout_ms=%d per_ip_spacing_ms=%d "
                "per_prefix_spacing_ms=%d max_bytes=%llu workers=%d sni=%s%s ports=%s tls=%s%s",
                o.rate, o.max_in_flight, o.timeout_ms, o.per_ip_spacing_ms, o.per_prefix_spacing_ms,
                static_cast<unsigned long long>(o.max_bytes), o.workers,
                s.probe_without_sni ? "none" : "", s.probe_with_names ? "+names" : "", p.c_str(),
                std::string(to_string(o.tls_mode)).c_str(), grab_only ? " grab-only" : "");
  return buf;
}

// The steps above the checkpoint whose observation the killed run already stored.
std::vector<uint64_t> stored_steps(db::Store& store, int64_t run_id, const TaskSet& tasks,
                                   const ScanOrder& order, uint64_t from) {
  std::unordered_set<std::string> seen;
  store.database()
      .cached("SELECT ip, port, sni FROM tls_observations WHERE run_id = ?")
      .bind(1, run_id)
      .each([&](db::Statement& s) {
        seen.insert(s.text(0) + " " + std::to_string(s.int64(1)) + " " + s.text(2));
      });
  std::vector<uint64_t> out;
  for (uint64_t step = from; step < order.steps() && out.size() < seen.size(); ++step) {
    const Task& t = tasks.tasks[order.task_at(step)];
    std::string key = tasks.ip(t).str() + " " + std::to_string(tasks.plan(t).port) + " " +
                      std::string(tasks.sni(t));
    if (seen.count(key) != 0) out.push_back(step);
  }
  return out;
}

// A scan that failed or was stopped keeps its checkpoint and stays unfinished so that the same
// command resumes it; its status says what happened meanwhile. Marking is best effort: the
// error that stopped the scan (a full disk, say) may stop this write too.
void mark_resumable(db::Store& store, int64_t run_id, const char* status, const std::string& why) {
  try {
    store.set_run_status(run_id, status, why + "; the same command resumes this run");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iotmap scan: could not mark run #%lld %s: %s\n",
                 static_cast<long long>(run_id), status, e.what());
  }
}

// What the command line asks, read and checked before any work (a usage error exits 2).
struct ScanRequest {
  std::vector<std::string> files, targets;
  std::optional<Period> period;  // --resolutions
  std::optional<std::vector<uint16_t>> ports;
  std::optional<uint64_t> seed;
  std::optional<double> rate;
  std::optional<TlsMode> tls_mode;
  Shard shard;
  bool jsonl = false, fresh = false, grab_only = false;

  // Neither files nor --target: the resolver's addresses and the configured hitlists.
  bool default_targets() const { return files.empty() && targets.empty(); }
};

ScanRequest read_request(Args& args) {
  ScanRequest r;
  auto ports = args.option("--ports");
  auto shard = args.option("--shard");
  auto seed = args.option("--seed");
  auto output = args.option("--output");
  auto resolutions = args.option("--resolutions");
  r.targets = args.options("--target");
  auto rate = args.option("--rate");
  r.fresh = args.flag("--fresh");
  r.grab_only = args.flag("--grab-only");
  auto tls_mode = args.option("--tls-mode");
  r.files = args.positionals();
  if (std::count(r.files.begin(), r.files.end(), "-") > 1)
    throw UsageError("- (the targets on standard input) can be given once");
  if (output && *output != "jsonl" && *output != "none")
    throw UsageError("--output takes jsonl or none, not '" + *output + "'");
  r.jsonl = output && *output == "jsonl";
  if (shard) {
    std::string error;
    auto s = Shard::parse(*shard, &error);
    if (!s) throw UsageError(error);
    r.shard = *s;
  }
  if (ports) r.ports = parse_ports(*ports);
  if (seed)
    r.seed = whole_option<uint64_t>("--seed", *seed, 0, std::numeric_limits<uint64_t>::max());
  if (rate) r.rate = real_option("--rate", *rate, 0.001, 1e9);
  if (tls_mode) {
    r.tls_mode = parse_tls_mode(*tls_mode);
    if (!r.tls_mode) throw UsageError("--tls-mode takes full or cert, not '" + *tls_mode + "'");
  }
  if (resolutions) r.period = parse_period(*resolutions);
  return r;
}

// Ethics before anything else: no blocklist file or no contact, no scan. nullopt when refused,
// after saying why.
std::optional<ethics::Policy> policy_or_refusal(const config::Config& cfg) {
  auto problems = ethics::scan_preconditions(cfg);
  if (!problems.empty()) {
    std::fprintf(stderr, "iotmap scan: refused; nothing was sent:\n");
    for (const auto& p : problems) std::fprintf(stderr, "  - %s\n", p.c_str());
    return std::nullopt;
  }
  try {
    return ethics::scan_policy(cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iotmap scan: refused; nothing was sent: %s\n", e.what());
    return std::nullopt;
  }
}

EngineOptions engine_options(const config::Config& cfg, const ScanRequest& req,
                             const ethics::Policy& policy) {
  EngineOptions options = EngineOptions::from(cfg.scan);
  if (req.rate) {
    options.rate = *req.rate;
    if (options.rate > policy.rate)
      std::fprintf(stderr, "iotmap scan: --rate %g is above the configured cap; scanning at %g/s\n",
                   options.rate, policy.rate);
  }
  // Certificates only: stopping each handshake after the certificates costs a third of a full
  // one (bench/README.md), unless --tls-mode full asks for complete handshakes.
  if (req.tls_mode) {
    options.tls_mode = *req.tls_mode;
  } else if (req.grab_only) {
    options.tls_mode = TlsMode::kCertificate;
  }
  options.stop = &StopOnSignal::flag();
  options.user_agent = "iotmap/0.1 (+" + policy.contact + ")";
  return options;
}

// Targets: files, --target, and the resolver's IPs. With neither files nor --target: the day's
// resolutions, the addresses certificate data sets attribute, and the configured IPv6 hitlists
// (docs/method.md section 2). Returns the period whose resolutions were asked.
Period gather_targets(db::Store& store, const config::Config& cfg, const ScanRequest& req,
                      int64_t now, TargetList& list) {
  list.max_targets = cfg.scan.max_targets;
  for (const auto& f : req.files) list.add_file(f, cfg.scan.cidr_cap);
  for (const auto& t : req.targets) list.add_line(t, "--target", cfg.scan.cidr_cap);
  if (req.default_targets())
    for (const auto& f : cfg.sources.ipv6_hitlists) list.add_file(f, cfg.scan.cidr_cap);
  Period period{0, 0, db::utc_date(now)};
  if (req.period || req.default_targets()) {
    period = req.period ? *req.period : parse_period(db::utc_date(now));
    targets_from_resolutions(store, period, list);
    if (req.default_targets())
      targets_from_certificates(store, period, cfg.classify.window_days, list);
  }
  return period;
}

// False, after saying so, when the targets are over scan.max_targets; otherwise the list is
// normalised and its bad lines named.
bool targets_ready(TargetList& list, uint64_t max_targets) {
  if (list.full) {
    std::fprintf(stderr,
                 "iotmap scan: refused: %s: more than %llu targets in all (scan.max_targets); "
                 "nothing was sent. Scan fewer at a time, or raise scan.max_targets (each target "
                 "takes some 700 bytes)\n",
                 list.errors.back().where.c_str(), static_cast<unsigned long long>(max_targets));
    return false;
  }
  list.normalize();
  for (const auto& e : list.errors)
    std::fprintf(stderr, "iotmap scan: %s: %s; skipped\n", e.where.c_str(), e.message.c_str());
  return true;
}

// Hitlist addresses (the only targets without a name in the default set) on the ports the
// method scans hitlists on; everything else on its providers' ports.
TaskSet plan_tasks(const config::Catalogue& catalogue, const config::Config& cfg,
                   const ScanRequest& req, std::vector<Target> targets) {
  PortPlanner planner(catalogue, req.ports);
  PortPlanner hitlist_planner(catalogue, req.ports ? *req.ports : kHitlistPorts);
  auto ports_for = [&](const Target& t) {
    return req.default_targets() && t.names.empty() ? hitlist_planner(t) : planner(t);
  };
  TaskSet tasks = build_tasks(std::move(targets), ports_for,
                              TaskOptions{cfg.scan.probe_without_sni, cfg.scan.probe_with_names,
                                          static_cast<size_t>(cfg.scan.max_names_per_address)});
  if (req.grab_only) {  // certificates only: no application probe on any port
    for (auto& plan : tasks.plans) {
      plan.protocol = AppProtocol::kNone;
      plan.alpn_protocols.assign(plan.alpn.size(), AppProtocol::kNone);
    }
  }
  return tasks;
}

// A killed scan over the same targets and shard, which this one resumes; not with --fresh, nor
// when --seed asks for another order.
std::optional<db::ScanCheckpoint> resumable(db::Store& store, const ScanRequest& req,
                                            const std::string& digest) {
  if (req.fresh) return std::nullopt;
  auto found = store.resumable_scan(req.shard.str(), digest);
  if (found && req.seed && static_cast<uint64_t>(found->seed) != *req.seed) {
    std::fprintf(stderr, "iotmap scan: not resuming run #%lld: it used another seed\n",
                 static_cast<long long>(found->run_id));
    return std::nullopt;
  }
  return found;
}

// The run a scan writes to, and where in its order it stands.
struct ScanRun {
  int64_t id = 0;
  uint64_t seed = 0;
  std::string shard, digest;
  uint64_t steps = 0;
  ResumePoint resume;
  uint64_t done = 0;  // results stored, over every attempt of the run

  db::ScanCheckpoint checkpoint(uint64_t next) const {
    return {id,
            shard,
            static_cast<int64_t>(seed),
            digest,
            static_cast<int64_t>(steps),
            static_cast<int64_t>(next),
            static_cast<int64_t>(done),
            0};
  }
};

void resume_run(db::Store& store, const db::ScanCheckpoint& cp, const TaskSet& tasks,
                const ScanOrder& order, ScanRun& run) {
  run.id = cp.run_id;
  // It may say failed or interrupted from the attempt before.
  store.set_run_status(run.id, "running", "resumed");
  run.resume.next_step = static_cast<uint64_t>(cp.next_index);
  run.resume.done_above = stored_steps(store, run.id, tasks, order, run.resume.next_step);
  run.done = static_cast<uint64_t>(cp.done_count);
  std::fprintf(
      stderr,
      "iotmap scan: resuming run #%lld at step %llu of %llu (%zu later steps already stored)\n",
      static_cast<long long>(run.id), static_cast<unsigned long long>(run.resume.next_step),
      static_cast<unsigned long long>(order.steps()), run.resume.done_above.size());
}

db::RunInfo new_run_info(const config::Config& cfg, const ScanRequest& req, const ScanRun& run,
                         const std::string& covers, size_t targets, const EngineOptions& options,
                         const ethics::Policy& policy) {
  db::RunInfo info;
  info.kind = "scan";
  info.covers = covers;
  info.shard = run.shard;
  info.seed = static_cast<int64_t>(run.seed);
  info.target_count = static_cast<int64_t>(targets);
  info.rate = std::min(options.rate, policy.rate);
  info.config = settings_summary(options, cfg.scan, req.ports, req.grab_only);
  return info;
}

// Stores each batch of results with its certificates, device certificates and the checkpoint
// in one transaction, and prints it with --output jsonl.
class BatchWriter {
 public:
  BatchWriter(db::Store& store, ScanRun& run, const ethics::Policy& policy,
              const std::string& optout_file, const config::Catalogue& catalogue, bool jsonl)
      : store_(store),
        run_(run),
        policy_(policy),
        optout_file_(optout_file),
        book_(certs::catalogue_matcher(catalogue)),
        jsonl_(jsonl),
        progress_("scan", run.steps - run.resume.next_step - run.resume.done_above.size()) {}

  void add(std::vector<GrabResult>& batch, uint64_t watermark) {
    const int64_t t = clock_now();
    std::vector<db::TlsObservationRow> rows;
    std::vector<db::DeviceCertificateRow> devices;
    rows.reserve(batch.size());
    for (const auto& r : batch) {
      std::vector<std::string> shas;
      if (r.status == Status::kBlocked) {
        count_blocked(r.ip);
      } else {
        shas = book_.add_chain(r.chain, t);
        rows.push_back(observation_row(r, run_.id, shas));
        if (auto d = device_row(rows.back(), book_, "scan")) devices.push_back(std::move(*d));
      }
      if (jsonl_) print(r, shas);
    }
    run_.done += batch.size();
    observations += store_.add_scan_batch(rows, book_.take_certificates(), book_.take_names(),
                                          run_.checkpoint(watermark), devices);
    device_certificates += devices.size();
    if (jsonl_) std::fflush(stdout);
    progress_.add(batch.size());
  }

  void finish() { progress_.finish(); }
  uint64_t certificates() const { return book_.parsed(); }

  uint64_t observations = 0, blocked = 0, optout = 0, device_certificates = 0;

 private:
  void count_blocked(const IpAddress& ip) {
    ++blocked;
    if (!optout_file_.empty() && policy_.blocklist.why(ip).rfind(optout_file_ + ":", 0) == 0)
      ++optout;
  }

  void print(const GrabResult& r, const std::vector<std::string>& shas) {
    std::string line = json_text(grab_json(r, run_.id, shas, book_));
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }

  db::Store& store_;
  ScanRun& run_;
  const ethics::Policy& policy_;
  const std::string& optout_file_;
  CertificateBook book_;
  bool jsonl_;
  Progress progress_;
};

std::map<std::string, int64_t> run_counts(const TaskSet& tasks, const ScanSummary& summary,
                                          const ScanRun& run, const BatchWriter& writer,
                                          size_t bad_lines) {
  std::map<std::string, int64_t> counts;
  counts["targets"] = static_cast<int64_t>(tasks.targets.size());
  counts["connections"] = static_cast<int64_t>(summary.delivered);
  counts["steps"] = static_cast<int64_t>(run.steps);
  counts["observations"] = static_cast<int64_t>(writer.observations);
  counts["certificates"] = static_cast<int64_t>(writer.certificates());
  counts["device_certificates"] = static_cast<int64_t>(writer.device_certificates);
  counts["blocked"] = static_cast<int64_t>(writer.blocked);
  counts["optout"] = static_cast<int64_t>(writer.optout);
  counts["bad_lines"] = static_cast<int64_t>(bad_lines);
  counts["names_left_out"] = static_cast<int64_t>(tasks.names_left_out);
  for (const auto& [s, n] : summary.by_status) counts["status_" + s] = static_cast<int64_t>(n);
  return counts;
}

void print_start(const ScanRun& run, const TaskSet& tasks, const config::ScanSettings& scan,
                 double rate) {
  if (tasks.names_left_out > 0)
    std::fprintf(stderr,
                 "iotmap scan: %llu names not sent as SNI: over scan.max_names_per_address = %d "
                 "per address\n",
                 static_cast<unsigned long long>(tasks.names_left_out), scan.max_names_per_address);
  std::fprintf(stderr,
               "iotmap scan: run #%lld: %zu targets, %zu connections (shard %s: %llu), seed %llu, "
               "%g/s\n",
               static_cast<long long>(run.id), tasks.targets.size(), tasks.tasks.size(),
               run.shard.c_str(), static_cast<unsigned long long>(run.steps),
               static_cast<unsigned long long>(run.seed), rate);
}

void print_end(const ScanRun& run, const ScanSummary& summary) {
  std::string by_status;
  for (const auto& [s, n] : summary.by_status)
    by_status += (by_status.empty() ? "" : ", ") + s + " " + std::to_string(n);
  std::fprintf(stderr, "iotmap scan: run #%lld: %llu connections in %.1f s (%.0f/s)%s%s\n",
               static_cast<long long>(run.id), static_cast<unsigned long long>(summary.delivered),
               summary.seconds,
               summary.seconds > 0 ? static_cast<double>(summary.delivered) / summary.seconds : 0.0,
               by_status.empty() ? "" : ": ", by_status.c_str());
}

}  // namespace

int run_scan(Context& ctx, Args& args) {
  const ScanRequest req = read_request(args);
  const config::Config& cfg = ctx.config();
  const auto policy = policy_or_refusal(cfg);
  if (!policy) return kRefused;
  const EngineOptions options = engine_options(cfg, req, *policy);

  const std::string db_path = ctx.db_path();
  const std::string lock_file =
      lock_path(db_path, ".scan-" + std::to_string(req.shard.index) + "of" +
                             std::to_string(req.shard.count) + ".lock");
  auto lock = LockFile::try_acquire(lock_file);
  if (!lock) {
    std::fprintf(stderr, "iotmap scan: another scan of shard %s holds %s; nothing done\n",
                 req.shard.str().c_str(), lock_file.c_str());
    return kLocked;
  }
  auto catalogue = config::Catalogue::load(cfg);
  db::Store store(db_path);

  TargetList list;
  const Period period = gather_targets(store, cfg, req, clock_now(), list);
  if (!targets_ready(list, cfg.scan.max_targets)) return kUsage;
  const size_t bad_lines = list.errors.size();
  const TaskSet tasks = plan_tasks(catalogue, cfg, req, std::move(list.targets));

  ScanRun run;
  run.shard = req.shard.str();
  run.digest = tasks.digest();
  const auto cp = resumable(store, req, run.digest);
  run.seed = cp ? static_cast<uint64_t>(cp->seed)
                : req.seed.value_or(cfg.scan.seed != 0 ? cfg.scan.seed : random_seed());
  const ScanOrder order(tasks.tasks.size(), run.seed, req.shard);
  run.steps = order.steps();
  if (cp) {
    resume_run(store, *cp, tasks, order, run);
  } else {
    run.id = store.begin_scan_run(
        new_run_info(cfg, req, run, period.label, tasks.targets.size(), options, *policy),
        run.checkpoint(0));
  }
  ctx.track_run(db_path, run.id);
  print_start(run, tasks, cfg.scan, std::min(options.rate, policy->rate));

  BatchWriter writer(store, run, *policy, cfg.ethics.optout_file, catalogue, req.jsonl);
  ScanSummary summary;
  {
    // SIGINT/SIGTERM stop the scan cleanly: connections in flight end, the checkpoint is saved.
    StopOnSignal signals;
    try {
      summary = run_scan(tasks, order, run.resume, *policy, options,
                         [&](std::vector<GrabResult>& batch, uint64_t watermark) {
                           writer.add(batch, watermark);
                         });
    } catch (const std::exception& e) {
      // The checkpoint stays: the same command resumes this run, which stays unfinished.
      std::fprintf(stderr, "\niotmap scan: %s\n", e.what());
      mark_resumable(store, run.id, "failed", e.what());
      return kFailure;
    }
  }
  writer.finish();
  print_end(run, summary);
  if (summary.stopped) {
    // Left unfinished on purpose: running the same command again resumes it.
    mark_resumable(store, run.id, "interrupted",
                   "stopped at step " + std::to_string(summary.watermark));
    std::fprintf(stderr,
                 "iotmap scan: stopped at step %llu of %llu; run the same command to resume\n",
                 static_cast<unsigned long long>(summary.watermark),
                 static_cast<unsigned long long>(run.steps));
    return kFailure;
  }
  const bool bad_input = bad_lines > 0;
  store.finish_run(run.id, bad_input ? "partial" : "ok",
                   run_counts(tasks, summary, run, writer, bad_lines),
                   bad_input ? std::to_string(bad_lines) + " bad target lines skipped" : "");
  return bad_input ? kPartial : kOk;
}

}  // namespace iotmap::cli
