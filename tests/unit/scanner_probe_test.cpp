#include <catch2/catch.hpp>

#include "scanner/probe.h"
#include "tests/unit/scanner_support.h"

using namespace iotmap::scanner;

namespace {

// Feeds `reply` one byte at a time, as a trickling server would, and checks that the parser
// wants more until the last byte and then answers `final`.
Feed feed_bytewise(ReplyParser parse, std::string_view reply, AppResult& out) {
  for (size_t i = 1; i < reply.size(); ++i) {
    AppResult partial;
    auto f = parse(reply.substr(0, i), partial);
    if (f != Feed::kNeedMore) return f;
  }
  return parse(reply, out);
}

}  // namespace

TEST_CASE("MQTT CONNECT is a well-formed 3.1.1 packet", "[scanner][mqtt]") {
  auto p = mqtt::connect_packet("iotmap-1");
  REQUIRE(p.size() == 2 + 10 + 2 + 8);
  CHECK(static_cast<uint8_t>(p[0]) == 0x10);
  CHECK(static_cast<uint8_t>(p[1]) == p.size() - 2);
  CHECK(p.substr(2, 6) == std::string("\x00\x04MQTT", 6));
  CHECK(p[8] == 4);
  CHECK(p[9] == 2);
  CHECK(p.substr(p.size() - 8) == "iotmap-1");
  // Client ids are cut to the 23 characters every 3.1.1 broker must accept.
  CHECK(mqtt::connect_packet(std::string(40, 'x')).size() == 2 + 10 + 2 + 23);
}

TEST_CASE("MQTT CONNACK return codes are read, byte by byte too", "[scanner][mqtt]") {
  AppResult r;
  CHECK(feed_bytewise(mqtt::parse_connack, std::string("\x20\x02\x00\x00", 4), r) == Feed::kDone);
  CHECK(r.confirmed);
  CHECK(r.mqtt_return_code == 0);
  CHECK_FALSE(r.mqtt_session_present);

  AppResult refused;
  CHECK(mqtt::parse_connack(std::string("\x20\x02\x01\x05", 4), refused) == Feed::kDone);
  CHECK(refused.mqtt_return_code == 5);
  CHECK(refused.mqtt_session_present);

  // An MQTT 5 CONNACK carries properties after the two bytes; the code is still read.
  AppResult v5;
  CHECK(mqtt::parse_connack(std::string("\x20\x05\x00\x84\x02\x21\x00", 7), v5) == Feed::kDone);
  CHECK(v5.mqtt_return_code == 0x84);
}

TEST_CASE("MQTT parser rejects what is not a CONNACK", "[scanner][mqtt]") {
  for (std::string bad : {std::string("HTTP/1.1 400"), std::string("\x30\x02\x00\x00", 4),
                          std::string("\x20\x01\x00", 3), std::string("\x20\x02\x02\x00", 4),
                          std::string("\x20\xff\xff\xff\xff\x01", 6)}) {
    AppResult r;
    CHECK(mqtt::parse_connack(bad, r) == Feed::kError);
    CHECK_FALSE(r.confirmed);
    CHECK_FALSE(r.error.empty());
  }
  AppResult r;
  CHECK(mqtt::parse_connack("", r) == Feed::kNeedMore);
  CHECK(mqtt::parse_connack(std::string("\x20\x82", 2), r) == Feed::kNeedMore);
}

TEST_CASE("AMQP 0-9-1 Connection.Start yields product, version and properties", "[scanner][amqp]") {
  CHECK(amqp::protocol_header() == std::string("AMQP\x00\x00\x09\x01", 8));
  auto frame = scanner_test::amqp_connection_start("RabbitMQ", "3.12.1");
  AppResult r;
  CHECK(feed_bytewise(amqp::parse_reply, frame, r) == Feed::kDone);
  CHECK(r.confirmed);
  CHECK(r.error.empty());
  CHECK(r.amqp_version == "0-9-1");
  CHECK(r.amqp_product == "RabbitMQ");
  CHECK(r.amqp_product_version == "3.12.1");
  CHECK(r.amqp_mechanisms == std::vector<std::string>{"PLAIN", "AMQPLAIN"});
  auto has = [&](const std::string& k, const std::string& v) {
    for (const auto& p : r.amqp_properties)
      if (p.first == k) return p.second == v;
    return false;
  };
  CHECK(has("capabilities.publisher_confirms", "true"));
  CHECK(has("platform", "Erlang/OTP 25"));
  CHECK(has("counter", "-2"));
}

