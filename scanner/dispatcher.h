// The scan's shared schedule, used by every worker thread: which task comes next (the seeded
// order, from a checkpoint on), whether it may start now (blocklist, global rate, spacing per
// destination IP and per /24 or /48), and the completed results with a watermark: every step
// below it is delivered. A checkpoint is the watermark plus the steps above it that were
// delivered already (the store knows them), so a resumed scan repeats and loses nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <vector>

#include "ethics/policy.h"
#include "scanner/grab.h"
#include "scanner/permutation.h"
#include "scanner/targets.h"

namespace iotmap::scanner {

struct IpHash {
  size_t operator()(const IpAddress& ip) const noexcept;
};

// The result of `step` before anything happened: address, port, SNI, TLS and ALPN filled in.
GrabResult blank_result(const TaskSet& tasks, uint64_t step, const Task& task);

class Dispatcher {
 public:
  using Clock = std::chrono::steady_clock;

  struct Options {
    double rate = 100;              // connection starts per second, all workers together
    int per_ip_spacing_ms = 0;      // between two starts to the same address
    int per_prefix_spacing_ms = 0;  // between two starts into the same /24 (v4) or /48 (v6)
    size_t window = 65536;          // steps handed out beyond the first undelivered one
  };

  // Starts at `first_step`; steps in `skip` (delivered by an earlier, killed run) count as
  // done without being probed.
  Dispatcher(const TaskSet& tasks, const ScanOrder& order, uint64_t first_step,
             const std::vector<uint64_t>& skip, const ethics::Policy& policy, Options options);

  struct Next {
    enum class Kind { kTask, kWait, kDone } kind = Kind::kDone;
    uint64_t step = 0;
    const Task* task = nullptr;
    Clock::time_point until{};  // kWait: ask again then (or earlier)
  };
  // The next task that may start at `now`. kDone: nothing is left to start (or stop() was
  // called); tasks already started still complete.
  Next next(Clock::time_point now);
  // A started task ended. Thread-safe.
  void complete(GrabResult result);
  // Stops handing out tasks; steps not started stay undelivered for a later resume.
  void stop();
  bool stopped() const;

  // Moves the completed results into `out` (in completion order) and returns the watermark:
  // every step below it is in `out` or an earlier take(). Waits up to `timeout` first, unless
  // kWakeBacklog results are waiting or notify() is called.
  uint64_t take(std::vector<GrabResult>& out, std::chrono::milliseconds timeout);
  // Wakes take() (a worker has exited).
  void notify();
  static constexpr size_t kWakeBacklog = 4096;

  uint64_t blocked() const;

 private:
  struct Deferred {
    Clock::time_point ready;
    uint64_t step;
    const Task* task;
    bool operator>(const Deferred& o) const { return ready > o.ready; }
  };
  // When the task's address and prefix may next be contacted (now when spacing is off).
  Clock::time_point ready_at(const IpAddress& ip) const;
  void note_start(const IpAddress& ip, Clock::time_point now);
  void prune(Clock::time_point now);
  void add_result_locked(GrabResult result);
  void mark_done_locked(uint64_t step);
  bool refill(Clock::time_point now);

  const TaskSet& tasks_;
  const ScanOrder& order_;
  const ethics::Policy& policy_;
  Options options_;
  Clock::duration ip_spacing_, prefix_spacing_;

  mutable std::mutex mu_;
  std::condition_variable ready_cv_;
  uint64_t cursor_;     // next step to take from the order
  uint64_t delivered_;  // the watermark: first step not yet moved to ready_
  std::priority_queue<Deferred, std::vector<Deferred>, std::greater<>> deferred_;
  std::vector<uint8_t> done_;   // ring over [delivered_, delivered_ + window): step done?
  std::vector<uint64_t> skip_;  // sorted
  std::vector<GrabResult> ready_;
  std::unordered_map<IpAddress, Clock::time_point, IpHash> last_ip_, last_prefix_;
  size_t starts_since_prune_ = 0;
  double tokens_ = 1;
  Clock::time_point refilled_;
  uint64_t blocked_ = 0;
  std::atomic<bool> stop_{false};
};

}  // namespace iotmap::scanner
