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

}  // namespace

int run_scan(Context& ctx, Args& args) {
  auto ports_opt = args.option("--ports");
  auto shard_opt = args.option("--shard");
  auto seed_opt = args.option("--seed");
  auto output = args.option("--output");
  auto resolutions = args.option("--resolutions");
  auto target_args = args.options("--target");
  auto rate_opt = args.option("--rate");
  bool fresh = args.flag("--fresh");
  bool grab_only = args.flag("--grab-only");
  auto tls_mode_opt = args.option("--tls-mode");
  auto files = args.positionals();
  if (std::count(files.begin(), files.end(), "-") > 1)
    throw UsageError("- (the targets on standard input) can be given once");

  if (output && *output != "jsonl" && *output != "none")
    throw UsageError("--output takes jsonl or none, not '" + *output + "'");
  const bool jsonl = output && *output == "jsonl";
  std::string shard_error;
  Shard shard;
  if (shard_opt) {
    auto s = Shard::parse(*shard_opt, &shard_error);
    if (!s) throw UsageError(shard_error);
    shard = *s;
  }
  std::optional<std::vector<uint16_t>> ports;
  if (ports_opt) ports = parse_ports(*ports_opt);
  std::optional<uint64_t> seed_arg;
  if (seed_opt)
    seed_arg = whole_option<uint64_t>("--seed", *seed_opt, 0, std::numeric_limits<uint64_t>::max());
  std::optional<double> rate_arg;
  if (rate_opt) rate_arg = real_option("--rate", *rate_opt, 0.001, 1e9);
  std::optional<TlsMode> tls_mode;
  if (tls_mode_opt) {
    tls_mode = parse_tls_mode(*tls_mode_opt);
    if (!tls_mode) throw UsageError("--tls-mode takes full or cert, not '" + *tls_mode_opt + "'");
  }
  std::optional<Period> asked_period;
  if (resolutions) asked_period = parse_period(*resolutions);

  const config::Config& cfg = ctx.config();
  // Ethics before anything else: no blocklist file or no contact, no scan.
  auto problems = ethics::scan_preconditions(cfg);
  if (!problems.empty()) {
    std::fprintf(stderr, "iotmap scan: refused; nothing was sent:\n");
    for (const auto& p : problems) std::fprintf(stderr, "  - %s\n", p.c_str());
    return kRefused;
  }
  ethics::Policy policy;
  try {
    policy = ethics::scan_policy(cfg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iotmap scan: refused; nothing was sent: %s\n", e.what());
    return kRefused;
  }

  EngineOptions options = EngineOptions::from(cfg.scan);
  if (rate_arg) {
    options.rate = *rate_arg;
    if (options.rate > policy.rate)
      std::fprintf(stderr, "iotmap scan: --rate %g is above the configured cap; scanning at %g/s\n",
                   options.rate, policy.rate);
  }
  // Certificates only: stopping each handshake after the certificates costs a third of a full
  // one (bench/README.md), unless --tls-mode full asks for complete handshakes.
  if (tls_mode) {
    options.tls_mode = *tls_mode;
  } else if (grab_only) {
    options.tls_mode = TlsMode::kCertificate;
  }
  options.stop = &StopOnSignal::flag();
  options.user_agent = "iotmap/0.1 (+" + policy.contact + ")";

  const std::string db_path = ctx.db_path();
  const std::string lock_file = lock_path(db_path, ".scan-" + std::to_string(shard.index) + "of" +
                                                       std::to_string(shard.count) + ".lock");
  auto lock = LockFile::try_acquire(lock_file);
  if (!lock) {
    std::fprintf(stderr, "iotmap scan: another scan of shard %s holds %s; nothing done\n",
                 shard.str().c_str(), lock_file.c_str());
    return kLocked;
  }
  auto catalogue = config::Catalogue::load(cfg);
  db::Store store(db_path);
  const int64_t now = clock_now();

  // Targets: files, --target, and the resolver's IPs. With neither files nor --target: today's
  // resolutions and the configured IPv6 hitlists (docs/method.md section 2).
  TargetList list;
  list.max_targets = cfg.scan.max_targets;
  const bool default_targets = files.empty() && target_args.empty();
  for (const auto& f : files) list.add_file(f, cfg.scan.cidr_cap);
  for (const auto& t : target_args) list.add_line(t, "--target", cfg.scan.cidr_cap);
  if (default_targets)
    for (const auto& f : cfg.sources.ipv6_hitlists) list.add_file(f, cfg.scan.cidr_cap);
  Period period{0, 0, db::utc_date(now)};
  if (resolutions || default_targets) {
    period = asked_period ? *asked_period : parse_period(db::utc_date(now));
    targets_from_resolutions(store, period, list);
    if (default_targets) targets_from_certificates(store, period, cfg.classify.window_days, list);
  }
  if (list.full) {
    std::fprintf(stderr,
                 "iotmap scan: refused: %s: more than %llu targets in all (scan.max_targets); "
                 "nothing was sent. Scan fewer at a time, or raise scan.max_targets (each target "
                 "takes some 700 bytes)\n",
                 list.errors.back().where.c_str(),
                 static_cast<unsigned long long>(cfg.scan.max_targets));
    return kUsage;
  }
  list.normalize();
  for (const auto& e : list.errors)
    std::fprintf(stderr, "iotmap scan: %s: %s; skipped\n", e.where.c_str(), e.message.c_str());
  const bool bad_input = !list.errors.empty();

  // Hitlist addresses (the only targets without a name in the default set) on the ports the
  // method scans hitlists on; everything else on its providers' ports.
  PortPlanner planner(catalogue, ports);
  PortPlanner hitlist_planner(catalogue, ports ? *ports : kHitlistPorts);
  auto ports_for = [&](const Target& t) {
    return default_targets && t.names.empty() ? hitlist_planner(t) : planner(t);
  };
  TaskSet tasks = build_tasks(std::move(list.targets), ports_for,
                              TaskOptions{cfg.scan.probe_without_sni, cfg.scan.probe_with_names,
                                          static_cast<size_t>(cfg.scan.max_names_per_address)});
  if (grab_only) {  // certificates only: no application probe on any port
    for (auto& plan : tasks.plans) {
      plan.protocol = AppProtocol::kNone;
      plan.alpn_protocols.assign(plan.alpn.size(), AppProtocol::kNone);
    }
  }
  const std::string digest = tasks.digest();

  // A killed scan over the same targets and shard resumes with its run, seed and checkpoint.
  db::ScanCheckpoint cp{};
  bool resuming = false;
  if (!fresh) {
    if (auto found = store.resumable_scan(shard.str(), digest)) {
      cp = *found;
      resuming = true;
    }
  }
  if (resuming && seed_arg && static_cast<uint64_t>(cp.seed) != *seed_arg) {
    std::fprintf(stderr, "iotmap scan: not resuming run #%lld: it used another seed\n",
                 static_cast<long long>(cp.run_id));
    resuming = false;
  }
  uint64_t seed = resuming ? static_cast<uint64_t>(cp.seed)
                           : seed_arg.value_or(cfg.scan.seed != 0 ? cfg.scan.seed : random_seed());
  ScanOrder order(tasks.tasks.size(), seed, shard);
  ResumePoint resume;
  int64_t run_id = 0;
  uint64_t done = 0;
  if (resuming) {
    run_id = cp.run_id;
    // It may say failed or interrupted from the attempt before.
    store.set_run_status(run_id, "running", "resumed");
    resume.next_step = static_cast<uint64_t>(cp.next_index);
    resume.done_above = stored_steps(store, run_id, tasks, order, resume.next_step);
    done = static_cast<uint64_t>(cp.done_count);
    std::fprintf(
        stderr,
        "iotmap scan: resuming run #%lld at step %llu of %llu (%zu later steps already stored)\n",
        static_cast<long long>(run_id), static_cast<unsigned long long>(resume.next_step),
        static_cast<unsigned long long>(order.steps()), resume.done_above.size());
  } else {
    db::RunInfo info;
    info.kind = "scan";
    info.covers = period.label;
    info.shard = shard.str();
    info.seed = static_cast<int64_t>(seed);
    info.target_count = static_cast<int64_t>(tasks.targets.size());
    info.rate = std::min(options.rate, policy.rate);
    info.config = settings_summary(options, cfg.scan, ports, grab_only);
    run_id = store.begin_run(info);
  }
  ctx.track_run(db_path, run_id);
  auto checkpoint = [&](uint64_t next) {
    return db::ScanCheckpoint{run_id,
                              shard.str(),
                              static_cast<int64_t>(seed),
                              digest,
                              static_cast<int64_t>(order.steps()),
                              static_cast<int64_t>(next),
                              static_cast<int64_t>(done),
                              0};
  };
  if (!resuming) store.save_checkpoint(checkpoint(0));
  if (tasks.names_left_out > 0)
    std::fprintf(stderr,
                 "iotmap scan: %llu names not sent as SNI: over scan.max_names_per_address = %d "
                 "per address\n",
                 static_cast<unsigned long long>(tasks.names_left_out),
                 cfg.scan.max_names_per_address);
  std::fprintf(stderr,
               "iotmap scan: run #%lld: %zu targets, %zu connections (shard %s: %llu), seed %llu, "
               "%g/s\n",
               static_cast<long long>(run_id), tasks.targets.size(), tasks.tasks.size(),
               shard.str().c_str(), static_cast<unsigned long long>(order.steps()),
               static_cast<unsigned long long>(seed), std::min(options.rate, policy.rate));

  CertificateBook book(certs::catalogue_matcher(catalogue));
  std::map<std::string, int64_t> counts;
  uint64_t observations = 0, blocked = 0, optout = 0, device_count = 0;
  const std::string& optout_file = cfg.ethics.optout_file;
  Progress progress("scan", order.steps() - resume.next_step - resume.done_above.size());
  auto sink = [&](std::vector<GrabResult>& batch, uint64_t watermark) {
    const int64_t t = clock_now();
    std::vector<db::TlsObservationRow> rows;
    std::vector<db::DeviceCertificateRow> devices;
    rows.reserve(batch.size());
    for (const auto& r : batch) {
      std::vector<std::string> shas;
      if (r.status == Status::kBlocked) {
        ++blocked;
        if (!optout_file.empty() && policy.blocklist.why(r.ip).rfind(optout_file + ":", 0) == 0)
          ++optout;
      } else {
        shas = book.add_chain(r.chain, t);
        rows.push_back(observation_row(r, run_id, shas));
        if (auto d = device_row(rows.back(), book, "scan")) devices.push_back(std::move(*d));
      }
      if (jsonl) {
        std::string line = json_text(grab_json(r, run_id, shas, book));
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
      }
    }
    done += batch.size();
    observations += store.add_scan_batch(rows, book.take_certificates(), book.take_names(),
                                         checkpoint(watermark), devices);
    device_count += devices.size();
    if (jsonl) std::fflush(stdout);
    progress.add(batch.size());
  };

  ScanSummary summary;
  {
    // SIGINT/SIGTERM stop the scan cleanly: connections in flight end, the checkpoint is saved.
    StopOnSignal signals;
    try {
      summary = run_scan(tasks, order, resume, policy, options, sink);
    } catch (const std::exception& e) {
      // The checkpoint stays: the same command resumes this run, which stays unfinished.
      std::fprintf(stderr, "\niotmap scan: %s\n", e.what());
      mark_resumable(store, run_id, "failed", e.what());
      return kFailure;
    }
  }
  progress.finish();

  counts["targets"] = static_cast<int64_t>(tasks.targets.size());
  counts["connections"] = static_cast<int64_t>(summary.delivered);
  counts["steps"] = static_cast<int64_t>(order.steps());
  counts["observations"] = static_cast<int64_t>(observations);
  counts["certificates"] = static_cast<int64_t>(book.parsed());
  counts["device_certificates"] = static_cast<int64_t>(device_count);
  counts["blocked"] = static_cast<int64_t>(blocked);
  counts["optout"] = static_cast<int64_t>(optout);
  counts["bad_lines"] = static_cast<int64_t>(list.errors.size());
  counts["names_left_out"] = static_cast<int64_t>(tasks.names_left_out);
  std::string by_status;
  for (const auto& [s, n] : summary.by_status) {
    counts["status_" + s] = static_cast<int64_t>(n);
    by_status += (by_status.empty() ? "" : ", ") + s + " " + std::to_string(n);
  }
  std::fprintf(stderr, "iotmap scan: run #%lld: %llu connections in %.1f s (%.0f/s)%s%s\n",
               static_cast<long long>(run_id), static_cast<unsigned long long>(summary.delivered),
               summary.seconds,
               summary.seconds > 0 ? static_cast<double>(summary.delivered) / summary.seconds : 0.0,
               by_status.empty() ? "" : ": ", by_status.c_str());
  if (summary.stopped) {
    // Left unfinished on purpose: running the same command again resumes it.
    mark_resumable(store, run_id, "interrupted",
                   "stopped at step " + std::to_string(summary.watermark));
    std::fprintf(stderr,
                 "iotmap scan: stopped at step %llu of %llu; run the same command to resume\n",
                 static_cast<unsigned long long>(summary.watermark),
                 static_cast<unsigned long long>(order.steps()));
    return kFailure;
  }
  store.finish_run(
      run_id, bad_input ? "partial" : "ok", counts,
      bad_input ? std::to_string(list.errors.size()) + " bad target lines skipped" : "");
  return bad_input ? kPartial : kOk;
}

}  // namespace iotmap::cli
