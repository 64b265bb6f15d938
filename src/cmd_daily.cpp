// `iotmap daily` and `iotmap hourly`: the jobs cron and systemd run (docs/operations.md).
//
// daily runs the stages fetch, resolve, scan, classify, export, detect (when [detect] flows_dir
// holds flow files for the date) and report for one date, each
// as a child `iotmap` process (the same binary, same --config and --db): a stage that crashes
// or is refused cannot take the job down, its exit code is the stage's verdict, and its own
// run row (kind resolve, scan, ...) carries its counts. The job holds `<db>.lock` for its whole
// life, so a second daily on the same database leaves at once with exit 5.
//
// Every stage is idempotent by the store's natural keys. On top of that, a measurement stage
// (fetch, resolve, scan) that an earlier daily run for the same date completed is not run
// again (a rerun must not probe every target a second time); the derived stages (classify,
// export, detect, report) always run, since they replace the day's results. So a rerun after a kill
// completes what was left undone, and a rerun after success measures nothing twice.
//
// The job's own row in `runs` (kind daily) holds per stage `<stage>.exit`, `<stage>.ms`,
// `<stage>.state` code and the stage run's counts as `<stage>.<count>`; it is updated after
// every stage, so a killed job leaves the record of what it finished.
#include <fcntl.h>
#include <signal.h>  // NOLINT(modernize-deprecated-headers): POSIX sigaction, kill
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "backend_map/dataset.h"
#include "db/store.h"
#include "ethics/policy.h"
#include "lib/clock.h"
#include "lib/fd.h"
#include "lib/lockfile.h"
#include "lib/progress.h"
#include "resolver/rows.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

namespace fs = std::filesystem;

volatile sig_atomic_t g_interrupted = 0;
volatile pid_t g_child = 0;

void on_signal(int sig) {
  g_interrupted = sig;
  pid_t c = g_child;
  if (c > 0) ::kill(c, SIGTERM);
}

// What became of a stage. The order of the first block is the order of severity.
enum class State {
  ok,           // exit 0
  done_before,  // an earlier daily run for the date completed it (measurement stages only)
  off,          // not meant to run: not configured, --skip, or a past date for a measurement
  partial,      // exit 7
  not_built,    // exit 4
  refused,      // exit 6: an ethics precondition (scan without blocklist or contact)
  locked,       // exit 5 after waiting --lock-wait seconds
  failed,       // exit 1, 2, 3, a signal, or the child could not start
  interrupted,  // daily itself got SIGTERM/SIGINT while the stage ran
};

const char* state_name(State s) {
  switch (s) {
    case State::ok:
      return "ok";
    case State::done_before:
      return "done before";
    case State::off:
      return "off";
    case State::partial:
      return "partial";
    case State::not_built:
      return "not built";
    case State::refused:
      return "refused";
    case State::locked:
      return "locked";
    case State::failed:
      return "FAILED";
    case State::interrupted:
      return "interrupted";
  }
  return "?";
}

// Contribution to the job's exit code: 0 neutral, 7 partial, 1 failure.
int severity(State s) {
  switch (s) {
    case State::ok:
    case State::done_before:
    case State::off:
      return kOk;
    case State::partial:
    case State::not_built:
    case State::refused:
    case State::locked:
      return kPartial;
    case State::failed:
    case State::interrupted:
      return kFailure;
  }
  return kFailure;
}

State state_of_exit(int code) {
  switch (code) {
    case kOk:
      return State::ok;
    case kPartial:
      return State::partial;
    case kNotBuilt:
      return State::not_built;
    case kRefused:
      return State::refused;
    case kLocked:
      return State::locked;
    default:
      return State::failed;
  }
}

struct Stage {
  std::string name;      // fetch, resolve, ...
  std::string run_kind;  // the kind of the run row the stage writes ("" : none)
  std::vector<std::string> args;
  bool measurement = false;  // measures the present: runs once per date
  std::string output;        // a file the stage writes, shown in the summary
  std::string off_reason;    // non-empty: the stage is off
};

struct StageResult {
  State state = State::off;
  int exit = -1;  // -1: not run
  double seconds = 0;
  std::map<std::string, int64_t> counts;  // from the stage's run rows
  std::vector<std::string> tail;          // the stage's last lines of output
  std::string note;                       // one line for the summary
};

