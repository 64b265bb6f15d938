// IP addresses and prefixes as plain values, shared by the blocklist, the scanner and the
// backend map. Both families live in one 16-byte form so that containers need no variant.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotmap {

struct IpAddress {
  // IPv4 is stored in the first 4 bytes; the rest stays zero.
  std::array<uint8_t, 16> bytes{};
  bool v6 = false;

  int bits() const { return v6 ? 128 : 32; }
  std::string str() const;
  // Parses dotted IPv4 or RFC 4291 IPv6 text; nullopt on anything else (no names, no ports).
  static std::optional<IpAddress> parse(std::string_view text);
  uint32_t v4_value() const {
    return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
           uint32_t{bytes[3]};
  }
  static IpAddress from_v4(uint32_t value);

  // clang-tidy 14 takes the defaulted <=>'s comparison with 0 for a null pointer constant.
  auto operator<=>(const IpAddress&) const = default;  // NOLINT(modernize-use-nullptr)
};

struct Prefix {
  IpAddress base;  // host bits are zero
  int length = 0;

  bool contains(const IpAddress& ip) const;
  std::string str() const;
  // "a.b.c.d/n", "x::/n", or a bare address (full length). Host bits are cleared.
  static std::optional<Prefix> parse(std::string_view text);

  auto operator<=>(const Prefix&) const = default;
};

// Keeps the first `length` bits of `ip` and zeroes the rest.
IpAddress mask(const IpAddress& ip, int length);

// An address to bind to: "ADDR:PORT" or "[ADDR6]:PORT", the address an IP address (no name).
struct AddressPort {
  IpAddress ip;
  uint16_t port = 0;
};
// Throws std::invalid_argument saying what is wrong, for the caller to prefix with its option.
AddressPort parse_address_port(std::string_view text);

}  // namespace iotmap
