// Ports from the catalogue, and what a grab becomes: store rows and the JSON line.
#include <algorithm>
#include <catch2/catch.hpp>

#include "config/catalogue.h"
#include "scanner/ports.h"
#include "scanner/record.h"
#include "tests/unit/scanner_servers.h"

using namespace iotmap;
using namespace iotmap::scanner;

namespace {

const PortPlan* find_port(const std::vector<PortPlan>& plans, uint16_t port) {
  auto it = std::find_if(plans.begin(), plans.end(), [&](const auto& p) { return p.port == port; });
  return it == plans.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("ports: one plan per port, ALPN decides the probe, CoAP left out", "[scanner][ports]") {
  using config::PortSpec;
  auto aws443 = merge_port_specs(
      443, {PortSpec{443, "mqtt", true, "x-amzn-mqtt-ca"}, PortSpec{443, "https", true, ""}});
  CHECK(aws443.tls);
  CHECK(aws443.alpn == std::vector<std::string>{"x-amzn-mqtt-ca", "http/1.1"});
  CHECK(aws443.protocol_for("x-amzn-mqtt-ca") == AppProtocol::kMqtt);
  CHECK(aws443.protocol_for("http/1.1") == AppProtocol::kHttp);
  auto mqtt_only = merge_port_specs(443, {PortSpec{443, "mqtt", true, "x-amzn-mqtt-ca"}});
  CHECK(mqtt_only.alpn == std::vector<std::string>{"x-amzn-mqtt-ca"});
  CHECK(mqtt_only.protocol == AppProtocol::kMqtt);
  CHECK(aws443.protocol == AppProtocol::kHttp);
  // Both with and without TLS on 1883: the port's conventional use (plain) decides.
  auto ali1883 =
      merge_port_specs(1883, {PortSpec{1883, "mqtt", true, ""}, PortSpec{1883, "mqtt", false, ""}});
  CHECK_FALSE(ali1883.tls);
  CHECK(ali1883.protocol == AppProtocol::kMqtt);
  auto tls1884 = merge_port_specs(1884, {PortSpec{1884, "mqtt", true, ""}});
  CHECK(tls1884.tls);
  CHECK(tls1884.protocol == AppProtocol::kMqtt);
  // Ambiguous 443 without ALPN (MQTT or HTTPS): HTTP.
  auto baidu =
      merge_port_specs(443, {PortSpec{443, "mqtt", true, ""}, PortSpec{443, "https", true, ""}});
  CHECK(baidu.protocol == AppProtocol::kHttp);
  CHECK(baidu.alpn.empty());
  auto cisco = merge_port_specs(9123, {PortSpec{9123, "cisco-tcp", false, ""}});
  CHECK_FALSE(cisco.tls);
  CHECK(cisco.protocol == AppProtocol::kNone);
}

TEST_CASE("ports: a target's ports come from the providers its names match", "[scanner][ports]") {
  auto cat = config::Catalogue::embedded();
  PortPlanner all(cat, std::nullopt);
  Target aws{*IpAddress::parse("192.0.2.1"), {"a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com"}};
  auto plans = all(aws);
  REQUIRE(find_port(plans, 8883));
  CHECK(find_port(plans, 8883)->protocol == AppProtocol::kMqtt);
  REQUIRE(find_port(plans, 443));
  CHECK(find_port(plans, 443)->alpn == std::vector<std::string>{"x-amzn-mqtt-ca", "http/1.1"});
  CHECK_FALSE(find_port(plans, 1883));  // AWS does not list it
  CHECK_FALSE(find_port(plans, 5683));  // CoAP is UDP

  Target unnamed{*IpAddress::parse("2001:db8::1"), {}};
  auto every = all(unnamed);
  REQUIRE(find_port(every, 1883));
  CHECK_FALSE(find_port(every, 1883)->tls);
  REQUIRE(find_port(every, 5671));
  CHECK(find_port(every, 5671)->protocol == AppProtocol::kAmqp);

  PortPlanner only(cat, std::vector<uint16_t>{8883, 1883, 40000});
  auto narrowed = only(aws);
  REQUIRE(narrowed.size() == 3);
  CHECK(narrowed[0].port == 8883);
  CHECK(narrowed[1].port == 1883);  // not AWS's, but asked for: the catalogue-wide plan
  CHECK_FALSE(narrowed[1].tls);
  CHECK(narrowed[2].port == 40000);
  CHECK(narrowed[2].protocol == AppProtocol::kNone);
}

TEST_CASE("record: certificates parsed once, rows and JSON of a grab", "[scanner][record]") {
  auto cat = config::Catalogue::embedded();
  auto cert = scanner_test::make_cert("*.iot.us-east-1.amazonaws.com",
                                      {"*.iot.us-east-1.amazonaws.com", "example.org"});
  CertificateBook book(certs::catalogue_matcher(cat));
  GrabResult r;
  r.step = 3;
  r.ip = *IpAddress::parse("198.51.100.10");
  r.port = 8883;
  r.sni = "a.iot.us-east-1.amazonaws.com";
  r.started_at = 1700000000;
  r.tls_version = "TLSv1.3";
  r.cipher = "TLS_AES_256_GCM_SHA384";
  r.chain = {cert.der, std::string("not a certificate")};
  r.app.protocol = AppProtocol::kMqtt;
  r.app.confirmed = true;
  r.app.mqtt_return_code = 5;
  r.phase = Phase::kDone;

  auto shas = book.add_chain(r.chain, 1700000000);
  REQUIRE(shas.size() == 2);
  CHECK(shas[0] == certs::fingerprint(cert.der));
  auto rows = book.take_certificates();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].common_name == "*.iot.us-east-1.amazonaws.com");
  CHECK(rows[0].key_type == "ec");
  CHECK(rows[1].sha256 == shas[1]);  // unparsable: kept by fingerprint and DER
  CHECK(rows[1].subject_dn.empty());
  auto names = book.take_names();
  REQUIRE(names.size() == 1);
  CHECK(names[0].provider == "aws");
  // Seen again: nothing new to store, nothing parsed twice.
  book.add_chain(r.chain, 1700000001);
  CHECK(book.take_certificates().empty());
  CHECK(book.parsed() == 2);

  auto row = observation_row(r, 42, shas);
  CHECK(row.run_id == 42);
  CHECK(row.ip == "198.51.100.10");
  CHECK(row.status == "ok");
  CHECK(row.leaf_sha256 == shas[0]);
  CHECK(row.chain == shas);
  CHECK(row.protocol == "mqtt");
  CHECK(row.protocol_result == R"({"confirmed":true,"return_code":5,"session_present":false})");

  auto j = grab_json(r, 42, shas, book);
  CHECK(j["status"] == "ok");
  CHECK(j["phase"] == "done");
  CHECK(j["step"] == 3);
  CHECK(j["tls"]["chain"].size() == 2);
  CHECK(j["tls"]["leaf"]["common_names"][0] == "*.iot.us-east-1.amazonaws.com");
  CHECK_FALSE(j["tls"]["leaf"].contains("der"));
  CHECK(j["tls"]["providers"][0]["provider"] == "aws");
  CHECK(j["app"]["protocol"] == "mqtt");
  CHECK(j["app"]["return_code"] == 5);

  GrabResult plain;
  plain.tls = false;
  plain.status = Status::kRefused;
  auto pj = grab_json(plain, 1, {}, book);
  CHECK(pj["tls"].is_null());
  CHECK(pj["app"].is_null());
  CHECK(observation_row(plain, 1, {}).leaf_sha256.empty());
}