std::string today_utc() { return backend_map::day_str(backend_map::day_of(clock_now())); }

// Takes the job's lock, or prints who holds it.
std::optional<LockFile> take_lock(const std::string& path, const char* job) {
  auto lock = LockFile::try_acquire(path);
  if (lock) return lock;
  // The holder writes its pid just after taking the lock: a loser that comes in between reads
  // an empty file, so it looks again for a moment before saying the pid is unknown.
  std::string pid;
  auto numeric = [&] {
    return !pid.empty() && pid.find_first_not_of("0123456789") == std::string::npos;
  };
  for (int i = 0; i < 20 && !numeric(); ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    pid.clear();
    std::ifstream in(path);
    std::getline(in, pid);
  }
  if (!numeric()) pid = "unknown";
  std::fprintf(stderr, "iotmap %s: another iotmap run holds %s (pid %s); nothing done, exit 5\n",
               job, path.c_str(), pid.c_str());
  return std::nullopt;
}

// The text a line shows once progress redraws are taken out: what follows the last '\r'.
std::string visible(std::string line) {
  auto cr = line.find_last_of('\r');
  if (cr != std::string::npos) line = line.substr(cr + 1);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
  return line;
}

struct ChildResult {
  int exit = -1;  // exit code, or -1 when killed by a signal / not started
  int signal = 0;
  std::string error;  // why it could not start
  std::vector<std::string> tail;
};

// Runs `iotmap <args>` as a child, copying its stdout and stderr to our stderr, and waits.
// The child dies with us (PR_SET_PDEATHSIG): a daily killed with SIGKILL leaves no stage behind
// holding a stage lock.
// `job` ("daily" or "hourly") names the job in the lines it prints itself.
ChildResult run_child(const std::vector<std::string>& args, const char* job) {
  ChildResult r;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);
  std::vector<char*> argv;
  std::string self = "iotmap";
  argv.push_back(self.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  // Built before fork: the child may only call async-signal-safe functions.
  const std::string exec_failed = std::string("iotmap ") + job + ": cannot run /proc/self/exe\n";
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::dup2(write_end.get(), STDOUT_FILENO);
    ::dup2(write_end.get(), STDERR_FILENO);
    ::execv("/proc/self/exe", argv.data());
    (void)!::write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
    ::_exit(127);
  }
  g_child = pid;
  // Our copy of the write end goes first: the read below ends at EOF, which comes only once
  // every writer is gone.
  write_end.reset();
  std::string pending;
  std::vector<std::string> lines;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(read_end.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    std::fwrite(buf, 1, static_cast<size_t>(n), stderr);
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
      std::string line = visible(pending.substr(start, nl - start));
      // Progress lines ("label: n/total (p%) r/s ETA ...") say nothing about why.
      if (!line.empty() && line.find(" ETA ") == std::string::npos) {
        lines.push_back(std::move(line));
        if (lines.size() > 8) lines.erase(lines.begin());
      }
      start = nl + 1;
    }
    pending.erase(0, start);
    if (pending.size() > 65536) pending.erase(0, pending.size() - 4096);
  }
  if (auto last = visible(pending); !last.empty() && last.find(" ETA ") == std::string::npos)
    lines.push_back(last);
  read_end.reset();
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  if (WIFEXITED(status)) r.exit = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.tail = std::move(lines);
  return r;
}

// The global options every child gets: the same configuration, database and -q/-v as ours.
std::vector<std::string> child_prefix(Context& ctx) {
  std::vector<std::string> a;
  if (ctx.config_file) {
    std::error_code ec;
    auto abs = fs::absolute(*ctx.config_file, ec);
    a.insert(a.end(), {"--config", ec ? *ctx.config_file : abs.string()});
  }
  a.insert(a.end(), {"--db", ctx.db_path()});
  if (Progress::verbosity() == Verbosity::kQuiet) a.emplace_back("-q");
  if (Progress::verbosity() == Verbosity::kVerbose) a.emplace_back("-v");
  return a;
}

int64_t max_run_id(db::Store& store) {
  int64_t id = 0;
  store.database().cached("SELECT coalesce(max(id), 0) FROM runs").each([&](db::Statement& s) {
    id = s.int64(0);
  });
  return id;
}

