#include "lib/progress.h"

#include <unistd.h>

#include <cstdio>

namespace iotmap {
namespace {

Verbosity g_verbosity = Verbosity::kNormal;

// How often a status line is written when stderr is not a terminal.
std::chrono::seconds log_interval() {
  return std::chrono::seconds(g_verbosity == Verbosity::kVerbose ? 5 : 60);
}

}  // namespace

void Progress::set_verbosity(Verbosity v) { g_verbosity = v; }
Verbosity Progress::verbosity() { return g_verbosity; }

Progress::Progress(std::string label, uint64_t total)
    : label_(std::move(label)), total_(total), tty_(isatty(STDERR_FILENO) == 1) {}

Progress::~Progress() { finish(); }

std::string Progress::line() const {
  double secs = std::chrono::duration<double>(Clock::now() - start_).count();
  double rate = secs > 0 ? static_cast<double>(done_) / secs : 0.0;
  char buf[256];
  if (total_ > 0) {
    double eta = rate > 0 ? static_cast<double>(total_ - std::min(done_, total_)) / rate : 0.0;
    std::snprintf(buf, sizeof buf, "%s: %llu/%llu (%.1f%%) %.0f/s ETA %.0fs", label_.c_str(),
                  static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_),
                  100.0 * static_cast<double>(done_) / static_cast<double>(total_), rate, eta);
  } else {
    std::snprintf(buf, sizeof buf, "%s: %llu %.0f/s", label_.c_str(),
                  static_cast<unsigned long long>(done_), rate);
  }
  return buf;
}

void Progress::add(uint64_t n) {
  done_ += n;
  if (g_verbosity == Verbosity::kQuiet) return;
  auto now = Clock::now();
  if (now - last_draw_ < (tty_ ? std::chrono::milliseconds(200) : log_interval())) return;
  last_draw_ = now;
  if (tty_)
    std::fprintf(stderr, "\r\033[K%s", line().c_str());
  else
    std::fprintf(stderr, "%s\n", line().c_str());
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (g_verbosity == Verbosity::kQuiet) return;
  double secs = std::chrono::duration<double>(Clock::now() - start_).count();
  std::fprintf(stderr, "%s%s in %.1fs\n", tty_ ? "\r\033[K" : "", line().c_str(), secs);
}

}  // namespace iotmap
