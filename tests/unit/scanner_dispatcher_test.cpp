// The scan's schedule alone (scanner/dispatcher.h), on a clock the test moves: rate, burst,
// spacing per address and per /24, the delivery window and the resume list. No sockets; a
// started task is completed at once unless the test holds it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scanner/dispatcher.h"

using namespace iotmap;
using namespace iotmap::scanner;
using namespace std::chrono_literals;

namespace {

using Clock = Dispatcher::Clock;

// One TLS task per address listed (addresses may repeat), in the listed order.
TaskSet tasks_to(const std::vector<std::string>& ips) {
  TaskSet set;
  set.plans.push_back(PortPlan{443, AppProtocol::kNone, true, {}, {}});
  for (const auto& ip : ips) {
    set.targets.push_back({*IpAddress::parse(ip), {}});
    set.tasks.push_back({static_cast<uint32_t>(set.targets.size() - 1), 0, -1});
  }
  return set;
}

struct Start {
  uint64_t step;
  std::string ip;
  Clock::time_point at;
};

// Drives a dispatcher: asks for tasks at `now`, completes each at once (unless `hold`), and
// records what started when.
struct Driver {
  TaskSet set;
  ScanOrder order;
  ethics::Policy policy;
  Dispatcher d;
  std::vector<Start> starts;
  bool hold = false;

  Driver(const std::vector<std::string>& ips, Dispatcher::Options o,
         const std::vector<uint64_t>& skip = {})
      : set(tasks_to(ips)),
        order(set.tasks.size(), 7, Shard{}),
        d(set, order, 0, skip, policy, o) {}

  // Starts every task that may start at `now`; returns how many did.
  size_t drain(Clock::time_point now) {
    size_t n = 0;
    while (step(now).kind == Dispatcher::Next::Kind::kTask) ++n;
    return n;
  }
  // From `t0` to `t0 + span`, asking again when the dispatcher says to, as a worker does.
  void run(Clock::time_point t0, Clock::duration span) {
    for (auto t = t0; t <= t0 + span;) {
      auto next = step(t);
      if (next.kind == Dispatcher::Next::Kind::kDone) return;
      if (next.kind == Dispatcher::Next::Kind::kWait) t = std::max(next.until, t + 1us);
    }
  }

 private:
  Dispatcher::Next step(Clock::time_point now) {
    auto next = d.next(now);
    if (next.kind == Dispatcher::Next::Kind::kTask) {
      starts.push_back({next.step, set.ip(*next.task).str(), now});
      if (!hold) d.complete(blank_result(set, next.step, *next.task));
    }
    return next;
  }
};

// 10 ms after the dispatcher was made: its bucket has filled up to its burst by then.
Clock::time_point start_time() { return Clock::now() + 10ms; }

std::vector<std::string> distinct_ips(int n) {
  std::vector<std::string> ips;
  for (int i = 0; i < n; ++i)
    ips.push_back("10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".1");
  return ips;
}

}  // namespace

TEST_CASE("dispatcher: one connection costs one token, so a second holds `rate` starts",
          "[scanner][dispatcher][mutation]") {
  Dispatcher::Options o;
  o.rate = 100;
  Driver drv(distinct_ips(1000), o);
  auto t0 = start_time();
  drv.run(t0, 1s);
  // 100 a second, plus the one token a fresh bucket holds; twice that if a start cost half.
  CHECK(drv.starts.size() >= 99);
  CHECK(drv.starts.size() <= 102);
}

TEST_CASE("dispatcher: after a pause at most 10 ms worth of tokens start at once",
          "[scanner][dispatcher][mutation]") {
  Dispatcher::Options o;
  o.rate = 1000;  // burst: 10 tokens
  Driver drv(distinct_ips(2000), o);
  auto t0 = start_time();
  REQUIRE(drv.drain(t0) == 10);
  size_t burst = drv.drain(t0 + 2s);  // two seconds idle: the bucket may not hold 2000 tokens
  CHECK(burst >= 9);
  CHECK(burst <= 11);
}

TEST_CASE("dispatcher: no more than `window` steps beyond the first undelivered one",
          "[scanner][dispatcher][mutation]") {
  Dispatcher::Options o;
  o.rate = 1e6;
  o.window = 4;
  Driver drv(distinct_ips(20), o);
  drv.hold = true;  // nothing completes: the watermark stays at step 0
  auto t0 = start_time();
  drv.run(t0, 50ms);
  CHECK(drv.starts.size() == 4);
}

TEST_CASE("dispatcher: per-prefix spacing holds across the addresses of one IPv4 /24",
          "[scanner][dispatcher][mutation]") {
  Dispatcher::Options o;
  o.rate = 1e6;
  o.per_prefix_spacing_ms = 100;
  Driver drv({"10.1.1.1", "10.1.1.2", "10.1.1.3", "10.1.2.1"}, o);
  auto t0 = start_time();
  drv.run(t0, 450ms);
  REQUIRE(drv.starts.size() == 4);
  std::map<std::string, std::vector<Clock::time_point>> by_prefix;
  for (const auto& s : drv.starts) by_prefix[s.ip.substr(0, s.ip.rfind('.'))].push_back(s.at);
  REQUIRE(by_prefix["10.1.1"].size() == 3);
  for (size_t i = 1; i < 3; ++i)
    CHECK(by_prefix["10.1.1"][i] - by_prefix["10.1.1"][i - 1] >= 100ms);
  CHECK(by_prefix["10.1.2"][0] == t0);  // another /24 does not wait
}

TEST_CASE("dispatcher: a deferred task waits again when its address was contacted meanwhile",
          "[scanner][dispatcher][mutation]") {
  Dispatcher::Options o;
  o.rate = 1e6;
  o.per_ip_spacing_ms = 100;
  // Three tasks to one address: the second and third are both deferred to the same moment.
  Driver drv({"10.2.0.1", "10.2.0.1", "10.2.0.1"}, o);
  auto t0 = start_time();
  drv.run(t0, 350ms);
  REQUIRE(drv.starts.size() == 3);
  for (size_t i = 1; i < 3; ++i) CHECK(drv.starts[i].at - drv.starts[i - 1].at >= 100ms);
}

TEST_CASE("dispatcher: steps of the resume list, given in any order, are done without a start",
          "[scanner][dispatcher][mutation]") {
  Dispatcher::Options o;
  o.rate = 1e6;
  Driver drv(distinct_ips(8), o, {5, 2, 7});
  auto t0 = start_time();
  drv.run(t0, 10ms);
  std::set<uint64_t> started;
  for (const auto& s : drv.starts) started.insert(s.step);
  CHECK(started == std::set<uint64_t>{0, 1, 3, 4, 6});
  std::vector<GrabResult> out;
  CHECK(drv.d.take(out, 0ms) == 8);  // the skipped steps count as delivered
  CHECK(out.size() == 5);
}