// Counts of the run rows of `kind` the stage created (ids above `after`), summed, and the
// last non-empty message of those rows.
std::map<std::string, int64_t> stage_counts(db::Store& store, const std::string& kind,
                                            int64_t after, std::string* message) {
  std::map<std::string, int64_t> out;
  if (kind.empty()) return out;
  std::vector<int64_t> ids;
  store.database()
      .cached("SELECT id FROM runs WHERE id > ? AND kind = ? ORDER BY id")
      .bind_all(after, kind)
      .each([&](db::Statement& s) { ids.push_back(s.int64(0)); });
  for (auto id : ids) {
    auto rec = store.run(id);
    if (!rec) continue;
    for (const auto& [k, v] : rec->counts) out[k] += v;
    out["run_id"] = id;
    if (!rec->info.message.empty()) *message = rec->info.message;
  }
  return out;
}

// Marks runs of `kind` left 'running' by a job that died (we hold the job's lock, so no live
// job of this kind owns them), and the stage runs each died job left 'running' with it. The
// resolve stage closes its own (under the resolve lock) and a killed scan stays unfinished on
// purpose (the next scan over the same targets resumes it); fetch and classify take no lock of
// their own, so a daily's runs of them between the dead daily's and ours are the dead one's.
// (Not so for hourly: a daily beside it may be classifying now.)
void close_stale_runs(db::Store& store, const std::string& kind, int64_t current) {
  const std::string why =
      "interrupted: the job died before finishing (found by run #" + std::to_string(current) + ")";
  for (auto id : store.close_stale_runs(kind, current, why)) {
    std::fprintf(stderr,
                 "iotmap %s: run #%lld was interrupted before it finished; its "
                 "unfinished stages run again now\n",
                 kind.c_str(), static_cast<long long>(id));
    if (kind != "daily") continue;
    for (const char* stage : {"fetch", "classify"})
      for (auto sid : store.close_stale_runs_between(stage, id, current, why))
        std::fprintf(stderr, "iotmap %s: its %s run #%lld was left unfinished; marked failed\n",
                     kind.c_str(), stage, static_cast<long long>(sid));
  }
}

// What already did a measurement stage's work for `date`: an earlier daily run that completed
// it, or for the scan also any completed unsharded scan run covering the date (a scan that
// finished just before its daily was killed, or one run by hand): one probe per target and
// port a day.
struct Earlier {
  int64_t daily = 0;      // the daily run, 0 if none
  int64_t stage_run = 0;  // the stage's own run, 0 if none
};

Earlier done_before(db::Store& store, const std::string& date, const std::string& stage,
                    int64_t current) {
  Earlier e;
  std::vector<int64_t> ids;
  store.database()
      .cached("SELECT id FROM runs WHERE kind = 'daily' AND covers = ? AND id <> ? ORDER BY id")
      .bind_all(date, current)
      .each([&](db::Statement& s) { ids.push_back(s.int64(0)); });
  for (auto id : ids) {
    auto rec = store.run(id);
    if (!rec) continue;
    auto ex = rec->counts.find(stage + ".exit");
    if (ex != rec->counts.end() && (ex->second == kOk || ex->second == kPartial)) {
      e.daily = id;
      return e;
    }
    auto by = rec->counts.find(stage + ".done_by");
    if (by != rec->counts.end()) {
      e.daily = by->second;
      return e;
    }
  }
  if (stage == "scan")
    store.database()
        .cached(
            "SELECT id FROM runs WHERE kind = 'scan' AND covers = ? AND status IN ('ok', "
            "'partial') AND shard IN ('', '0/1') ORDER BY id LIMIT 1")
        .bind(1, date)
        .each([&](db::Statement& s) { e.stage_run = s.int64(0); });
  return e;
}

