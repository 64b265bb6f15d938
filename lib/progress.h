// Progress lines on stderr for long work: count, rate and ETA. On a terminal the line is
// redrawn in place at most a few times a second. Off a terminal (cron, a log file) a redraw
// would flood the log, so it is one whole line per interval (60 s; -v: 5 s), which shows how far
// a long scan got when it was killed, then the final summary. -q: none of these lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace iotmap {

enum class Verbosity { kQuiet, kNormal, kVerbose };

class Progress {
 public:
  // The process's choice (-q, -v): set once by main before any command runs.
  static void set_verbosity(Verbosity v);
  static Verbosity verbosity();

  Progress(std::string label, uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void add(uint64_t n = 1);
  void finish();  // prints the final line once (also called by the destructor)

  // Exposed for tests: the text the next redraw would print.
  std::string line() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_draw_ = start_;
  bool tty_;
  bool finished_ = false;
};

}  // namespace iotmap
