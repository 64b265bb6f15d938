// Certificates made in the test with OpenSSL, for the [certs] tests.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "certs/certificate.h"
#include "lib/handle.h"

namespace certs_test {

using KeyPtr = iotmap::Handle<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = iotmap::Handle<X509, X509_free>;

// Keys are slow to make: one of each kind per test run.
inline EVP_PKEY* rsa_key(size_t bits = 2048) {
  static KeyPtr k2048(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048}));
  static KeyPtr k1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  EVP_PKEY* k = bits == 1024 ? k1024.get() : k2048.get();
  if (k == nullptr) throw std::runtime_error("RSA key generation failed");
  return k;
}
inline EVP_PKEY* ec_key() {
  static KeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!k) throw std::runtime_error("EC key generation failed");
  return k.get();
}
inline EVP_PKEY* ec384_key() {
  static KeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  if (!k) throw std::runtime_error("EC key generation failed");
  return k.get();
}
inline EVP_PKEY* ed25519_key() {
  static KeyPtr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!k) throw std::runtime_error("ED25519 key generation failed");
  return k.get();
}

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Spec {
  Fields subject = {{"CN", "test.example.com"}};
  std::string sans;  // OpenSSL syntax: "DNS:a.example.com,IP:192.0.2.1"
  int64_t not_before = 1700000000;
  int64_t not_after = 1700000000 + 365 * 86400;
  long serial = 1;
  bool ca = false;
  EVP_PKEY* key = nullptr;  // the certificate's key; rsa_key() when null
};

inline void add_fields(X509_NAME* name, const Fields& fields) {
  for (const auto& [k, v] : fields)
    if (X509_NAME_add_entry_by_txt(name, k.c_str(), MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1,
                                   0) != 1)
      throw std::runtime_error("cannot add " + k);
}

inline void add_ext(X509* x, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, x, nullptr, nullptr, 0);
  iotmap::Handle<X509_EXTENSION, X509_EXTENSION_free> ext(
      X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(x, ext.get(), -1) != 1) throw std::runtime_error("cannot add " + value);
}

// Issued by (issuer, issuer_key), or self-signed when issuer is null (then signed with
// sign_key when given: same names, other key).
inline X509Ptr make_x509(const Spec& s, X509* issuer = nullptr, EVP_PKEY* issuer_key = nullptr,
                         EVP_PKEY* sign_key = nullptr) {
  EVP_PKEY* key = s.key != nullptr ? s.key : rsa_key();
  X509Ptr x(X509_new());
  if (!x) throw std::runtime_error("X509_new");
  X509_set_version(x.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), s.serial);
  ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(s.not_before));
  ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(s.not_after));
  X509_set_pubkey(x.get(), key);
  add_fields(X509_get_subject_name(x.get()), s.subject);
  X509_set_issuer_name(
      x.get(), issuer != nullptr ? X509_get_subject_name(issuer) : X509_get_subject_name(x.get()));
  X509* ext_issuer = issuer != nullptr ? issuer : x.get();
  add_ext(x.get(), ext_issuer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) add_ext(x.get(), ext_issuer, NID_authority_key_identifier, "keyid:always");
  if (s.ca) add_ext(x.get(), ext_issuer, NID_basic_constraints, "critical,CA:TRUE");
  if (!s.sans.empty()) add_ext(x.get(), ext_issuer, NID_subject_alt_name, s.sans);
  EVP_PKEY* signer = issuer_key != nullptr ? issuer_key : sign_key != nullptr ? sign_key : key;
  const EVP_MD* md = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  if (X509_sign(x.get(), signer, md) <= 0) throw std::runtime_error("X509_sign");
  return x;
}

inline std::string der_of(X509* x) {
  int n = i2d_X509(x, nullptr);
  if (n <= 0) throw std::runtime_error("i2d_X509");
  std::string out(static_cast<size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  i2d_X509(x, &p);
  return out;
}

inline std::string make_der(const Spec& s, X509* issuer = nullptr, EVP_PKEY* issuer_key = nullptr) {
  return der_of(make_x509(s, issuer, issuer_key).get());
}

inline iotmap::certs::Certificate parsed(const std::string& der) {
  auto r = iotmap::certs::parse_der(der);
  if (auto* e = std::get_if<iotmap::certs::ParseError>(&r)) throw std::runtime_error(e->message);
  return std::get<iotmap::certs::Certificate>(std::move(r));
}

inline iotmap::certs::Certificate make_cert(const Spec& s) { return parsed(make_der(s)); }

inline std::string pem_of(const std::string& der) {
  std::string b64(4 * ((der.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                          reinterpret_cast<const unsigned char*>(der.data()),
                          static_cast<int>(der.size()));
  b64.resize(static_cast<size_t>(n));
  std::string out = "-----BEGIN CERTIFICATE-----\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + "-----END CERTIFICATE-----\n";
}

}  // namespace certs_test