// A few counts worth a glance, in the stage's preferred order, non-zero ones first.
std::string count_summary(const std::string& stage, const std::map<std::string, int64_t>& c) {
  static const std::map<std::string, std::vector<std::string>> preferred = {
      {"fetch", {"sources_ok", "sources_not_modified", "sources_failed", "sources_skipped"}},
      {"resolve", {"names", "rows_added"}},
      {"scan", {"targets", "connections", "observations", "certificates", "blocked", "optout"}},
      {"classify", {"ip_verdicts", "dedicated_domains", "hitlist_rows"}},
  };
  std::vector<std::string> parts;
  std::set<std::string> used = {"run_id", "bytes"};
  // How strong "dedicated" is that day (docs/backend-map.md, "Evidence coverage").
  if (auto v = c.find("verdict_ips"); stage == "classify" && v != c.end() && v->second > 0) {
    auto e = c.find("evidence_ips");
    const int64_t with = e == c.end() ? 0 : e->second;
    char buf[96];
    std::snprintf(buf, sizeof buf, "evidence coverage %lld/%lld (%.1f%%)",
                  static_cast<long long>(with), static_cast<long long>(v->second),
                  100.0 * double(with) / double(v->second));
    parts.emplace_back(buf);
    used.insert({"verdict_ips", "evidence_ips"});
  }
  auto add = [&](const std::string& k) {
    auto it = c.find(k);
    if (it == c.end() || used.count(k) || parts.size() >= 8) return;
    used.insert(k);
    parts.push_back(k + " " + std::to_string(it->second));
  };
  if (auto p = preferred.find(stage); p != preferred.end())
    for (const auto& k : p->second) add(k);
  for (const auto& [k, v] : c)
    if (k.rfind("status_", 0) == 0) add(k);
  for (const auto& [k, v] : c)
    if (v != 0) add(k);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::string seconds_text(double s) {
  char buf[32];
  if (s < 60)
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
  return buf;
}

// Runs one stage, retrying while another process holds the stage's own lock (an hourly
// resolve, say) for up to `lock_wait` seconds. `job` names the job in its lines.
StageResult run_stage(Context& ctx, db::Store& store, const Stage& st, int lock_wait,
                      const char* job) {
  StageResult r;
  auto start = std::chrono::steady_clock::now();
  auto give_up = start + std::chrono::seconds(lock_wait);
  std::vector<std::string> args = child_prefix(ctx);
  args.insert(args.end(), st.args.begin(), st.args.end());
  std::string shown;
  for (const auto& a : st.args) shown += " " + a;
  for (;;) {
    int64_t before = max_run_id(store);
    std::fprintf(stderr, "iotmap %s: --- %s: iotmap%s\n", job, st.name.c_str(), shown.c_str());
    ChildResult c = run_child(args, job);
    std::string message;
    r.counts = stage_counts(store, st.run_kind, before, &message);
    r.tail = c.tail;
    r.exit = c.exit;
    if (!c.error.empty()) {
      r.state = State::failed;
      r.note = c.error;
    } else if (g_interrupted) {
      r.state = State::interrupted;
      r.note = std::string(job) + " got signal " + std::to_string(g_interrupted) +
               " while this stage ran";
    } else if (c.signal) {
      r.state = State::failed;
      r.note = std::string("killed by signal ") + std::to_string(c.signal) + " (" +
               strsignal(c.signal) + ")";
    } else {
      r.state = state_of_exit(c.exit);
      if (r.state != State::ok) r.note = message;
      if (c.exit == kUsage)
        r.note = std::string(job) + " called it with options it does not take (a bug)";
      if (c.exit == kConfig) r.note = "configuration error";
      if (c.exit == 127) r.note = "could not start";
    }
    if (r.state != State::locked || std::chrono::steady_clock::now() >= give_up || g_interrupted)
      break;
    std::fprintf(stderr, "iotmap %s: %s is locked by another process; trying again in 10 s\n", job,
                 st.name.c_str());
    for (int i = 0; i < 10 && !g_interrupted; ++i)
      std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void record(std::map<std::string, int64_t>& counts, const std::string& stage,
            const StageResult& r) {
  counts[stage + ".state"] = static_cast<int64_t>(r.state);
  if (r.exit >= 0) counts[stage + ".exit"] = r.exit;
  if (r.exit >= 0 || r.state == State::failed || r.state == State::interrupted)
    counts[stage + ".ms"] = static_cast<int64_t>(r.seconds * 1000);
  for (const auto& [k, v] : r.counts) counts[stage + "." + k] = v;
}

// The summary's one line for a refused scan: exactly the keys still to set (details follow in
// the scan's own lines).
std::string refused_note(const config::Config& cfg) {
  std::vector<std::string> keys;
  for (const auto& problem : ethics::scan_preconditions(cfg)) {
    std::string key = problem.substr(0, problem.find(' '));
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  std::string list;
  for (size_t i = 0; i < keys.size(); ++i)
    list += (i == 0 ? "" : i + 1 == keys.size() ? " and " : ", ") + keys[i];
  return "ethics preconditions not met: set " + (list.empty() ? "the ethics keys" : list) +
         " in a file given with --config (ETHICS.md)";
}

std::string one_line(const std::vector<std::pair<std::string, StageResult>>& results) {
  std::string s;
  for (const auto& [name, r] : results) {
    s += (s.empty() ? "" : "; ") + name + " " + state_name(r.state);
    if (r.exit > 0) s += " (" + std::to_string(r.exit) + ")";
  }
  return s;
}

// The end-of-job summary: one line per stage, then why each stage that was not ok ended so.
void print_summary(const char* job, const std::string& covers, int64_t run_id,
                   const std::string& db_path, const std::string& out_dir,
                   const std::vector<std::pair<std::string, StageResult>>& results, int code) {
  std::fprintf(stderr, "\n==== iotmap %s %s: summary (run #%lld in %s)\n", job, covers.c_str(),
               static_cast<long long>(run_id), db_path.c_str());
  if (!out_dir.empty()) std::fprintf(stderr, "outputs: %s\n", out_dir.c_str());
  std::fprintf(stderr, "%-9s %-19s %7s  %s\n", "stage", "result", "time", "details");
  int n_bad = 0;
  for (const auto& [name, r] : results) {
    std::string result = state_name(r.state);
    if (r.exit > 0 && r.state != State::off) result += " (exit " + std::to_string(r.exit) + ")";
    std::string time = r.exit >= 0 || r.seconds > 0 ? seconds_text(r.seconds) : "-";
    std::string details = r.note;
    std::string counts = count_summary(name, r.counts);
    if (!counts.empty()) details += (details.empty() ? "" : "; ") + counts;
    if (details.size() > 120) details = details.substr(0, 117) + "...";
    std::fprintf(stderr, "%-9s %-19s %7s  %s\n", name.c_str(), result.c_str(), time.c_str(),
                 details.c_str());
    if (severity(r.state) != kOk && r.state != State::not_built) {
      ++n_bad;
      // The stage's own last words say why; three lines are enough on one screen.
      size_t from = r.tail.size() > 3 ? r.tail.size() - 3 : 0;
      for (size_t i = from; i < r.tail.size(); ++i) {
        std::string line = r.tail[i];
        if (line.size() > 120) line = line.substr(0, 117) + "...";
        std::fprintf(stderr, "%9s | %s\n", "", line.c_str());
      }
    }
  }
  const char* verdict = code == kOk ? "ok" : code == kPartial ? "partial" : "FAILED";
  std::fprintf(stderr, "result: %s (exit %d)", verdict, code);
  if (code == kPartial)
    std::fprintf(stderr, ": some stages did not run or ran in part; the job goes on tomorrow");
  if (code == kFailure && g_interrupted)
    std::fprintf(stderr, ": interrupted by signal %d; the next run completes the rest",
                 static_cast<int>(g_interrupted));
  else if (code == kFailure)
    std::fprintf(stderr, ": a stage failed; read its lines above");
  std::fprintf(stderr, "\n");
  (void)n_bad;
}

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns so that we notice
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGHUP, &sa, nullptr);
}

// --lock-wait SECONDS (default 600).
int lock_wait_option(Args& args) {
  auto text = args.option("--lock-wait");
  if (!text) return 600;
  return whole_option("--lock-wait", *text, 0, 999999);
}

const std::vector<std::string> kStageNames = {"fetch",  "resolve", "scan",  "classify",
                                              "export", "detect",  "report"};

// The detect stage: `detect --date D` on the regular files of [detect] flows_dir/D/, sorted;
// off when flows_dir is unset or that directory holds no file.
Stage detect_stage(const config::Config& cfg, const std::string& date) {
  Stage st{"detect", "", {"detect", "--date", date}, false, "", ""};
  if (cfg.detect.flows_dir.empty()) {
    st.off_reason = "no flows configured ([detect] flows_dir is empty)";
    return st;
  }
  const fs::path dir = fs::path(cfg.detect.flows_dir) / date;
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) files.push_back(it->path().string());
  std::sort(files.begin(), files.end());
  if (files.empty()) st.off_reason = "no flow files in " + dir.string();
  st.args.insert(st.args.end(), files.begin(), files.end());
  return st;
}

std::vector<Stage> daily_stages(const config::Config& cfg, const std::string& date, bool past,
                                const std::string& out_dir, const std::set<std::string>& skip) {
  std::vector<Stage> s;
  s.push_back({"fetch", "fetch", {"fetch", "--all"}, true, "", ""});
  std::vector<std::string> resolve = {"resolve", "--once"};
  if (cfg.resolver.daily_ptr) resolve.emplace_back("--ptr");  // docs/operations.md
  s.push_back({"resolve", "resolve", resolve, true, "", ""});
  s.push_back({"scan", "scan", {"scan", "--resolutions", date}, true, "", ""});
  s.push_back({"classify", "classify", {"classify", "--date", date}, false, "", ""});
  std::string hitlist = out_dir + "/hitlist-" + date + ".csv";
  s.push_back({"export",
               "export",
               {"export", "hitlist", "--date", date, "--format", "csv", "--output", hitlist},
               false,
               hitlist,
               ""});
  s.push_back(detect_stage(cfg, date));
  std::string report = out_dir + "/footprint-" + date + ".html";
  s.push_back({"report",
               "report",
               {"report", "footprint", "--date", date, "--format", "html", "--output", report},
               false,
               report,
               ""});
  for (auto& st : s) {
    if (skip.count(st.name))
      st.off_reason = "--skip " + st.name;
    else if (st.measurement && past)
      st.off_reason = "measures the present; not run for the past date " + date;
    else if (st.name == "fetch" && cfg.sources.data_dir.empty() && cfg.sources.fetch_file.empty())
      st.off_reason = "no data sources configured ([sources] data_dir and fetch_file are empty)";
  }
  return s;
}

// The stages --skip names, each a stage daily knows; a usage error otherwise.
std::set<std::string> skipped_stages(const std::vector<std::string>& lists) {
  std::set<std::string> skip;
  for (const auto& list : lists) {
    std::stringstream ss(list);
    for (std::string w; std::getline(ss, w, ',');) {
      if (std::find(kStageNames.begin(), kStageNames.end(), w) == kStageNames.end())
        throw UsageError(
            "--skip takes fetch, resolve, scan, classify, export, detect or report, not '" + w +
            "'");
      skip.insert(w);
    }
  }
  return skip;
}

// The output directory, created, as an absolute path; nullopt (after saying why) when it cannot
// be created.
std::optional<std::string> output_directory(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    std::fprintf(stderr, "iotmap daily: cannot create the output directory %s: %s\n", dir.c_str(),
                 ec.message().c_str());
    return std::nullopt;
  }
  return fs::absolute(dir, ec).string();
}

