// The certificate data set readers (certs/dataset.h), on records laid out as each project
// documents them: ZGrab2's module output (zgrab2_schemas, output.json), Censys host and
// certificate records, Rapid7 Sonar SSL certs and hosts lines. Each also gets truncated and
// malformed lines, which must come back as errors, never as records.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>

#include "certs/certificate.h"
#include "certs/dataset.h"
#include "certs_fixtures.h"

using namespace iotmap::certs;
using namespace iotmap::certs::dataset;
using namespace certs_test;

namespace {

struct Pair {
  std::string leaf, ca;
};

const Pair& pair() {
  static Pair p = [] {
    Spec ca;
    ca.subject = {{"O", "Example CA"}, {"CN", "Example Issuing CA"}};
    ca.ca = true;
    ca.key = ec_key();
    X509Ptr issuer = make_x509(ca);
    Spec leaf;
    leaf.subject = {{"CN", "*.iot.eu-west-1.amazonaws.com"}};
    leaf.sans = "DNS:*.iot.eu-west-1.amazonaws.com";
    return Pair{make_der(leaf, issuer.get(), ec_key()), make_der(ca)};
  }();
  return p;
}

std::string zgrab2_tls_line(const std::string& module_body) {
  return R"({"ip":"192.0.2.10","data":{"tls":)" + module_body + "}}";
}

std::string handshake(const std::string& leaf_b64, const std::string& ca_b64) {
  return R"({"server_hello":{"version":{"name":"TLSv1.2","value":771}},"server_certificates":)"
         R"({"certificate":{"raw":")" +
         leaf_b64 + R"(","parsed":{"subject_dn":"CN=x"}},"chain":[{"raw":")" + ca_b64 + R"("}]}})";
}

}  // namespace

TEST_CASE("zgrab2: the tls module's handshake log gives address, port, time and chain",
          "[certs][dataset]") {
  const auto& p = pair();
  std::string line = zgrab2_tls_line(
      R"({"status":"success","protocol":"tls","port":8883,"result":{"handshake_log":)" +
      handshake(base64_encode(p.leaf), base64_encode(p.ca)) +
      R"(},"timestamp":"2024-05-15T00:02:49-07:00"})");
  auto r = parse_zgrab2(line);
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0].ip == "192.0.2.10");
  CHECK(r.records[0].port == 8883);
  CHECK(r.records[0].time == 1715756569);  // 2024-05-15T07:02:49Z
  REQUIRE(r.records[0].chain.size() == 2);
  CHECK(r.records[0].chain[0] == p.leaf);
  CHECK(r.records[0].chain[1] == p.ca);
  CHECK(r.records[0].leaf_ref.empty());
}

TEST_CASE("zgrab2: mqtt and http modules keep the log under result.tls and the request",
          "[certs][dataset]") {
  const auto& p = pair();
  std::string hs = handshake(base64_encode(p.leaf), base64_encode(p.ca));
  std::string line =
      R"({"ip":"2001:db8::5","data":{"mqtt":{"status":"success","protocol":"mqtt","result":)"
      R"({"connack":{"return_code":5},"tls":{"handshake_log":)" +
      hs +
      R"(}},"timestamp":"2024-05-15T00:00:00Z"},"http":{"status":"success","protocol":"http",)"
      R"("port":443,"result":{"response":{"status_code":200,"request":{"tls_log":)"
      R"({"handshake_log":)" +
      hs + R"(}}}},"timestamp":"2024-05-15T00:00:01Z"}}})";
  auto r = parse_zgrab2(line);
  REQUIRE(r.error.empty());
  REQUIRE(r.records.size() == 2);
  // One record per module, in no promised order.
  std::sort(r.records.begin(), r.records.end(),
            [](const Record& a, const Record& b) { return a.port < b.port; });
  CHECK(r.records[0].ip == "2001:db8::5");
  CHECK(r.records[0].port == 0);  // output before 2023 has no port: the importer's --port
  CHECK(r.records[0].time == 1715731200);
  CHECK(r.records[1].port == 443);
  CHECK(r.records[1].time == 1715731201);
  CHECK(r.records[1].chain.at(0) == p.leaf);
}

