// iotmap's entry point: global options, then dispatch to one command.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lib/clock.h"
#include "lib/progress.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

const Command kCommands[] = {
    {"daily", "the daily job: fetch, resolve, scan, classify, export, report",
     "usage: iotmap daily [--date YYYY-MM-DD] [--out DIR] [--skip STAGE,...] [--redo]\n"
     "                    [--lock-wait SECONDS]\n"
     "Runs the stages fetch (when [sources] data_dir or fetch_file is set), resolve, scan,\n"
     "classify, export and report for the date (default: today, UTC; a past date runs only\n"
     "the last three), each as its own iotmap process, and ends with a one-screen summary on\n"
     "stderr. Outputs go to --out (default ./iotmap-out/DATE). Holds <db>.lock: a second daily\n"
     "exits 5 at once.\n"
     "A rerun for the same date does not repeat fetch, resolve or scan that an earlier run\n"
     "completed (--redo does) and always redoes classify, export and report. A stage whose own\n"
     "lock is held (an hourly resolve) is retried for --lock-wait seconds (default 600).\n"
     "Exit: 0 every stage ok; 7 a stage was refused, not built, locked or partial; 1 a stage\n"
     "failed; 5 another daily holds the lock. Per-stage times and counts: runs table, kind "
     "daily.\n",
     run_daily},
    {"hourly", "the hourly job: resolve every candidate name once",
     "usage: iotmap hourly [--lock-wait SECONDS]\n"
     "Runs `iotmap resolve --once` under <db>.hourly.lock (a second hourly exits 5 at once) and\n"
     "records it in the runs table (kind hourly). Exit codes as for daily.\n",
     run_hourly},
    {"resolve", "resolve candidate names from every vantage point",
     "usage: iotmap resolve [--once] [--vantage NAME] [--types A,AAAA] [--pdns FILE]\n"
     "                      [--bulk FILE] [--since T] [--until T] [--no-catalogue] [--ptr]\n"
     "                      [NAME...|-]\n"
     "--bulk: a forward-DNS data set (Sonar FDNS, zdns, massdns JSON; gzip, xz or plain) read for\n"
     "what else points at the provider names' addresses (docs/backend-map.md, Evidence).\n"
     "--ptr: also ask the PTR names of the candidate addresses (not the blocklisted ones) from\n"
     "every vantage point, at most resolver.ptr_qps per resolver (docs/resolver.md).\n",
     run_resolve},
    {"scan", "grab TLS certificates and probe MQTT/AMQP/HTTPS",
     "usage: iotmap scan [TARGET-FILE...|-] [--target IP[,NAME...]] [--resolutions DAY|HOUR]\n"
     "                   [--ports P,...] [--shard I/N] [--seed N] [--rate R] [--fresh]\n"
     "                   [--grab-only] [--tls-mode full|cert] [--output jsonl|none]\n"
     "A target file holds one IP, CIDR or \"IP NAME...\" per line; - reads them from stdin.\n"
     "zmap's output is read as it comes, its csv form too (saddr column): zmap -p 8883 ... |\n"
     "iotmap scan - --ports 8883 --grab-only (docs/zmap.md: its blocklist, export blocklist).\n"
     "With no targets: the IPs resolved today, the configured IPv6 hitlists, and the addresses\n"
     "imported certificates gave providers in the classify window.\n"
     "Refuses (exit 6) without ethics.blocklist_file and ethics.contact.\n",
     run_scan},
    {"classify", "classify server IPs as dedicated or shared",
     "usage: iotmap classify --date YYYY-MM-DD [--window DAYS]\n", run_classify},
    {"export", "export resolutions, the hitlist, detections, the blocklist or devices",
     "usage: iotmap export resolutions --hour H|--date D [--format jsonl|csv] [--output FILE]\n"
     "       iotmap export hitlist --date D [--format csv|jsonl|rules] [--include-shared]\n"
     "                             [--output FILE]\n"
     "       iotmap export detections --date D [--period day|hour|all] [--format csv|jsonl]\n"
     "                                [--output FILE]\n"
     "       iotmap export blocklist [--format zmap] [--output FILE]\n"
     "       iotmap export devices --date D [--format csv|jsonl] [--output FILE]\n"
     "blocklist: the scan's blocklist as zmap's -b file (IPv4; docs/zmap.md); exit 6 where a\n"
     "scan would be refused.\n",
     run_export},
    {"report", "write the provider footprint report",
     "usage: iotmap report footprint --date D --format md|html|json [--window DAYS]\n"
     "                               [--output FILE]\n",
     run_report},
    {"detect", "find IoT services behind subscriber lines in flow records",
     "usage: iotmap detect [--date YYYY-MM-DD] [--format auto|nfdump|zeek|zeek-json|ipfix]\n"
     "                     [--d D] [--rule haystack|guo-heidemann] [--sweep FROM:TO:STEP]\n"
     "                     [--output FILE] [--no-store] FLOWS...|-\n"
     "       iotmap detect --listen ADDR:PORT [--protocol ipfix|netflow9] [--duration SECONDS]\n"
     "                     [--date YYYY-MM-DD] [--d D] [--rule ...] [--sweep ...] [--output FILE]\n"
     "                     [--no-store]\n"
     "Matches each flow (nfdump -o csv, Zeek conn.log TSV or JSON, IPFIX files; or IPFIX or\n"
     "NetFlow v9 collected over UDP on ADDR:PORT until --duration ends or SIGTERM/Ctrl-C)\n"
     "against the hitlist stored for its own day by (address, port, transport), applies the\n"
     "rules per source and hour and per source and day (docs/detect.md), leaves out scanners,\n"
     "and stores the detections with subscribers as a keyed hash or a prefix, never in clear\n"
     "([detect] in the configuration). Prints the lines per service and day; --sweep prints\n"
     "them for each D instead.\n"
     "Exit: 0 ok; 7 bad flow records (named file:line or file: record N) or a day without a\n"
     "hitlist; 1 no flow met a stored hitlist, or --listen cannot bind; 3 no hash key\n"
     "configured.\n",
     run_detect},
    {"import", "import certificate scan data sets (zgrab2, Censys, Sonar)",
     "usage: iotmap import certs --format zgrab2|censys|sonar [--port P] [--date YYYY-MM-DD]\n"
     "                           FILE...|-\n"
     "Reads each FILE (gzip, xz or plain; - is stdin) as a stream of records (address, port,\n"
     "time, certificate chain): ZGrab2 JSON lines, Censys host and certificate JSON lines, or\n"
     "Rapid7 Sonar SSL certs and hosts files (certificate files first). Records whose leaf names\n"
     "a provider or is a device certificate are stored as TLS observations of an import run;\n"
     "--port and --date stand in for what a record does not say (Sonar: the file name).\n"
     "A file whose bytes were imported before is skipped. Exit: 0 ok; 7 malformed lines (named\n"
     "FILE:LINE and skipped); 1 a file could not be read whole (nothing kept from it).\n",
     run_import},
    {"providers", "list the provider catalogue", "usage: iotmap providers [--json]\n",
     run_providers},
    {"match", "print the provider and region of each name",
     "usage: iotmap match [NAME...]   (reads names from stdin, one per line, when none given)\n",
     run_match},
    {"merge", "merge vantage-point or shard databases",
     "usage: iotmap merge A.db B.db ... --into MAIN.db\n", run_merge},
    {"fetch", "download data sources",
     "usage: iotmap fetch SOURCE...|--all [--sources FILE] [--data-dir DIR] | --list\n", run_fetch},
    {"db", "database maintenance",
     "usage: iotmap db check|migrate|size\n"
     "       iotmap db prune --keep-days N [--vacuum] [--dry-run]\n"
     "size: file sizes (database, WAL) and rows per table.\n"
     "prune: deletes resolutions, TLS observations, verdicts, hitlist and footprint rows older\n"
     "than N days (certificates still referenced stay), then optionally VACUUMs.\n",
     run_db},
    {"optout", "manage the opt-out list", "usage: iotmap optout add CIDR --reason TEXT | list\n",
     run_optout},
    {"info-page", "the web page the prober's reverse-DNS name shows",
     "usage: iotmap info-page [--serve ADDR:PORT | --write FILE] [--operator TEXT]\n"
     "                        [--prober NAME] [--contact TEXT]\n"
     "Prints (default), writes (atomically) or serves the page that explains the measurement:\n"
     "what is measured, by whom (ethics.contact), how to opt out, the research it follows.\n"
     "--serve listens on that address only (port 0: any free port, printed) and answers GET /\n"
     "until SIGTERM. Exit 6 when no contact is configured.\n",
     run_info_page},
    {"config", "print the effective configuration",
     "usage: iotmap config [--check]\n"
     "Prints the effective configuration (the embedded default, then --config, then --db) as\n"
     "TOML with every key: saved to a file, --config reads it back as the same configuration.\n"
     "--check: loads the catalogue and checks the ethics files and contact instead (exit 3 on\n"
     "a problem).\n",
     run_config},
};

