// Helpers shared by the scanner's unit tests: canned protocol replies.
#pragma once

#include <cstdint>
#include <string>

namespace scanner_test {

inline void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

inline void put_long_string(std::string& out, const std::string& s) {
  put_be(out, s.size(), 4);
  out += s;
}

inline void put_field(std::string& out, const std::string& key, char type, const std::string& raw) {
  out += static_cast<char>(key.size());
  out += key;
  out += type;
  out += raw;
}

// An AMQP 0-9-1 Connection.Start frame like RabbitMQ's (the first field is "capabilities").
inline std::string amqp_connection_start(const std::string& product, const std::string& version) {
  std::string caps;
  put_field(caps, "publisher_confirms", 't', std::string(1, '\x01'));
  std::string caps_raw;
  put_long_string(caps_raw, caps);
  std::string props;
  put_field(props, "capabilities", 'F', caps_raw);
  std::string s;
  put_long_string(s, product);
  put_field(props, "product", 'S', s);
  s.clear();
  put_long_string(s, version);
  put_field(props, "version", 'S', s);
  s.clear();
  put_long_string(s, "Erlang/OTP 25");
  put_field(props, "platform", 'S', s);
  s.clear();
  put_be(s, static_cast<uint16_t>(-2), 2);
  put_field(props, "counter", 's', s);
  std::string payload;
  put_be(payload, 10, 2);
  put_be(payload, 10, 2);
  payload += '\x00';
  payload += '\x09';
  put_long_string(payload, props);
  put_long_string(payload, "PLAIN AMQPLAIN");
  put_long_string(payload, "en_US");
  std::string frame(1, '\x01');
  put_be(frame, 0, 2);
  put_be(frame, payload.size(), 4);
  return frame + payload + '\xCE';
}

}  // namespace scanner_test