TEST_CASE("zgrab2: a failed grab is nothing to import, bad lines are errors", "[certs][dataset]") {
  auto timeout = parse_zgrab2(zgrab2_tls_line(
      R"({"status":"io-timeout","protocol":"tls","result":{},"timestamp":"2024-05-15T00:00:00Z",)"
      R"("error":"read tcp: i/o timeout"})"));
  CHECK(timeout.error.empty());
  CHECK(timeout.records.empty());
  const auto& p = pair();
  std::string good =
      zgrab2_tls_line(R"({"status":"success","protocol":"tls","result":{"handshake_log":)" +
                      handshake(base64_encode(p.leaf), base64_encode(p.ca)) +
                      R"(},"timestamp":"2024-05-15T00:00:00Z"})");
  CHECK_FALSE(parse_zgrab2(good.substr(0, good.size() / 2)).error.empty());  // truncated
  CHECK_FALSE(parse_zgrab2("").error.empty());
  CHECK_FALSE(parse_zgrab2("[1,2]").error.empty());
  CHECK_FALSE(parse_zgrab2(R"({"ip":"192.0.2.1"})").error.empty());
  auto bad_b64 = parse_zgrab2(zgrab2_tls_line(R"({"status":"success","result":{"handshake_log":)" +
                                              handshake("%%%notbase64", "") +
                                              R"(},"timestamp":"2024-05-15T00:00:00Z"})"));
  CHECK_THAT(bad_b64.error, Catch::Contains("tls: ") && Catch::Contains("base64"));
  CHECK(bad_b64.records.empty());
  auto bad_time = parse_zgrab2(zgrab2_tls_line(
      R"({"status":"success","result":{"handshake_log":)" +
      handshake(base64_encode(p.leaf), base64_encode(p.ca)) + R"(},"timestamp":"yesterday"})"));
  CHECK_THAT(bad_time.error, Catch::Contains("timestamp"));
  auto bad_port = parse_zgrab2(
      zgrab2_tls_line(R"({"status":"success","port":70000,"result":{"handshake_log":)" +
                      handshake(base64_encode(p.leaf), base64_encode(p.ca)) + R"(}})"));
  CHECK_THAT(bad_port.error, Catch::Contains("port"));
  auto by_name = parse_zgrab2(
      R"({"domain":"a.example","data":{"tls":{"status":"success","result":{"handshake_log":)" +
      handshake(base64_encode(p.leaf), base64_encode(p.ca)) + R"(}}}})");
  CHECK_THAT(by_name.error, Catch::Contains("ip"));
}

TEST_CASE("censys: host records name leaves by SHA-256, certificate records carry the DER",
          "[certs][dataset]") {
  const auto& p = pair();
  const std::string fp = fingerprint(p.leaf);
  std::string host =
      R"({"ip":"198.51.100.7","services":[{"port":22,"service_name":"SSH","transport_protocol":)"
      R"("TCP","observed_at":"2024-10-27T14:44:01.811676766Z"},{"port":8883,"service_name":"MQTT",)"
      R"("transport_protocol":"TCP","observed_at":"2024-10-27T14:44:01.811676766Z","tls":)"
      R"({"version_selected":"TLSv1_3","certificates":{"_encoding":{"leaf_fp_sha_256":)"
      R"("DISPLAY_HEX"},"leaf_fp_sha_256":")" +
      fp + R"(","chain_fps_sha_256":["aa"]}}}],"last_updated_at":"2024-10-28T00:00:00Z"})";
  auto h = parse_censys(host);
  REQUIRE(h.error.empty());
  REQUIRE(h.records.size() == 1);  // SSH has no certificate
  CHECK(h.records[0].ip == "198.51.100.7");
  CHECK(h.records[0].port == 8883);
  CHECK(h.records[0].time == 1730040241);
  CHECK(h.records[0].leaf_ref == fp);
  CHECK(h.records[0].chain.empty());
  // The Platform wraps the host as a resource and names the leaf as "cert".
  auto platform = parse_censys(R"({"resource":{"ip":"198.51.100.8","services":[{"port":443,)"
                               R"("cert":{"fingerprint_sha256":")" +
                               fp + R"("}}]}})");
  REQUIRE(platform.records.size() == 1);
  CHECK(platform.records[0].time == 0);  // no time: the importer's --date
  auto cert = parse_censys(R"({"fingerprint_sha256":")" + fp + R"(","raw":")" +
                           base64_encode(p.leaf) + R"(","parsed":{"names":["x"]}})");
  REQUIRE(cert.error.empty());
  REQUIRE(cert.certificate);
  CHECK(cert.certificate->ref == fp);
  CHECK(cert.certificate->der == p.leaf);
}