void print_help() {
  std::printf(
      "usage: iotmap [--config FILE] [--db FILE] [-q|-v] <command> [options]\n\n"
      "iotmap finds the servers of IoT backend providers by DNS and TLS and maps them.\n\n"
      "global options (before the command):\n"
      "  --config FILE  read FILE on top of the embedded default configuration\n"
      "                 (iotmap config prints the result, as a file --config reads)\n"
      "  --db FILE      the SQLite database (default: database.path, $IOTMAP_DB,\n"
      "                 $XDG_DATA_HOME/iotmap/iotmap.db, ./iotmap.db)\n"
      "  -q, --quiet    no progress lines\n"
      "  -v, --verbose  progress every 5 s when stderr is not a terminal (default: 60 s;\n"
      "                 on a terminal the line is redrawn in place)\n"
      "  -h, --help     this text; iotmap COMMAND --help: the command's options\n"
      "  --version      the version\n\n"
      "commands:\n");
  for (const auto& c : kCommands) std::printf("  %-10s %s\n", c.name, c.summary);
  std::printf(
      "\nexit codes: 0 ok, 1 failure, 2 usage, 3 configuration, 4 not built yet, 5 locked,\n"
      "            6 refused (ethics precondition), 7 partial (bad input lines or skipped stages)\n"
      "Run `iotmap <command> --help` for a command's options.\n");
}

