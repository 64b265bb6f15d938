// SIGINT and SIGTERM that ask a long command to stop cleanly instead of killing it: the scanner
// saves its checkpoint, the resolver stores what it has and marks its run interrupted.
#pragma once

#include <atomic>
#include <csignal>

namespace iotmap {

// While one of these lives, SIGINT/SIGTERM raise `flag()` (cleared at construction); the
// previous handlers come back when it goes.
class StopOnSignal {
 public:
  StopOnSignal();
  ~StopOnSignal();
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

  // Raised by the handler; poll it (engines take a pointer to it).
  static const std::atomic<bool>& flag();
  static bool raised() { return flag().load(); }

 private:
  void (*old_int_)(int);
  void (*old_term_)(int);
};

}  // namespace iotmap
