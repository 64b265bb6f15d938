// Device certificates (certs/devices.h): the manufacturer rule reduced to what the store keeps,
// with who signed the certificate.
#include <catch2/catch.hpp>

#include "certs/devices.h"
#include "certs_fixtures.h"
#include "scanner/record.h"

using namespace iotmap::certs;
using namespace certs_test;

TEST_CASE("a camera's own self-signed certificate is a device certificate signed by itself",
          "[certs][devices]") {
  Spec s;
  s.subject = {{"C", "CN"}, {"O", "Hikvision"}, {"CN", "192.168.1.64"}};
  auto d = device_certificate(make_cert(s));
  REQUIRE(d);
  CHECK(d->manufacturer == "Hikvision");
  CHECK(d->product.empty());
  CHECK(d->signer == "self");
}

TEST_CASE("a certificate the maker's CA issued is a device certificate signed by the maker CA",
          "[certs][devices]") {
  Spec ca;
  ca.subject = {{"O", "Dahua Technology Co., Ltd"}, {"CN", "Dahua Product CA"}};
  ca.key = ec_key();
  ca.ca = true;
  X509Ptr issuer = make_x509(ca);
  Spec leaf;
  leaf.subject = {{"O", "Dahua Technology Co., Ltd"}, {"CN", "3J0123PAZ00001"}};
  auto d = device_certificate(parsed(make_der(leaf, issuer.get(), ec_key())));
  REQUIRE(d);
  CHECK(d->manufacturer == "Dahua");
  CHECK(d->signer == "maker_ca");
}

TEST_CASE("a look-alike maker name, a public domain CN or a public CA: no device",
          "[certs][devices]") {
  Spec lookalike;
  lookalike.subject = {{"O", "Hikvisionary Ltd"}, {"CN", "camera"}};
  CHECK_FALSE(device_certificate(make_cert(lookalike)));
  Spec web;  // the maker's own web site, not a device
  web.subject = {{"O", "Hikvision"}, {"CN", "www.hikvision-shop.com"}};
  CHECK_FALSE(device_certificate(make_cert(web)));
  Spec ca;
  ca.subject = {{"O", "Let's Encrypt"}, {"CN", "R3"}};
  ca.ca = true;
  X509Ptr issuer = make_x509(ca);
  Spec leaf;
  leaf.subject = {{"O", "Hikvision"}, {"CN", "nvr"}};
  CHECK_FALSE(device_certificate(parsed(make_der(leaf, issuer.get(), rsa_key()))));
}

TEST_CASE("a scan's certificate book runs the rule once per leaf and gives the device row",
          "[certs][devices][scanner]") {
  using namespace iotmap;
  Spec camera;
  camera.subject = {{"O", "Hikvision"}, {"CN", "DS-2CD2043G0"}};
  Spec other;
  other.subject = {{"O", "Example"}, {"CN", "mqtt.example.org"}};
  const std::string cam = make_der(camera), web = make_der(other);
  scanner::CertificateBook book(nullptr);
  auto shas = book.add_chain({cam}, 1772366400);
  db::TlsObservationRow o;
  o.run_id = 9;
  o.ip = "198.51.100.20";
  o.port = 443;
  o.observed_at = 1772366400 + 3600;
  o.leaf_sha256 = shas.at(0);
  auto row = scanner::device_row(o, book, "scan");
  REQUIRE(row);
  CHECK(row->date == "2026-03-01");
  CHECK(row->manufacturer == "Hikvision");
  CHECK(row->signer == "self");
  CHECK(row->sha256 == shas[0]);
  CHECK(row->run_id == 9);
  CHECK(row->source == "scan");
  o.leaf_sha256 = book.add_chain({web}, 1772366400).at(0);
  CHECK_FALSE(scanner::device_row(o, book, "scan"));
  o.leaf_sha256.clear();  // no certificate arrived
  CHECK_FALSE(scanner::device_row(o, book, "scan"));
}
