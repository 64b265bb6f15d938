// Application probes: what the scanner says after the TLS handshake (or right after the TCP
// connect on plain ports) and how it reads the answer. One module per protocol (mqtt.cpp,
// amqp.cpp, http.cpp); each is pure: it builds bytes and parses bytes, and never touches a
// socket, so that it can be unit-tested and fuzzed on its own.
//
// A parser is always given everything received so far (not only the new bytes) and answers
// need-more, done or error. Each parser bounds how much it will wait for, so the engine's byte
// cap and deadline are a second line of defence, not the only one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace iotmap::scanner {

enum class AppProtocol : uint8_t { kNone, kMqtt, kAmqp, kHttp };

std::string_view to_string(AppProtocol p);  // "none", "mqtt", "amqp", "http"
// Accepts the names above plus the catalogue's spellings ("https", "mqtts", "amqps").
std::optional<AppProtocol> app_protocol_from_string(std::string_view name);

// What an application probe learnt. Fields of other protocols stay at their defaults.
struct AppResult {
  AppProtocol protocol = AppProtocol::kNone;
  bool confirmed = false;  // the peer answered in this protocol
  std::string error;       // when not confirmed: why (printable ASCII)

  // MQTT: the CONNACK return code (3.1.1: 0 accepted ... 5 not authorised) and flag.
  int mqtt_return_code = -1;
  bool mqtt_session_present = false;

  // AMQP: "0-9-1" (from Connection.Start) or the protocol header the server sent back
  // ("1.0.0", "1.0.0-sasl", "1.0.0-tls", ...), and the server properties of Connection.Start,
  // flattened ("capabilities.publisher_confirms" -> "true").
  std::string amqp_version;
  std::string amqp_product;
  std::string amqp_product_version;
  std::vector<std::pair<std::string, std::string>> amqp_properties;
  std::vector<std::string> amqp_mechanisms;

  // HTTP: the status code and the Server header (empty when absent).
  int http_status = 0;
  std::string http_version;  // "HTTP/1.1"
  std::string http_server;
};

enum class Feed : uint8_t { kNeedMore, kDone, kError };

// A parser: `received` is every byte read so far. On kDone or kError `out` is filled
// (protocol, confirmed, error and the protocol's fields).
using ReplyParser = Feed (*)(std::string_view received, AppResult& out);

struct ProbeContext {
  std::string host;       // SNI name, or the address ("[2001:db8::1]" for IPv6) for HTTP Host
  std::string client_id;  // MQTT client identifier
  std::string user_agent = "iotmap/0.1";
};

struct Probe {
  AppProtocol protocol = AppProtocol::kNone;
  std::string request;          // bytes to send after the handshake; empty for kNone
  ReplyParser parse = nullptr;  // null for kNone
};

// The probe for a protocol; kNone yields an empty probe (certificate grab only).
Probe make_probe(AppProtocol protocol, const ProbeContext& context);

// Turns bytes into printable ASCII for error texts and stored banners (no control characters,
// at most `max` characters; anything else as \xNN).
std::string printable(std::string_view bytes, size_t max = 64);

namespace mqtt {
// An MQTT 3.1.1 CONNECT with a clean session, no credentials and the given client id.
std::string connect_packet(std::string_view client_id);
// Parses the server's first packet, which must be a CONNACK.
Feed parse_connack(std::string_view received, AppResult& out);
}  // namespace mqtt

namespace amqp {
// The AMQP 0-9-1 protocol header "AMQP\0\0\x09\x01".
std::string protocol_header();
// Parses Connection.Start (0-9-1) or the protocol header a server of another version answers.
Feed parse_reply(std::string_view received, AppResult& out);
}  // namespace amqp

namespace http {
// "HEAD / HTTP/1.1" with Host, User-Agent and Connection: close.
std::string head_request(std::string_view host, std::string_view user_agent);
// Parses the status line and headers of the response (the body is never waited for).
Feed parse_response(std::string_view received, AppResult& out);
}  // namespace http

}  // namespace iotmap::scanner