// A stage a daily run or the stage's own run completed for the date: not run again.
StageResult done_before_result(const Earlier& e, const std::string& stage, const std::string& date,
                               std::map<std::string, int64_t>& counts) {
  StageResult r;
  r.state = State::done_before;
  if (e.daily > 0) {
    r.note = "completed by daily run #" + std::to_string(e.daily) + " for " + date;
    counts[stage + ".done_by"] = e.daily;
  } else {
    r.note = stage + " run #" + std::to_string(e.stage_run) + " completed " + date;
    counts[stage + ".done_by_run"] = e.stage_run;
  }
  r.note += " (--redo runs it again)";
  return r;
}

// Runs the stage as its own command; an output it wrote is named with its size.
StageResult run_daily_stage(Context& ctx, db::Store& store, const Stage& st, int lock_wait) {
  StageResult r = run_stage(ctx, store, st, lock_wait, "daily");
  if (st.name == "scan" && r.state == State::refused) r.note = refused_note(ctx.config());
  if (st.output.empty() || r.state != State::ok) return r;
  std::error_code ec;
  auto size = fs::file_size(st.output, ec);
  if (!ec) {
    r.note = "wrote " + st.output + " (" + std::to_string(size) + " bytes)";
    r.counts["bytes"] = static_cast<int64_t>(size);
  }
  return r;
}

