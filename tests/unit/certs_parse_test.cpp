// Parsing: every field of certificates made here with OpenSSL, and malformed input.
#include <openssl/evp.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "certs/certificate.h"
#include "certs_fixtures.h"

using namespace iotmap::certs;
using namespace certs_test;

namespace {

std::string sha256_hex(const std::string& der) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(der.data(), der.size(), md, &n, EVP_sha256(), nullptr);
  return hex({reinterpret_cast<const char*>(md), n});
}

std::string error_of(const Result<Certificate>& r) {
  const auto* e = std::get_if<ParseError>(&r);
  return e != nullptr ? e->message : "";
}

std::string error_of(const Result<std::vector<Certificate>>& r) {
  const auto* e = std::get_if<ParseError>(&r);
  return e != nullptr ? e->message : "";
}

}  // namespace

TEST_CASE("an RSA self-signed certificate: every field", "[certs]") {
  Spec s;
  s.subject = {{"C", "US"}, {"O", "Acme"}, {"OU", "Devices"}, {"CN", "device.example.com"}};
  s.sans = "DNS:device.example.com,DNS:*.api.example.com,IP:192.0.2.7,IP:2001:db8::1";
  s.serial = 0x1234;
  s.not_before = 1700000000;
  s.not_after = 1731536000;
  std::string der = make_der(s);
  Certificate c = parsed(der);

  CHECK(c.der == der);
  CHECK(c.sha256 == sha256_hex(der));
  CHECK(fingerprint(der) == c.sha256);
  CHECK(c.sha256.size() == 64);
  CHECK(c.serial == "1234");
  CHECK(c.subject == "CN=device.example.com,OU=Devices,O=Acme,C=US");
  CHECK(c.issuer == c.subject);
  CHECK(c.subject_fields ==
        Fields{{"C", "US"}, {"O", "Acme"}, {"OU", "Devices"}, {"CN", "device.example.com"}});
  CHECK(c.issuer_fields == c.subject_fields);
  CHECK(c.common_names == std::vector<std::string>{"device.example.com"});
  CHECK(c.dns_sans == std::vector<std::string>{"device.example.com", "*.api.example.com"});
  CHECK(c.ip_sans == std::vector<std::string>{"192.0.2.7", "2001:db8::1"});
  CHECK(c.not_before == 1700000000);
  CHECK(c.not_after == 1731536000);
  CHECK(c.key_type == "RSA");
  CHECK(c.key_bits == 2048);
  CHECK(c.signature_algorithm == "sha256WithRSAEncryption");
  CHECK(c.self_signed);
}

TEST_CASE("an EC certificate issued by an RSA CA", "[certs]") {
  Spec ca_spec;
  ca_spec.subject = {{"C", "DE"}, {"O", "Lab CA"}, {"CN", "Lab Root"}};
  ca_spec.ca = true;
  X509Ptr ca = make_x509(ca_spec);
  Spec leaf;
  leaf.subject = {{"CN", "mqtt.example.net"}};
  leaf.sans = "DNS:mqtt.example.net";
  leaf.key = ec_key();
  leaf.serial = 77;
  Certificate c = parsed(make_der(leaf, ca.get(), rsa_key()));
  Certificate root = parsed(der_of(ca.get()));

  CHECK(c.issuer == "CN=Lab Root,O=Lab CA,C=DE");
  CHECK(c.issuer_fields == Fields{{"C", "DE"}, {"O", "Lab CA"}, {"CN", "Lab Root"}});
  CHECK(c.subject == "CN=mqtt.example.net");
  CHECK(c.key_type == "EC");
  CHECK(c.key_bits == 256);
  CHECK(c.signature_algorithm == "sha256WithRSAEncryption");
  CHECK_FALSE(c.self_signed);
  CHECK(c.serial == "4d");
  CHECK(root.self_signed);
  CHECK(root.sha256 != c.sha256);
}

TEST_CASE("key types and sizes: EC P-384, RSA 1024, Ed25519", "[certs]") {
  Spec s;
  s.key = ec384_key();
  Certificate ec = make_cert(s);
  CHECK(ec.key_type == "EC");
  CHECK(ec.key_bits == 384);
  CHECK(ec.signature_algorithm == "ecdsa-with-SHA256");
  CHECK(ec.self_signed);

  s.key = rsa_key(1024);
  Certificate rsa = make_cert(s);
  CHECK(rsa.key_type == "RSA");
  CHECK(rsa.key_bits == 1024);

  s.key = ed25519_key();
  Certificate ed = make_cert(s);
  CHECK(ed.key_type == "ED25519");
  CHECK(ed.key_bits == 256);  // what OpenSSL 3 reports for Ed25519
  CHECK(ed.signature_algorithm == "ED25519");
  CHECK(ed.self_signed);
}

