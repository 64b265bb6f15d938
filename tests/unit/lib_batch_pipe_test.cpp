#include <catch2/catch.hpp>
#include <csignal>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lib/batch_pipe.h"

using iotmap::BatchPipe;

TEST_CASE("batch pipe: every row reaches the consumer once, in order, on another thread",
          "[batch_pipe]") {
  std::vector<int> seen;
  std::vector<size_t> sizes;
  std::set<const int*> buffers;
  std::thread::id consumer;
  {
    BatchPipe<int> pipe(4, 3, [&](std::span<int> rows) {
      consumer = std::this_thread::get_id();
      sizes.push_back(rows.size());
      buffers.insert(rows.data());
      seen.insert(seen.end(), rows.begin(), rows.end());
    });
    for (int i = 0; i < 103; ++i) pipe.next() = i;
    pipe.finish();
  }
  std::vector<int> want(103);
  for (int i = 0; i < 103; ++i) want[i] = i;
  CHECK(seen == want);
  CHECK(sizes.size() == 26);
  CHECK(sizes.back() == 3);    // the partial last batch is handed over by finish()
  CHECK(buffers.size() <= 3);  // the buffers go round: no new rows after the first round
  CHECK(consumer != std::this_thread::get_id());
}

TEST_CASE("batch pipe: a row comes back with what it held a round ago", "[batch_pipe]") {
  // The resolver reuses a row's string buffers; the pipe must hand back the same rows.
  std::vector<std::string> first_round;
  BatchPipe<std::string> pipe(2, 2, [&](std::span<std::string> rows) {
    for (auto& r : rows) first_round.push_back(r);
  });
  size_t reused = 0;
  for (int i = 0; i < 6; ++i) {
    std::string& row = pipe.next();
    // Two buffers of two rows: rows 4 and 5 are in the first buffer again.
    if (i >= 4) reused += row == "row " + std::to_string(i - 4);
    row = "row " + std::to_string(i);
  }
  pipe.finish();
  CHECK(reused == 2);
  CHECK(first_round ==
        std::vector<std::string>{"row 0", "row 1", "row 2", "row 3", "row 4", "row 5"});
}

TEST_CASE("batch pipe: what the consumer throws reaches the producer", "[batch_pipe]") {
  size_t consumed = 0;
  BatchPipe<int> pipe(2, 2, [&](std::span<int> rows) {
    if (rows[0] >= 4) throw std::runtime_error("disk full");
    consumed += rows.size();
  });
  bool thrown = false;
  try {
    // The producer learns at a later hand-over and never waits for ever for a buffer.
    for (int i = 0; i < 1000; ++i) pipe.next() = i;
  } catch (const std::runtime_error& e) {
    thrown = std::string(e.what()) == "disk full";
  }
  CHECK(thrown);
  CHECK(consumed == 4);  // nothing after the failed batch
  CHECK_THROWS_AS(pipe.finish(), std::runtime_error);
}

TEST_CASE("batch pipe: finish() rethrows a failure of the last batch", "[batch_pipe]") {
  BatchPipe<int> pipe(10, 2, [](std::span<int>) { throw std::runtime_error("locked"); });
  pipe.next() = 1;
  CHECK_THROWS_AS(pipe.finish(), std::runtime_error);
}

TEST_CASE("batch pipe: signals are not delivered to the consumer's thread", "[batch_pipe]") {
  bool term_blocked = false, int_blocked = false;
  BatchPipe<int> pipe(1, 2, [&](std::span<int>) {
    sigset_t mask;
    pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    term_blocked = sigismember(&mask, SIGTERM) == 1;
    int_blocked = sigismember(&mask, SIGINT) == 1;
  });
  pipe.next() = 1;
  pipe.finish();
  CHECK(term_blocked);
  CHECK(int_blocked);
  sigset_t mine;
  pthread_sigmask(SIG_BLOCK, nullptr, &mine);
  CHECK(sigismember(&mine, SIGTERM) == 0);  // the producer's mask is as it was
}
