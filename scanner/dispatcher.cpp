#include "scanner/dispatcher.h"

#include <algorithm>

#include "lib/clock.h"

namespace iotmap::scanner {

size_t IpHash::operator()(const IpAddress& ip) const noexcept {
  uint64_t h = 1469598103934665603ULL;
  for (auto b : ip.bytes) h = (h ^ b) * 1099511628211ULL;
  return static_cast<size_t>(h ^ static_cast<uint64_t>(ip.v6));
}

GrabResult blank_result(const TaskSet& tasks, uint64_t step, const Task& task) {
  GrabResult r;
  r.step = step;
  r.ip = tasks.ip(task);
  const PortPlan& plan = tasks.plan(task);
  r.port = plan.port;
  r.tls = plan.tls;
  r.sni = std::string(tasks.sni(task));
  if (plan.tls) r.alpn_offered = plan.alpn;
  r.app.protocol = plan.protocol;
  return r;
}

Dispatcher::Dispatcher(const TaskSet& tasks, const ScanOrder& order, uint64_t first_step,
                       const std::vector<uint64_t>& skip, const ethics::Policy& policy,
                       Options options)
    : tasks_(tasks),
      order_(order),
      policy_(policy),
      options_(options),
      ip_spacing_(std::chrono::milliseconds(std::max(0, options.per_ip_spacing_ms))),
      prefix_spacing_(std::chrono::milliseconds(std::max(0, options.per_prefix_spacing_ms))),
      cursor_(std::min(first_step, order.steps())),
      delivered_(cursor_),
      skip_(skip),
      refilled_(Clock::now()) {
  if (options_.window == 0) options_.window = 1;
  done_.assign(options_.window, 0);
  std::sort(skip_.begin(), skip_.end());
}

Dispatcher::Clock::time_point Dispatcher::ready_at(const IpAddress& ip) const {
  Clock::time_point ready{};
  if (ip_spacing_.count() > 0) {
    auto it = last_ip_.find(ip);
    if (it != last_ip_.end()) ready = it->second + ip_spacing_;
  }
  if (prefix_spacing_.count() > 0) {
    auto it = last_prefix_.find(mask(ip, ip.v6 ? 48 : 24));
    if (it != last_prefix_.end()) ready = std::max(ready, it->second + prefix_spacing_);
  }
  return ready;
}

void Dispatcher::note_start(const IpAddress& ip, Clock::time_point now) {
  tokens_ -= 1;
  if (ip_spacing_.count() > 0) last_ip_[ip] = now;
  if (prefix_spacing_.count() > 0) last_prefix_[mask(ip, ip.v6 ? 48 : 24)] = now;
  if (++starts_since_prune_ >= 4096) prune(now);
}

void Dispatcher::prune(Clock::time_point now) {
  starts_since_prune_ = 0;
  std::erase_if(last_ip_, [&](const auto& e) { return e.second + ip_spacing_ <= now; });
  std::erase_if(last_prefix_, [&](const auto& e) { return e.second + prefix_spacing_ <= now; });
}

// Token bucket: `rate` tokens a second, at most 10 ms worth (and at least one) saved up, so the
// rate holds over any window longer than a few milliseconds.
bool Dispatcher::refill(Clock::time_point now) {
  double burst = std::max(1.0, options_.rate * 0.010);
  double elapsed = std::chrono::duration<double>(now - refilled_).count();
  if (elapsed > 0) {
    tokens_ = std::min(burst, tokens_ + elapsed * options_.rate);
    refilled_ = now;
  }
  return tokens_ >= 1;
}

Dispatcher::Next Dispatcher::next(Clock::time_point now) {
  std::lock_guard lock(mu_);
  Next out;
  if (stop_) return out;
  bool have_token = refill(now);
  auto token_time = now + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>((1 - tokens_) / options_.rate));
  auto wait = [&](Clock::time_point until) {
    out.kind = Next::Kind::kWait;
    out.until = until;
    return out;
  };
  auto start = [&](uint64_t step, const Task* task) {
    note_start(tasks_.ip(*task), now);
    out.kind = Next::Kind::kTask;
    out.step = step;
    out.task = task;
    return out;
  };
  // Tasks that waited for their address's or prefix's spacing come first.
  while (!deferred_.empty() && deferred_.top().ready <= now) {
    Deferred d = deferred_.top();
    auto ready = ready_at(tasks_.ip(*d.task));
    if (ready > now) {  // another task to the same place started meanwhile
      deferred_.pop();
      d.ready = ready;
      deferred_.push(d);
      continue;
    }
    if (!have_token) return wait(token_time);
    deferred_.pop();
    return start(d.step, d.task);
  }
  while (cursor_ < order_.steps() && cursor_ - delivered_ < options_.window &&
         deferred_.size() < options_.window) {
    uint64_t step = cursor_;
    if (std::binary_search(skip_.begin(), skip_.end(), step)) {
      ++cursor_;
      mark_done_locked(step);
      continue;
    }
    const Task* task = &tasks_.tasks[order_.task_at(step)];
    const IpAddress& ip = tasks_.ip(*task);
    if (!policy_.allowed(ip)) {
      ++cursor_;
      ++blocked_;
      GrabResult r = blank_result(tasks_, step, *task);
      r.status = Status::kBlocked;
      r.error = "on the blocklist: " + policy_.blocklist.why(ip);
      r.started_at = clock_now();
      add_result_locked(std::move(r));
      continue;
    }
    auto ready = ready_at(ip);
    if (ready > now) {
      ++cursor_;
      deferred_.push({ready, step, task});
      continue;
    }
    if (!have_token) return wait(token_time);
    ++cursor_;
    return start(step, task);
  }
  if (cursor_ >= order_.steps() && deferred_.empty()) return out;  // kDone
  // Waiting for a spaced task, or for deliveries to free the window.
  auto until = now + std::chrono::milliseconds(5);
  if (!deferred_.empty()) until = std::min(until, deferred_.top().ready);
  return wait(std::max(until, token_time));
}

void Dispatcher::mark_done_locked(uint64_t step) {
  done_[step % done_.size()] = 1;
  while (delivered_ < cursor_ && done_[delivered_ % done_.size()] != 0) {
    done_[delivered_ % done_.size()] = 0;
    ++delivered_;
  }
}

void Dispatcher::add_result_locked(GrabResult result) {
  mark_done_locked(result.step);
  ready_.push_back(std::move(result));
  // take() polls every batch; waking it for every result would cost a context switch per
  // connection, so only a large backlog wakes it early.
  if (ready_.size() == kWakeBacklog) ready_cv_.notify_one();
}

void Dispatcher::complete(GrabResult result) {
  std::lock_guard lock(mu_);
  add_result_locked(std::move(result));
}

void Dispatcher::stop() {
  stop_ = true;
  notify();
}

bool Dispatcher::stopped() const { return stop_; }

uint64_t Dispatcher::take(std::vector<GrabResult>& out, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (ready_.size() < kWakeBacklog) ready_cv_.wait_for(lock, timeout);
  if (out.empty()) {
    out.swap(ready_);
  } else {
    std::move(ready_.begin(), ready_.end(), std::back_inserter(out));
    ready_.clear();
  }
  return delivered_;
}

void Dispatcher::notify() {
  std::lock_guard lock(mu_);
  ready_cv_.notify_all();
}

uint64_t Dispatcher::blocked() const {
  std::lock_guard lock(mu_);
  return blocked_;
}

}  // namespace iotmap::scanner
