// The command-line framework: global options, exit codes, and a small argument reader.
// Each command lives in its own src/cmd_<name>.cpp and is listed once in src/main.cpp.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace iotmap::cli {

// Exit codes are part of the interface: cron and systemd act on them (docs/cli.md).
enum Exit : int {
  kOk = 0,
  kFailure = 1,   // the work ran and failed (I/O, database, every resolver dead, ...)
  kUsage = 2,     // bad command line
  kConfig = 3,    // configuration file or catalogue invalid
  kNotBuilt = 4,  // the capability does not exist yet; nothing was done
  kLocked = 5,    // another instance holds the lock
  kRefused = 6,   // an ethics precondition is not met (no blocklist, no contact)
  kPartial = 7,   // finished, but some input was bad or some stage was skipped
};

// Thrown for a bad command line; main prints it with the command's usage and exits kUsage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Reads "--flag", "--key value", "--key=value" and positionals. Unknown options are errors,
// so a typo never silently changes what a measurement does.
class Args {
 public:
  explicit Args(std::vector<std::string> argv) : argv_(std::move(argv)) {}
  bool flag(const std::string& name);
  std::optional<std::string> option(const std::string& name);
  std::vector<std::string> options(const std::string& name);  // repeatable option
  // Call after every flag/option was taken: returns the positionals, throws on leftovers.
  std::vector<std::string> positionals();

 private:
  std::vector<std::string> argv_;
};

struct Context {
  std::optional<std::string> config_file;  // --config
  std::optional<std::string> db_file;      // --db, overrides the configuration's path

  // The embedded default overlaid with --config; loaded once, on first use.
  const config::Config& config();
  std::string db_path();

  // Run `id` in the database at `db_path` belongs to this command: if it is still 'running'
  // when the command ends (an error, or a return that forgot it), it is marked failed then,
  // not left for the next daily to find.
  void track_run(const std::string& db_path, int64_t id);
  // Marks every tracked run that is still 'running' as failed with `why`. Never throws: the
  // command's own error is the one to report.
  void fail_unfinished_runs(const std::string& why) noexcept;

 private:
  std::optional<config::Config> config_;
  std::vector<std::pair<std::string, int64_t>> runs_;
};

struct Command {
  const char* name;
  const char* summary;  // one line for `iotmap --help`
  const char* usage;    // full text for `iotmap <command> --help`
  int (*run)(Context&, Args&);
};

// Option values are checked as soon as they are taken, before any work or ethics check, so a
// bad command line is always exit 2 and names the option.
// "YYYY-MM-DD" -> days since 1970-01-01 (lib/date.h); a day that does not exist is an error.
int32_t date_option(const std::string& flag, const std::string& text);
// "YYYY-MM-DDTHH" -> Unix seconds at the start of that UTC hour.
int64_t hour_option(const std::string& flag, const std::string& text);
// A finite number in [lo, hi] ("nan" and "inf" are refused).
double real_option(const std::string& flag, const std::string& text, double lo, double hi);
// A whole number in [lo, hi], digits only: no sign, no blanks, no overflow.
template <std::integral T>
T whole_option(const std::string& flag, const std::string& text, T lo, T hi) {
  T v{};
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || text[0] == '-' || text[0] == '+' || ec != std::errc() || stop != end ||
      v < lo || v > hi)
    throw UsageError(flag + " wants a whole number from " + std::to_string(lo) + " to " +
                     std::to_string(hi) + ", not '" + text + "'");
  return v;
}

// Writes `text` to the file `output` or to stdout without one. The file is replaced only once
// the whole text is written (lib/atomic_file.h); throws std::runtime_error naming the file
// otherwise, and the previous file stays as it was.
void write_output(const std::optional<std::string>& output, const std::string& text);

// Prints "iotmap <command>: <what> is not built yet" and returns kNotBuilt.
int not_built(const char* command, const char* what);

}  // namespace iotmap::cli