TEST_CASE("AMQP 1.0 servers answer with their protocol header", "[scanner][amqp]") {
  AppResult r;
  CHECK(amqp::parse_reply(std::string("AMQP\x03\x01\x00\x00", 8), r) == Feed::kDone);
  CHECK(r.confirmed);
  CHECK(r.amqp_version == "1.0.0-sasl");
  AppResult plain;
  CHECK(amqp::parse_reply(std::string("AMQP\x00\x01\x00\x00", 8), plain) == Feed::kDone);
  CHECK(plain.amqp_version == "1.0.0");
  AppResult partial;
  CHECK(amqp::parse_reply("AMQ", partial) == Feed::kNeedMore);
}

TEST_CASE("AMQP parser rejects garbage, bad frames and malformed tables", "[scanner][amqp]") {
  auto good = scanner_test::amqp_connection_start("RabbitMQ", "3.12.1");
  std::string no_end = good;
  no_end.back() = 'x';
  std::string channel = good;
  channel[2] = 1;
  std::string huge("\x01\x00\x00\x7f\xff\xff\xff", 7);
  std::string bad_type = good;
  // Corrupt the first field type in the properties table (after 7 + 4 + 2 + 4 + 1 + len bytes).
  bad_type[7 + 4 + 2 + 4 + 1 + 12] = '?';
  for (const auto& bad :
       {std::string("AMQx"), std::string("SSH-2.0-OpenSSH"), no_end, channel, huge, bad_type}) {
    AppResult r;
    CHECK(amqp::parse_reply(bad, r) == Feed::kError);
    CHECK_FALSE(r.confirmed);
  }
}

TEST_CASE("HTTP HEAD request and response parsing", "[scanner][http]") {
  auto req = http::head_request("example.com", "iotmap/0.1");
  CHECK(req.rfind("HEAD / HTTP/1.1\r\nHost: example.com\r\n", 0) == 0);
  CHECK(req.find("Connection: close\r\n\r\n") != std::string::npos);

  AppResult r;
  std::string reply =
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nserver:  nginx/1.22.1 \r\n\r\n";
  CHECK(feed_bytewise(http::parse_response, reply, r) == Feed::kDone);
  CHECK(r.confirmed);
  CHECK(r.http_status == 404);
  CHECK(r.http_version == "HTTP/1.1");
  CHECK(r.http_server == "nginx/1.22.1");

  AppResult bare;
  CHECK(http::parse_response("HTTP/1.0 200\n\n", bare) == Feed::kDone);
  CHECK(bare.http_status == 200);
  CHECK(bare.http_server.empty());
}

TEST_CASE("HTTP parser rejects garbage and endless headers", "[scanner][http]") {
  for (std::string bad : {"\x16\x03\x01 garbage", "HTTP/1.1 2x0 OK\r\n\r\n", "HTTP/1.1\r\n\r\n",
                          "HTTP/1.1 2000\r\n\r\n"}) {
    AppResult r;
    CHECK(http::parse_response(bad, r) == Feed::kError);
  }
  AppResult r;
  CHECK(http::parse_response("HTT", r) == Feed::kNeedMore);
  CHECK(http::parse_response("HTTP/1.1 200 OK\r\nX: y\r\n", r) == Feed::kNeedMore);
  std::string endless = "HTTP/1.1 200 OK\r\n" + std::string(20000, 'a');
  CHECK(http::parse_response(endless, r) == Feed::kError);
}

TEST_CASE("probes are built per protocol, and printable escapes control bytes", "[scanner]") {
  ProbeContext ctx{"[2001:db8::1]", "iotmap-7"};
  auto h = make_probe(AppProtocol::kHttp, ctx);
  CHECK(h.request.find("Host: [2001:db8::1]\r\n") != std::string::npos);
  CHECK(make_probe(AppProtocol::kMqtt, ctx).request == mqtt::connect_packet("iotmap-7"));
  CHECK(make_probe(AppProtocol::kNone, ctx).parse == nullptr);
  CHECK(app_protocol_from_string("mqtts") == AppProtocol::kMqtt);
  CHECK(app_protocol_from_string("https") == AppProtocol::kHttp);
  CHECK_FALSE(app_protocol_from_string("gopher"));
  CHECK(printable(std::string("a\x01\\", 3)) == "a\\x01\\x5c");
  CHECK(printable(std::string(100, 'z'), 4) == "zzzz...");
}