TEST_CASE("censys: truncated and malformed records are errors", "[certs][dataset]") {
  const auto& p = pair();
  std::string cert = R"({"fingerprint_sha256":")" + fingerprint(p.ca) + R"(","raw":")" +
                     base64_encode(p.leaf) + R"("})";
  CHECK_THAT(parse_censys(cert).error, Catch::Contains("fingerprint_sha256"));
  CHECK_FALSE(parse_censys(cert.substr(0, 40)).error.empty());
  CHECK_FALSE(parse_censys(R"({"ip":"198.51.100.7"})").error.empty());
  CHECK_FALSE(parse_censys(R"({"hello":1})").error.empty());
  CHECK_FALSE(parse_censys(R"({"ip":"1.2.3.4","services":[{"port":0,"certificate":")" +
                           std::string(64, 'a') + R"("}]})")
                  .error.empty());
  auto short_fp = parse_censys(R"({"ip":"1.2.3.4","services":[{"port":443,"certificate":"ab"}]})");
  CHECK(short_fp.records.empty());
  CHECK_FALSE(short_fp.error.empty());
}

TEST_CASE("sonar: certs and hosts lines, truncated lines are errors", "[certs][dataset]") {
  const auto& p = pair();
  const std::string sha1 = "0123456789ABCDEF0123456789abcdef01234567";
  auto cert = parse_sonar(sha1 + "," + base64_encode(p.leaf) + "\r");
  REQUIRE(cert.error.empty());
  REQUIRE(cert.certificate);
  CHECK(cert.certificate->ref == "0123456789abcdef0123456789abcdef01234567");
  CHECK(cert.certificate->der == p.leaf);
  auto host = parse_sonar("192.0.2.44," + sha1);
  REQUIRE(host.records.size() == 1);
  CHECK(host.records[0].ip == "192.0.2.44");
  CHECK(host.records[0].leaf_ref == "0123456789abcdef0123456789abcdef01234567");
  CHECK(host.records[0].port == 0);
  CHECK_FALSE(parse_sonar("192.0.2.44," + sha1.substr(0, 20)).error.empty());  // truncated
  CHECK_FALSE(parse_sonar(sha1 + ",MIIB%%%").error.empty());
  CHECK_FALSE(parse_sonar("").error.empty());
  CHECK_FALSE(parse_sonar("a,b,c").error.empty());
}

TEST_CASE("sonar file names give the day and the port", "[certs][dataset]") {
  auto h = sonar_file_hints("/data/20170102_ssl_8883_hosts.gz");
  CHECK(h.time == 1483315200);
  CHECK(h.port == 8883);
  auto plain = sonar_file_hints("20160105_ssl_certs.gz");
  CHECK(plain.port == 443);
  auto dashed = sonar_file_hints("2019-05-08-1557280840-ssl_5671_hosts.gz");
  CHECK(dashed.time == 1557273600);
  CHECK(dashed.port == 5671);
  auto none = sonar_file_hints("hosts.csv");
  CHECK(none.time == 0);
  CHECK(none.port == 0);
  CHECK(sonar_file_hints("20170231_ssl_hosts.gz").time == 0);  // no such day
}
