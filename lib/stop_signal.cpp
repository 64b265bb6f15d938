#include "lib/stop_signal.h"

namespace iotmap {
namespace {

// A lock-free atomic is what a signal handler may touch.
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

void on_signal(int) { g_stop = true; }

}  // namespace

StopOnSignal::StopOnSignal() {
  g_stop = false;
  old_int_ = std::signal(SIGINT, on_signal);
  old_term_ = std::signal(SIGTERM, on_signal);
}

StopOnSignal::~StopOnSignal() {
  std::signal(SIGINT, old_int_);
  std::signal(SIGTERM, old_term_);
}

const std::atomic<bool>& StopOnSignal::flag() { return g_stop; }

}  // namespace iotmap
