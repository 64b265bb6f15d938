// MQTT 3.1.1 (OASIS, section 3.1 CONNECT and 3.2 CONNACK). A broker answers CONNECT with
// CONNACK: fixed header 0x20, remaining length, acknowledge flags, return code. MQTT 5 brokers
// answer a 3.1.1 CONNECT in 3.1.1; a CONNACK with a longer remaining length (v5 properties) is
// still read for its first two bytes.
#include <cstdio>

#include "scanner/probe.h"

namespace iotmap::scanner::mqtt {
namespace {

constexpr uint8_t kConnect = 0x10;
constexpr uint8_t kConnack = 0x20;
constexpr size_t kMaxConnack = 1024;  // v5 CONNACK properties are small; more is not MQTT

void put_u16(std::string& out, size_t v) {
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}

Feed fail(AppResult& out, std::string why) {
  out.confirmed = false;
  out.error = std::move(why);
  return Feed::kError;
}

}  // namespace

std::string connect_packet(std::string_view client_id) {
  if (client_id.size() > 23) client_id = client_id.substr(0, 23);  // 3.1.1 servers must accept 23
  std::string body;
  put_u16(body, 4);
  body += "MQTT";
  body += static_cast<char>(4);     // protocol level 3.1.1
  body += static_cast<char>(0x02);  // clean session, no will, no credentials
  put_u16(body, 30);                // keep alive (s); the scanner leaves long before
  put_u16(body, client_id.size());
  body += client_id;
  std::string packet(1, static_cast<char>(kConnect));
  packet += static_cast<char>(body.size());  // < 128, one length byte
  return packet + body;
}

Feed parse_connack(std::string_view received, AppResult& out) {
  out.protocol = AppProtocol::kMqtt;
  if (received.empty()) return Feed::kNeedMore;
  auto first = static_cast<uint8_t>(received[0]);
  if (first != kConnack) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "not an MQTT CONNACK (first byte 0x%02x)", first);
    return fail(out, buf);
  }
  // Remaining length: 1 to 4 bytes, 7 bits each, high bit = more follows.
  size_t length = 0;
  size_t pos = 1;
  for (int shift = 0;; shift += 7) {
    if (pos >= received.size()) return Feed::kNeedMore;
    if (shift > 21) return fail(out, "MQTT remaining length longer than 4 bytes");
    auto b = static_cast<uint8_t>(received[pos++]);
    length |= size_t{b & 0x7Fu} << shift;
    if ((b & 0x80) == 0) break;
  }
  if (length < 2) return fail(out, "MQTT CONNACK shorter than 2 bytes");
  if (length > kMaxConnack) return fail(out, "MQTT CONNACK longer than 1024 bytes");
  if (received.size() < pos + 2) return Feed::kNeedMore;
  auto flags = static_cast<uint8_t>(received[pos]);
  if ((flags & 0xFE) != 0) return fail(out, "MQTT CONNACK with reserved flag bits set");
  out.mqtt_session_present = (flags & 1) != 0;
  out.mqtt_return_code = static_cast<uint8_t>(received[pos + 1]);
  out.confirmed = true;
  out.error.clear();
  return Feed::kDone;
}

}  // namespace iotmap::scanner::mqtt