TEST_CASE("self-signed means the certificate's own key verifies it, not just equal names",
          "[certs]") {
  Spec s;
  s.subject = {{"O", "Same"}, {"CN", "same"}};
  // Issuer DN equals subject DN, but another key signed it.
  X509Ptr x = make_x509(s, nullptr, nullptr, ec_key());
  Certificate c = parsed(der_of(x.get()));
  CHECK(c.issuer == c.subject);
  CHECK_FALSE(c.self_signed);
}

TEST_CASE("unicode, escaped and unknown DN fields", "[certs]") {
  Spec s;
  s.subject = {{"C", "FR"},
               {"O", "Société Générale ✓"},
               {"OU", "Acme, Inc."},
               {"OU", "=plus+\"quote\""},
               {"1.2.3.4.5", "custom"},
               {"CN", "日本語.example"}};
  Certificate c = make_cert(s);
  CHECK(c.subject_fields == Fields{{"C", "FR"},
                                   {"O", "Société Générale ✓"},
                                   {"OU", "Acme, Inc."},
                                   {"OU", "=plus+\"quote\""},
                                   {"1.2.3.4.5", "custom"},
                                   {"CN", "日本語.example"}});
  CHECK(c.common_names == std::vector<std::string>{"日本語.example"});
  CHECK(c.subject ==
        "CN=日本語.example,1.2.3.4.5=#0C06637573746F6D,OU==plus\\+\\\"quote\\\",OU=Acme\\, Inc.,"
        "O=Société Générale ✓,C=FR");
}

TEST_CASE("a BMPString value comes out as UTF-8, and invalid UTF-8 in a DN is an error",
          "[certs]") {
  X509Ptr x = make_x509(Spec{});
  X509_NAME* name = X509_get_subject_name(x.get());
  const unsigned char bmp[] = {0x00, 'B', 0x00, 0xe9};  // "Bé" in UCS-2
  REQUIRE(X509_NAME_add_entry_by_txt(name, "O", V_ASN1_BMPSTRING, bmp, sizeof bmp, -1, 0) == 1);
  X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("MARKER"), -1, -1, 0);
  X509_sign(x.get(), rsa_key(), EVP_sha256());
  std::string der = der_of(x.get());
  Certificate c = parsed(der);
  REQUIRE(c.subject_fields.size() == 3);
  CHECK(c.subject_fields[1] == std::pair<std::string, std::string>{"O", "Bé"});
  CHECK(c.subject == "OU=MARKER,O=Bé,CN=test.example.com");
  CHECK_NOTHROW(nlohmann::json(c).dump());

  // OpenSSL checks DN strings while decoding: a UTF8String that is not UTF-8 fails the parse.
  der.replace(der.find("MARKER"), 6,
              "MA\xff\xfe"
              "ER");
  CHECK(error_of(parse_der(der)) == "DER: not a certificate: invalid utf8string");
}

TEST_CASE("validity before 1970 and after 2049 (GeneralizedTime)", "[certs]") {
  Spec s;
  s.not_before = -86400;          // 1969-12-31
  s.not_after = 4102444800 + 59;  // 2100-01-01 00:00:59
  Certificate c = make_cert(s);
  CHECK(c.not_before == -86400);
  CHECK(c.not_after == 4102444859);
}

TEST_CASE("malformed DER is a ParseError that names the problem", "[certs]") {
  std::string der = make_der(Spec{});

  CHECK(error_of(parse_der(std::string_view{})) == "DER: empty input");
  CHECK(error_of(parse_der(der.substr(0, der.size() - 1))).starts_with("DER: not a certificate: "));
  CHECK(error_of(parse_der(der + "xyz")) == "DER: trailing 3 bytes after the certificate");
  CHECK(error_of(parse_der(std::string("\x30\x84\xff\xff\xff\xff\x30\x00", 8)))
            .starts_with("DER: not a certificate: "));
  CHECK(error_of(parse_der(std::string("\x30\x80\x00\x00", 4)))
            .starts_with("DER: not a certificate"));
  CHECK(error_of(parse_der(std::string(kMaxDerBytes + 1, '\x30'))).find("limit") !=
        std::string::npos);
  CHECK(error_of(parse_der(std::string(1, '\0'))).starts_with("DER: not a certificate: "));
}

