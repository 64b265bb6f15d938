// The order of a scan: a keyed pseudo-random permutation of the task indices [0, size), so
// that consecutive probes land on unrelated addresses (ZMap's practice), the same seed always
// gives the same order, and N machines with the same seed split the work exactly.
//
// The permutation is a balanced Feistel network over the smallest even-bit domain 2^(2h) that
// holds `size`, with cycle walking back into [0, size) (Black and Rogaway's format-preserving
// construction). Six rounds of a keyed 64-bit mixer; the domain is at most 4x the size, so a
// lookup takes a few rounds on average.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotmap::scanner {

class Permutation {
 public:
  Permutation(uint64_t size, uint64_t seed);
  uint64_t size() const { return size_; }
  // The task index at `position` (position < size). A bijection on [0, size).
  uint64_t at(uint64_t position) const;

 private:
  uint64_t round(int r, uint64_t half) const;
  uint64_t encrypt(uint64_t x) const;

  static constexpr int kRounds = 6;
  uint64_t size_;
  int half_bits_ = 1;
  uint64_t half_mask_ = 1;
  uint64_t keys_[kRounds] = {};
};

// `--shard I/N`: shard I (0 <= I < N) takes the permutation positions I, I+N, I+2N, ...
struct Shard {
  uint64_t index = 0;
  uint64_t count = 1;

  // "I/N" with 0 <= I < N; nullopt (and `error` set) otherwise.
  static std::optional<Shard> parse(std::string_view text, std::string* error = nullptr);
  std::string str() const;  // "I/N"
  // How many of `total` positions belong to this shard.
  uint64_t positions(uint64_t total) const;
};

// One shard's walk through the permuted tasks: step k (0-based) is task `task_at(k)`.
class ScanOrder {
 public:
  ScanOrder(uint64_t tasks, uint64_t seed, Shard shard);
  uint64_t steps() const { return steps_; }
  uint64_t task_at(uint64_t step) const { return perm_.at(shard_.index + step * shard_.count); }

 private:
  Permutation perm_;
  Shard shard_;
  uint64_t steps_;
};

// A seed for seed = 0 ("random"): from the system's random source.
uint64_t random_seed();

}  // namespace iotmap::scanner