// Jobs that collect data must outlive the reader of their stderr: cron pipes it to a logger,
// a test to `grep -q`. When that reader goes away first, SIGPIPE would kill the job between
// two stored steps and leave its run 'running'; ignored, the job finishes (its progress lines
// are lost, its data is not). Output commands keep the default, so `export | head` ends quietly.
bool outlives_its_reader(const std::string& command) {
  for (const char* job :
       {"daily", "hourly", "resolve", "scan", "fetch", "classify", "detect", "merge", "import"})
    if (command == job) return true;
  return false;
}

int dispatch(int argc, char** argv) {
  Context ctx;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* name) -> std::string {
      if (a.size() > std::strlen(name) && a[std::strlen(name)] == '=')
        return a.substr(std::strlen(name) + 1);
      if (i + 1 >= argc) throw UsageError(std::string(name) + " needs a value");
      return argv[++i];
    };
    // "--dbx" or "--config-file" is a typo, not --db or --config.
    auto global = [&](const std::string& name) { return a == name || a.starts_with(name + "="); };
    // From the command name on, every word is the command's.
    if (!rest.empty() || a.empty() || a[0] != '-') {
      rest.push_back(a);
    } else if (a == "--help" || a == "-h") {
      print_help();
      return kOk;
    } else if (a == "--version") {
      std::printf("iotmap %s\n", IOTMAP_VERSION);
      return kOk;
    } else if (a == "-q" || a == "--quiet") {
      Progress::set_verbosity(Verbosity::kQuiet);
    } else if (a == "-v" || a == "--verbose") {
      Progress::set_verbosity(Verbosity::kVerbose);
    } else if (global("--config")) {
      ctx.config_file = value("--config");
    } else if (global("--db")) {
      ctx.db_file = value("--db");
      // An unset variable in a crontab gives "": SQLite would then keep everything in a
      // temporary database and the run's work would be lost, as with ":memory:".
      if (ctx.db_file->empty() || *ctx.db_file == ":memory:")
        throw UsageError("--db wants a database file, not '" + *ctx.db_file + "'");
    } else {
      throw UsageError("unknown global option " + a);
    }
  }
  if (rest.empty()) {
    print_help();
    return kUsage;
  }
  for (const auto& c : kCommands) {
    if (rest[0] != c.name) continue;
    Args args(std::vector<std::string>(rest.begin() + 1, rest.end()));
    if (args.flag("--help") || args.flag("-h")) {
      std::printf("%s", c.usage);
      return kOk;
    }
    if (outlives_its_reader(c.name)) std::signal(SIGPIPE, SIG_IGN);
    int code = kFailure;
    try {
      code = c.run(ctx, args);
    } catch (const UsageError& e) {
      ctx.fail_unfinished_runs(e.what());
      std::fprintf(stderr, "iotmap %s: %s\n%s", c.name, e.what(), c.usage);
      return kUsage;
    } catch (const std::exception& e) {
      ctx.fail_unfinished_runs(e.what());
      throw;
    }
    ctx.fail_unfinished_runs("iotmap " + std::string(c.name) + " ended (exit " +
                             std::to_string(code) + ") without finishing its run");
    return code;
  }
  throw UsageError("unknown command " + rest[0]);
}

// A set clock changes the hour and day every job files its work under: say so on every run.
// A value that cannot be read stops the command before any work (exit 2).
void announce_clock() {
  std::optional<int64_t> start;
  try {
    start = clock_start_override();
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
  if (start)
    std::fprintf(stderr,
                 "iotmap: warning: %s is set: the clock starts at %s, not the real time (a "
                 "testing aid; never set it in production)\n",
                 kClockVariable, utc_time_text(*start).c_str());
}

}  // namespace
}  // namespace iotmap::cli

int main(int argc, char** argv) {
  using namespace iotmap::cli;
  try {
    announce_clock();
    iotmap::clock_now();  // a set clock starts here, when the process starts
    return dispatch(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "iotmap: %s (see iotmap --help)\n", e.what());
    return kUsage;
  } catch (const iotmap::config::ConfigError& e) {
    std::fprintf(stderr, "iotmap: configuration error: %s\n", e.what());
    return kConfig;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iotmap: %s\n", e.what());
    return kFailure;
  }
}