TEST_CASE("every truncation and every byte flip of a certificate: an error or a certificate",
          "[certs]") {
  Spec s;
  s.sans = "DNS:a.example.com,IP:192.0.2.1";
  std::string der = make_der(s);
  for (size_t n = 0; n < der.size(); ++n) {
    auto r = parse_der(der.substr(0, n));
    REQUIRE(std::holds_alternative<ParseError>(r));
    CHECK_FALSE(std::get<ParseError>(r).message.empty());
  }
  std::mt19937 rng(42);
  for (size_t i = 0; i < der.size(); ++i) {
    std::string m = der;
    m[i] = static_cast<char>(m[i] ^ static_cast<char>(1 + rng() % 255));
    auto r = parse_der(m);
    if (auto* c = std::get_if<Certificate>(&r)) CHECK(c->der == m);
  }
  for (int i = 0; i < 200; ++i) {
    std::string junk(1 + rng() % 600, '\0');
    for (char& ch : junk) ch = static_cast<char>(rng());
    if (i % 2 == 0) junk[0] = '\x30';
    auto r = parse_der(junk);
    CHECK(std::holds_alternative<ParseError>(r));
  }
}

TEST_CASE("a malformed subjectAltName extension is an error", "[certs]") {
  X509Ptr x = make_x509(Spec{});
  iotmap::Handle<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> junk(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(junk.get(), reinterpret_cast<const unsigned char*>("\x30\x05\x82\x01"), 4);
  iotmap::Handle<X509_EXTENSION, X509_EXTENSION_free> ext(
      X509_EXTENSION_create_by_NID(nullptr, NID_subject_alt_name, 0, junk.get()));
  X509_add_ext(x.get(), ext.get(), -1);
  X509_sign(x.get(), rsa_key(), EVP_sha256());
  CHECK(error_of(parse_der(der_of(x.get()))).starts_with("subjectAltName: malformed extension"));
}

TEST_CASE("PEM bundles", "[certs]") {
  Spec a, b;
  a.subject = {{"CN", "a.example.com"}};
  b.subject = {{"CN", "b.example.com"}};
  b.key = ec_key();
  std::string da = make_der(a), db = make_der(b);
  std::string bundle = "subject=a\n" + pem_of(da) +
                       "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" +
                       pem_of(db);

  auto r = parse_pem(bundle);
  REQUIRE(error_of(r).empty());
  const auto& certs = std::get<std::vector<Certificate>>(r);
  REQUIRE(certs.size() == 2);
  CHECK(certs[0].der == da);
  CHECK(certs[1].der == db);
  CHECK(certs[1].key_type == "EC");

  SECTION("CRLF line ends and no final newline") {
    std::string crlf;
    for (char ch : pem_of(da)) crlf += ch == '\n' ? std::string("\r\n") : std::string(1, ch);
    crlf.resize(crlf.size() - 2);
    auto r2 = parse_pem(crlf);
    REQUIRE(error_of(r2).empty());
    CHECK(std::get<std::vector<Certificate>>(r2)[0].der == da);
  }
  SECTION("errors name the block and its line") {
    std::string bad = pem_of(da) + "-----BEGIN CERTIFICATE-----\nAB!D\n-----END CERTIFICATE-----\n";
    std::string first = pem_of(da);
    auto second_line = std::count(first.begin(), first.end(), '\n') + 1;
    CHECK(error_of(parse_pem(bad)) ==
          "PEM block 2 (line " + std::to_string(second_line) + "): invalid base64");
    CHECK(error_of(parse_pem("-----BEGIN CERTIFICATE-----\nMIIB\n")) ==
          "PEM block 1 (line 1): no END CERTIFICATE line");
    CHECK(error_of(parse_pem("-----BEGIN CERTIFICATE-----\n-----END X509 CRL-----\n")) ==
          "PEM block 1 (line 1): END X509 CRL closes BEGIN CERTIFICATE");
    CHECK(error_of(parse_pem("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"))
              .starts_with("PEM block 1 (line 1): DER: not a certificate"));
    CHECK(error_of(parse_pem("hello\n")) == "PEM: no CERTIFICATE block");
    CHECK(error_of(parse_pem("")) == "PEM: no CERTIFICATE block");
    CHECK(error_of(parse_pem("-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n")) ==
          "PEM block 1 (line 1): BEGIN inside a block");
  }
}

TEST_CASE("JSON form of a certificate", "[certs]") {
  Spec s;
  s.subject = {{"O", "Acme"}, {"CN", "x.example.com"}};
  s.sans = "IP:192.0.2.1";
  Certificate c = make_cert(s);
  nlohmann::json j = c;
  CHECK(j["sha256"] == c.sha256);
  CHECK(j["subject_fields"] == nlohmann::json::array({{"O", "Acme"}, {"CN", "x.example.com"}}));
  CHECK(j["ip_sans"] == nlohmann::json::array({"192.0.2.1"}));
  CHECK(j["self_signed"] == true);
  std::string b64 = j["der"];
  auto back = parse_pem("-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n");
  REQUIRE(error_of(back).empty());
  CHECK(std::get<std::vector<Certificate>>(back)[0].der == c.der);
}
