#include "lib/net.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>

namespace iotmap {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton reads up to the first NUL: "192.0.2.1\0junk" would pass as 192.0.2.1.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN || text.find('\0') != std::string_view::npos)
    return std::nullopt;
  std::string s(text);  // inet_pton needs a terminated string
  IpAddress ip;
  if (s.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    ip.v6 = true;
    return ip;
  }
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  return ip;
}

IpAddress IpAddress::from_v4(uint32_t value) {
  IpAddress ip;
  ip.bytes[0] = static_cast<uint8_t>(value >> 24);
  ip.bytes[1] = static_cast<uint8_t>(value >> 16);
  ip.bytes[2] = static_cast<uint8_t>(value >> 8);
  ip.bytes[3] = static_cast<uint8_t>(value);
  return ip;
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (v6) {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
  }
  // inet_ntop formats IPv4 through sprintf, 1,700 instructions a call: 5% of an hourly
  // resolve, which prints every answer's address (bench/README.md).
  char* p = buf;
  for (int i = 0; i < 4; ++i) {
    if (i > 0) *p++ = '.';
    p = std::to_chars(p, buf + sizeof buf, bytes[i]).ptr;
  }
  return std::string(buf, p);
}

IpAddress mask(const IpAddress& ip, int length) {
  IpAddress out = ip;
  for (int i = 0; i < 16; ++i) {
    int keep = length - i * 8;
    if (keep >= 8) continue;
    out.bytes[i] = keep <= 0 ? 0 : static_cast<uint8_t>(out.bytes[i] & (0xFF << (8 - keep)));
  }
  return out;
}

bool Prefix::contains(const IpAddress& ip) const {
  return ip.v6 == base.v6 && mask(ip, length) == base;
}

std::string Prefix::str() const { return base.str() + "/" + std::to_string(length); }

std::optional<Prefix> Prefix::parse(std::string_view text) {
  auto slash = text.find('/');
  auto ip = IpAddress::parse(text.substr(0, slash));
  if (!ip) return std::nullopt;
  int length = ip->bits();
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    length = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      length = length * 10 + (c - '0');
    }
    if (length > ip->bits()) return std::nullopt;
  }
  return Prefix{mask(*ip, length), length};
}

AddressPort parse_address_port(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text[0] == '[') {
    auto close = text.find("]:");
    if (close == std::string_view::npos)
      throw std::invalid_argument("wants ADDR:PORT or [ADDR6]:PORT, not '" + std::string(text) +
                                  "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon)
      throw std::invalid_argument("wants ADDR:PORT or [ADDR6]:PORT, not '" + std::string(text) +
                                  "'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned value = 0;
  auto [stop, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || port.size() > 5 || ec != std::errc() || stop != port.data() + port.size() ||
      value > 65535)
    throw std::invalid_argument("bad port '" + std::string(port) + "'");
  auto ip = IpAddress::parse(host);
  if (!ip)
    throw std::invalid_argument("'" + std::string(host) +
                                "' is not an IP address (give the address to listen on)");
  return {*ip, static_cast<uint16_t>(value)};
}

}  // namespace iotmap
