#include "scanner/probe.h"

#include <cstdio>

namespace iotmap::scanner {

std::string_view to_string(AppProtocol p) {
  switch (p) {
    case AppProtocol::kMqtt:
      return "mqtt";
    case AppProtocol::kAmqp:
      return "amqp";
    case AppProtocol::kHttp:
      return "http";
    case AppProtocol::kNone:
      break;
  }
  return "none";
}

std::optional<AppProtocol> app_protocol_from_string(std::string_view name) {
  if (name == "none" || name == "tls" || name.empty()) return AppProtocol::kNone;
  if (name == "mqtt" || name == "mqtts") return AppProtocol::kMqtt;
  if (name == "amqp" || name == "amqps") return AppProtocol::kAmqp;
  if (name == "http" || name == "https") return AppProtocol::kHttp;
  return std::nullopt;
}

Probe make_probe(AppProtocol protocol, const ProbeContext& context) {
  Probe p;
  p.protocol = protocol;
  switch (protocol) {
    case AppProtocol::kMqtt:
      p.request = mqtt::connect_packet(context.client_id);
      p.parse = mqtt::parse_connack;
      break;
    case AppProtocol::kAmqp:
      p.request = amqp::protocol_header();
      p.parse = amqp::parse_reply;
      break;
    case AppProtocol::kHttp:
      p.request = http::head_request(context.host, context.user_agent);
      p.parse = http::parse_response;
      break;
    case AppProtocol::kNone:
      break;
  }
  return p;
}

std::string printable(std::string_view bytes, size_t max) {
  std::string out;
  for (unsigned char c : bytes) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace iotmap::scanner
