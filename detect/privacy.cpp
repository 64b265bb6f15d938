#include "detect/privacy.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace iotmap::detect {

Pseudonymizer Pseudonymizer::keyed_hash(std::string key) {
  if (key.size() < 16)
    throw std::invalid_argument("the subscriber key has " + std::to_string(key.size()) +
                                " bytes; it needs at least 16");
  Pseudonymizer p;
  p.key_ = std::move(key);
  return p;
}

Pseudonymizer Pseudonymizer::prefix(int v4_bits, int v6_bits) {
  Pseudonymizer p;
  p.v4_bits_ = v4_bits;
  p.v6_bits_ = v6_bits;
  return p;
}

std::string Pseudonymizer::operator()(const IpAddress& ip) const {
  if (key_.empty())
    return Prefix{mask(ip, ip.v6 ? v6_bits_ : v4_bits_), ip.v6 ? v6_bits_ : v4_bits_}.str();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // The family is part of the input: 192.0.2.1 and ::c000:201 are two lines.
  unsigned char input[17];
  input[0] = ip.v6 ? 6 : 4;
  std::copy(ip.bytes.begin(), ip.bytes.end(), input + 1);
  HMAC(EVP_sha256(), key_.data(), int(key_.size()), input, sizeof input, mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out = "h:";
  for (unsigned i = 0; i < 8; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

bool valid_subscriber_mode(std::string_view mode) { return mode == "hash" || mode == "prefix"; }

}  // namespace iotmap::detect
