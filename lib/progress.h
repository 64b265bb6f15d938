// Progress lines on stderr for long work: count, rate and ETA. On a terminal the line is
// redrawn in place at most a few times a second; off a terminal (cron) it stays quiet except
// for the final summary, so logs are not flooded.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace iotmap {

class Progress {
 public:
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
  Clock::time_point last_draw_{};
  bool tty_;
  bool finished_ = false;
};

}  // namespace iotmap
