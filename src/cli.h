// The command-line framework: global options, exit codes, and a small argument reader.
// Each command lives in its own src/cmd_<name>.cpp and is listed once in src/main.cpp.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
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

 private:
  std::optional<config::Config> config_;
};

struct Command {
  const char* name;
  const char* summary;  // one line for `iotmap --help`
  const char* usage;    // full text for `iotmap <command> --help`
  int (*run)(Context&, Args&);
};

// Writes `text` to the file `output` (replacing it), or to stdout without one. False when the
// file could not be written; the caller names itself in the message.
bool write_output(const std::optional<std::string>& output, const std::string& text);

// Prints "iotmap <command>: <what> is not built yet" and returns kNotBuilt.
int not_built(const char* command, const char* what);

}  // namespace iotmap::cli
