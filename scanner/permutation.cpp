#include "scanner/permutation.h"

#include <charconv>
#include <random>

namespace iotmap::scanner {
namespace {

// SplitMix64's finaliser: a fast, well-mixing 64-bit function.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Permutation::Permutation(uint64_t size, uint64_t seed) : size_(size) {
  while (half_bits_ < 32 && (uint64_t{1} << (2 * half_bits_)) < size) ++half_bits_;
  half_mask_ = half_bits_ >= 32 ? 0xFFFFFFFFULL : (uint64_t{1} << half_bits_) - 1;
  uint64_t state = seed;
  for (auto& k : keys_) {
    state += 0x9e3779b97f4a7c15ULL;
    k = mix(state);
  }
}

uint64_t Permutation::round(int r, uint64_t half) const {
  return mix(keys_[r] ^ half) & half_mask_;
}

uint64_t Permutation::encrypt(uint64_t x) const {
  uint64_t left = (x >> half_bits_) & half_mask_;
  uint64_t right = x & half_mask_;
  for (int r = 0; r < kRounds; ++r) {
    uint64_t next = left ^ round(r, right);
    left = right;
    right = next;
  }
  return (left << half_bits_) | right;
}

uint64_t Permutation::at(uint64_t position) const {
  // Cycle walking: the Feistel network permutes the whole domain, so following its cycle from
  // an in-range point reaches an in-range point again; this keeps a bijection on [0, size).
  uint64_t x = encrypt(position);
  while (x >= size_) x = encrypt(x);
  return x;
}

std::optional<Shard> Shard::parse(std::string_view text, std::string* error) {
  auto fail = [&](const char* why) -> std::optional<Shard> {
    if (error != nullptr) *error = std::string("--shard ") + std::string(text) + ": " + why;
    return std::nullopt;
  };
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return fail("expected I/N, e.g. 0/4");
  Shard s;
  if (!parse_u64(text.substr(0, slash), s.index) || !parse_u64(text.substr(slash + 1), s.count))
    return fail("expected I/N with whole numbers, e.g. 0/4");
  if (s.count == 0 || s.count > 65535) return fail("N must be between 1 and 65535");
  if (s.index >= s.count) return fail("I counts from 0 and must be below N");
  return s;
}

std::string Shard::str() const { return std::to_string(index) + "/" + std::to_string(count); }

uint64_t Shard::positions(uint64_t total) const {
  return index >= total ? 0 : (total - index + count - 1) / count;
}

ScanOrder::ScanOrder(uint64_t tasks, uint64_t seed, Shard shard)
    : perm_(tasks, seed), shard_(shard), steps_(shard.positions(tasks)) {}

uint64_t random_seed() {
  std::random_device rd;
  uint64_t s = 0;
  while (s == 0) s = (uint64_t{rd()} << 32) ^ rd();
  return s;
}

}  // namespace iotmap::scanner
