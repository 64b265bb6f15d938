#include "scanner/engine.h"

#include <event2/event.h>
#include <sys/resource.h>

#include <csignal>
#include <limits>
#include <memory>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "lib/handle.h"
#include "scanner/connection.h"
#include "scanner/dispatcher.h"
#include "scanner/tls.h"

namespace iotmap::scanner {
namespace {

using Clock = std::chrono::steady_clock;

// One event loop and its connections. Lives on its own thread from run() to its end.
class Worker {
 public:
  Worker(const TaskSet& tasks, Dispatcher& dispatcher, const EngineOptions& options,
         const ethics::Policy& policy, size_t cap, const std::vector<std::string>& alpn_wires)
      : tasks_(tasks),
        dispatcher_(dispatcher),
        options_(options),
        policy_(policy),
        cap_(cap),
        alpn_wires_(alpn_wires) {}

  // Runs the loop until the dispatcher has nothing left and every connection has ended.
  // Returns an error text when the loop could not be set up.
  std::string run() {
    base_.reset(event_base_new());
    ctx_ = make_scan_context(options_.max_bytes);
    if (options_.tls_mode == TlsMode::kCertificate)
      cert_ctx_ =
          make_scan_context(options_.max_bytes, TlsMode::kCertificate, options_.certificate_stop);
    if (!base_ || !ctx_ || (options_.tls_mode == TlsMode::kCertificate && !cert_ctx_))
      return "cannot create the event loop or the TLS context";
    pump_ev_.reset(evtimer_new(base_.get(), on_pump, this));
    scratch_.resize(16 * 1024);
    env_ = ConnectionEnv{base_.get(),        ctx_.get(),          &policy_,  options_.timeout_ms,
                         options_.max_bytes, options_.user_agent, &scratch_, cert_ctx_.get()};
    pump();
    if (!(finished_ && live_.empty())) event_base_dispatch(base_.get());
    live_.clear();
    graveyard_.clear();
    return {};
  }

 private:
  static void on_pump(evutil_socket_t, short, void* self) { static_cast<Worker*>(self)->pump(); }

  void wake() { event_active(pump_ev_.get(), EV_TIMEOUT, 0); }

  void pump() {
    graveyard_.clear();
    if (options_.stop != nullptr && options_.stop->load()) dispatcher_.stop();
    while (!finished_ && live_.size() < cap_) {
      auto now = Clock::now();
      auto next = dispatcher_.next(now);
      if (next.kind == Dispatcher::Next::Kind::kDone) {
        finished_ = true;
        break;
      }
      if (next.kind == Dispatcher::Next::Kind::kWait) {
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(next.until - now).count();
        if (us < 100) us = 100;
        timeval tv{static_cast<time_t>(us / 1000000), static_cast<suseconds_t>(us % 1000000)};
        evtimer_add(pump_ev_.get(), &tv);
        return;
      }
      const Task& task = *next.task;
      auto conn = std::make_unique<Connection>(env_, blank_result(tasks_, next.step, task),
                                               tasks_.plan(task), alpn_wires_[task.plan],
                                               [this](Connection& c) { ended(c); });
      Connection* raw = conn.get();
      live_.emplace(raw, std::move(conn));
      raw->start();
    }
    if (finished_ && live_.empty()) event_base_loopexit(base_.get(), nullptr);
  }

  // A connection ended (inside its own callback): hand the result over, free it later.
  void ended(Connection& c) {
    dispatcher_.complete(std::move(c.result()));
    auto it = live_.find(&c);
    if (it != live_.end()) {
      graveyard_.push_back(std::move(it->second));
      live_.erase(it);
    }
    wake();
  }

  const TaskSet& tasks_;
  Dispatcher& dispatcher_;
  const EngineOptions& options_;
  const ethics::Policy& policy_;
  size_t cap_;
  const std::vector<std::string>& alpn_wires_;

  Handle<event_base, event_base_free> base_;
  SslCtx ctx_, cert_ctx_;
  Handle<event, event_free> pump_ev_;
  std::string scratch_;
  ConnectionEnv env_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> live_;
  std::vector<std::unique_ptr<Connection>> graveyard_;
  bool finished_ = false;
};

double effective_rate(double configured, double policy) {
  double rate = std::numeric_limits<double>::infinity();
  if (configured > 0) rate = configured;
  if (policy > 0) rate = std::min(rate, policy);
  if (!(rate < std::numeric_limits<double>::infinity()))
    throw std::invalid_argument("scan: no positive connection rate configured");
  return rate;
}

// Enough file descriptors for every connection in flight.
void raise_fd_limit(size_t need) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need) return;
  rl.rlim_cur = std::min<rlim_t>(need, rl.rlim_max);
  setrlimit(RLIMIT_NOFILE, &rl);
}

}  // namespace