// 1 beats 7 beats 0.
int exit_code(const std::vector<std::pair<std::string, StageResult>>& results) {
  int code = kOk;
  for (const auto& [name, r] : results) {
    int s = severity(r.state);
    if (s == kFailure || (s == kPartial && code == kOk)) code = s;
  }
  return code;
}

}  // namespace

int run_daily(Context& ctx, Args& args) {
  auto date_opt = args.option("--date");
  auto out_opt = args.option("--out");
  auto skips = args.options("--skip");
  bool redo = args.flag("--redo");
  const int lock_wait = lock_wait_option(args);
  args.positionals();

  const std::string today = today_utc();
  const std::string date = date_opt.value_or(today);
  date_option("--date", date);
  if (date > today)
    throw UsageError("--date " + date + " is in the future (today is " + today + " UTC)");
  const std::set<std::string> skip = skipped_stages(skips);
  const auto& cfg = ctx.config();  // a bad configuration stops here, with exit 3
  const std::string db_path = ctx.db_path();
  auto lock = take_lock(lock_path(db_path, ".lock"), "daily");
  if (!lock) return kLocked;
  const auto out_dir = output_directory(out_opt.value_or("iotmap-out/" + date));
  if (!out_dir) return kFailure;

  db::Store store(db_path);
  const auto stages = daily_stages(cfg, date, date < today, *out_dir, skip);
  std::string names;
  for (const auto& s : stages) names += (names.empty() ? "" : ",") + s.name;
  db::RunInfo info;
  info.kind = "daily";
  info.covers = date;
  info.config = "stages=" + names + " out=" + *out_dir + (redo ? " redo" : "");
  const int64_t run_id = store.begin_run(info);
  ctx.track_run(db_path, run_id);
  close_stale_runs(store, "daily", run_id);
  install_signal_handlers();

  std::fprintf(stderr, "iotmap daily %s: run #%lld; configuration from", date.c_str(),
               static_cast<long long>(run_id));
  for (const auto& f : cfg.loaded_from) std::fprintf(stderr, " %s", f.c_str());
  std::fprintf(stderr, "; database %s; outputs in %s\n", db_path.c_str(), out_dir->c_str());

  std::map<std::string, int64_t> counts;
  std::vector<std::pair<std::string, StageResult>> results;
  for (const auto& st : stages) {
    StageResult r;
    const Earlier e =
        st.measurement && !redo ? done_before(store, date, st.name, run_id) : Earlier{};
    if (g_interrupted) {
      r.state = State::interrupted;
      r.note = "not started: daily was interrupted";
    } else if (!st.off_reason.empty()) {
      r.state = State::off;
      r.note = st.off_reason;
    } else if (e.daily > 0 || e.stage_run > 0) {
      r = done_before_result(e, st.name, date, counts);
    } else {
      r = run_daily_stage(ctx, store, st, lock_wait);
    }
    record(counts, st.name, r);
    results.emplace_back(st.name, std::move(r));
    // Saved after every stage: a killed job leaves what it finished on record.
    store.finish_run(run_id, "running", counts, "in progress: " + one_line(results));
  }

  const int code = exit_code(results);
  const char* status = code == kOk ? "ok" : code == kPartial ? "partial" : "failed";
  store.finish_run(run_id, status, counts, one_line(results));
  print_summary("daily", date, run_id, db_path, *out_dir, results, code);
  return code;
}

