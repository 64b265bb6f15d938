// What a subscriber address becomes before anything leaves the detector's memory (ETHICS.md,
// docs/detect.md): a keyed hash, stable for one key and unlinkable without it, or the /24
// (IPv4) and /48 (IPv6) prefix the address lies in. Never the address itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/net.h"

namespace iotmap::detect {

class Pseudonymizer {
 public:
  // "h:" and the first 16 hex digits of HMAC-SHA256(key, 16-byte address): 64 bits, so two
  // lines of one ISP collide with odds of about n^2 / 2^65. Throws std::invalid_argument when
  // the key is shorter than 16 bytes (a short key can be found by trying every address).
  static Pseudonymizer keyed_hash(std::string key);
  // The address's /v4_bits or /v6_bits prefix, as "192.0.2.0/24".
  static Pseudonymizer prefix(int v4_bits = 24, int v6_bits = 48);

  std::string operator()(const IpAddress& ip) const;
  bool hashes() const { return !key_.empty(); }

 private:
  std::string key_;
  int v4_bits_ = 24, v6_bits_ = 48;
};

// "hash" or "prefix" (the [detect] subscribers setting).
bool valid_subscriber_mode(std::string_view mode);

}  // namespace iotmap::detect
