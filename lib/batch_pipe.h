// Rows filled on one thread and consumed in batches on a thread of the pipe's own (the
// resolver's results and the store's inserts). A fixed set of buffers goes round: the producer
// waits only when every buffer is full and waiting for, or in, the consumer, and no row is
// allocated after the first round (a row's buffers are reused, as a single-thread loop would).
// The consumer thread blocks signals, so that SIGINT/SIGTERM reach the
// producer's thread, whose event loop polls for them. A target that uses it links
// Threads::Threads (header only: iotmap_lib itself does not).
#pragma once

#include <pthread.h>

#include <condition_variable>
#include <csignal>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <utility>
#include <vector>

namespace iotmap {

template <class Row>
class BatchPipe {
 public:
  using Consume = std::function<void(std::span<Row>)>;

  // `buffers` >= 2 batches of `batch_size` rows each.
  BatchPipe(size_t batch_size, size_t buffers, Consume consume)
      : consume_(std::move(consume)), buffers_(buffers, std::vector<Row>(batch_size)) {
    for (size_t i = 1; i < buffers; ++i) free_.push_back(i);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);  // the new thread inherits the mask
    thread_ = std::thread([this] { loop(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  ~BatchPipe() { close(); }
  BatchPipe(const BatchPipe&) = delete;
  BatchPipe& operator=(const BatchPipe&) = delete;

  // The next row to fill (it holds what it held a round ago). Hands a full buffer over first;
  // rethrows what the consumer threw, so that the producer stops as it would have stopped had
  // it consumed the batch itself.
  Row& next() {
    if (used_ == buffers_[current_].size()) hand_over(true);
    return buffers_[current_][used_++];
  }

  // Hands the rows filled so far over, waits until every batch is consumed and rethrows what
  // the consumer threw.
  void finish() {
    if (used_ > 0) hand_over(false);
    close();
    if (error_) std::rethrow_exception(error_);
  }

  // Consumes the batches already handed over (not the one being filled) and ends the thread;
  // throws nothing. After it the consumer's state may be read on this thread.
  void close() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    filled_.notify_one();
    thread_.join();
  }

 private:
  void hand_over(bool take_next) {
    std::unique_lock lock(mu_);
    if (error_) std::rethrow_exception(error_);
    full_.emplace_back(current_, used_);
    used_ = 0;
    filled_.notify_one();
    if (!take_next) return;
    freed_.wait(lock, [&] { return !free_.empty(); });
    current_ = free_.front();
    free_.pop_front();
  }

  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      filled_.wait(lock, [&] { return !full_.empty() || closed_; });
      if (full_.empty()) return;
      auto [buffer, rows] = full_.front();
      full_.pop_front();
      // After a failure the batches still come back (the producer must not wait for ever)
      // but are not consumed: the producer is told at its next hand-over.
      if (!error_) {
        lock.unlock();
        std::exception_ptr e;
        try {
          consume_(std::span(buffers_[buffer].data(), rows));
        } catch (...) {
          e = std::current_exception();
        }
        lock.lock();
        error_ = e;
      }
      free_.push_back(buffer);
      freed_.notify_one();
    }
  }

  Consume consume_;
  std::vector<std::vector<Row>> buffers_;
  size_t current_ = 0, used_ = 0;  // the producer's buffer and rows filled in it
  std::mutex mu_;
  std::condition_variable filled_, freed_;
  std::deque<std::pair<size_t, size_t>> full_;  // (buffer, rows), oldest first
  std::deque<size_t> free_;
  bool closed_ = false;
  std::exception_ptr error_;
  std::thread thread_;
};

}  // namespace iotmap