int run_hourly(Context& ctx, Args& args) {
  const int lock_wait = lock_wait_option(args);
  args.positionals();
  ctx.config();
  const std::string db_path = ctx.db_path();
  auto lock = take_lock(lock_path(db_path, ".hourly.lock"), "hourly");
  if (!lock) return kLocked;
  db::Store store(db_path);
  db::RunInfo info;
  info.kind = "hourly";
  info.covers = resolver::hour_label(resolver::hour_start(clock_now()));
  info.config = "stages=resolve";
  const int64_t run_id = store.begin_run(info);
  ctx.track_run(db_path, run_id);
  close_stale_runs(store, "hourly", run_id);
  install_signal_handlers();
  Stage st{"resolve", "resolve", {"resolve", "--once"}, true, "", ""};
  StageResult r = run_stage(ctx, store, st, lock_wait, "hourly");
  std::map<std::string, int64_t> counts;
  record(counts, "resolve", r);
  std::vector<std::pair<std::string, StageResult>> results;
  results.emplace_back("resolve", std::move(r));
  int code = severity(results.back().second.state);
  const char* status = code == kOk ? "ok" : code == kPartial ? "partial" : "failed";
  store.finish_run(run_id, status, counts, one_line(results));
  print_summary("hourly", info.covers, run_id, db_path, "", results, code);
  return code;
}

}  // namespace iotmap::cli