EngineOptions EngineOptions::from(const config::ScanSettings& s) {
  EngineOptions o;
  o.rate = s.rate;
  o.max_in_flight = s.max_in_flight;
  o.timeout_ms = s.timeout_ms;
  o.per_ip_spacing_ms = s.per_ip_spacing_ms;
  o.per_prefix_spacing_ms = s.per_prefix_spacing_ms;
  o.max_bytes = s.max_bytes;
  o.workers = s.workers;
  o.tls_mode = parse_tls_mode(s.tls_mode).value_or(TlsMode::kFull);
  return o;
}

ScanSummary run_scan(const TaskSet& tasks, const ScanOrder& order, const ResumePoint& resume,
                     const ethics::Policy& policy, const EngineOptions& options,
                     const ScanSink& sink) {
  ScanSummary summary;
  summary.steps = order.steps();
  summary.rate = effective_rate(options.rate, policy.rate);
  // A peer that resets while we write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);

  size_t workers = options.workers > 0 ? static_cast<size_t>(options.workers)
                                       : std::max(1u, std::thread::hardware_concurrency());
  size_t max_in_flight = static_cast<size_t>(std::max(1, options.max_in_flight));
  workers = std::min(workers, max_in_flight);
  size_t cap = (max_in_flight + workers - 1) / workers;
  raise_fd_limit(max_in_flight + 64);

  Dispatcher::Options dopts;
  dopts.rate = summary.rate;
  dopts.per_ip_spacing_ms = options.per_ip_spacing_ms;
  dopts.per_prefix_spacing_ms = options.per_prefix_spacing_ms;
  dopts.window = options.window > 0 ? options.window : std::max<size_t>(65536, 4 * max_in_flight);
  Dispatcher dispatcher(tasks, order, resume.next_step, resume.done_above, policy, dopts);

  std::vector<std::string> alpn_wires;
  for (const auto& plan : tasks.plans) alpn_wires.push_back(plan.tls ? alpn_wire(plan.alpn) : "");

  auto started = Clock::now();
  std::vector<std::unique_ptr<Worker>> pool;
  std::vector<std::thread> threads;
  std::vector<std::string> worker_errors(workers);
  std::atomic<size_t> running{workers};
  for (size_t i = 0; i < workers; ++i)
    pool.push_back(std::make_unique<Worker>(tasks, dispatcher, options, policy, cap, alpn_wires));
  for (size_t i = 0; i < workers; ++i) {
    threads.emplace_back([&, i] {
      worker_errors[i] = pool[i]->run();
      if (!worker_errors[i].empty()) dispatcher.stop();
      --running;
      dispatcher.notify();
    });
  }
  auto join_all = [&] {
    for (auto& t : threads)
      if (t.joinable()) t.join();
  };

  uint64_t watermark = resume.next_step;
  std::vector<GrabResult> batch;
  try {
    for (;;) {
      if (options.stop != nullptr && options.stop->load()) dispatcher.stop();
      bool last = running.load() == 0;  // read before taking: nothing can come after
      batch.clear();
      auto until = Clock::now() + std::chrono::milliseconds(std::max(1, options.batch_ms));
      uint64_t wm = dispatcher.take(batch, std::chrono::milliseconds(options.batch_ms));
      while (!last && batch.size() < Dispatcher::kWakeBacklog && Clock::now() < until) {
        last = running.load() == 0;
        wm = dispatcher.take(
            batch, std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()));
      }
      for (const auto& r : batch) ++summary.by_status[std::string(to_string(r.status))];
      summary.delivered += batch.size();
      if (!batch.empty() || wm != watermark) sink(batch, wm);
      watermark = wm;
      if (last) break;
    }
  } catch (...) {
    dispatcher.stop();
    join_all();
    throw;
  }
  join_all();
  for (const auto& e : worker_errors)
    if (!e.empty()) throw std::runtime_error("scan: " + e);
  summary.watermark = watermark;
  summary.stopped = dispatcher.stopped() || watermark < order.steps();
  summary.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return summary;
}

}  // namespace iotmap::scanner
