// X.509 certificates as plain values: parsed once with OpenSSL, then read without it.
// Parsing never throws and never crashes on malformed input (certs/fuzz_certificate.cpp);
// what failed comes back as a ParseError. See docs/certificates.md.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace iotmap::certs {

struct Certificate {
  std::string sha256;  // lowercase hex of the SHA-256 of `der`: the certificate's identity
  std::string serial;  // lowercase hex of the serial number's bytes, "-" first when negative
  // One-line DNs in RFC 2253 form (most specific first, "CN=a,O=b,C=c"); UTF-8 is kept as is,
  // RFC 2253 special characters are escaped.
  std::string subject, issuer;
  // (short name, value) in the order the certificate lists them (usually C first), e.g.
  // ("O", "Acme"). Unknown attribute types are named by their dotted OID; a value that is not
  // valid in its declared string type is given as "#" and the hex of its bytes (as RFC 2253).
  std::vector<std::pair<std::string, std::string>> subject_fields, issuer_fields;
  std::vector<std::string> common_names;  // subject CN values, in order
  std::vector<std::string> dns_sans;      // subjectAltName dNSName values, as written
  std::vector<std::string> ip_sans;       // subjectAltName iPAddress values, as text
  int64_t not_before = 0, not_after = 0;  // unix seconds (UTC)
  std::string key_type;                   // RSA, RSA-PSS, EC, ED25519, ED448, DSA, ... or an OID
  int key_bits = 0;                       // 0 when the key could not be decoded
  std::string signature_algorithm;        // OpenSSL long name, e.g. sha256WithRSAEncryption
  // Issuer DN equals subject DN, any authority key identifier agrees with the certificate's own
  // subject key identifier, and the signature verifies with the certificate's own public key.
  bool self_signed = false;
  std::string der;  // the DER bytes
};

// What went wrong, for a person: "DER: trailing 3 bytes after the certificate",
// "PEM block 2 (line 31): invalid base64".
struct ParseError {
  std::string message;
};

template <typename T>
using Result = std::variant<T, ParseError>;

// Largest DER input accepted (certificates seen on the Internet are far smaller).
inline constexpr size_t kMaxDerBytes = 1 << 20;

// One DER-encoded certificate: the whole input, nothing after it.
Result<Certificate> parse_der(std::span<const uint8_t> der);
Result<Certificate> parse_der(std::string_view der);
// Every CERTIFICATE block of a PEM bundle, in order; other blocks (keys, parameters) and text
// between blocks are skipped. An error when a certificate block is malformed or when there is none.
Result<std::vector<Certificate>> parse_pem(std::string_view text);

// Strict base64 (RFC 4648): whitespace ignored, padding only at the end; nullopt otherwise.
std::optional<std::string> base64_decode(std::string_view in);
std::string base64_encode(std::string_view in);

// Lowercase hex of bytes.
std::string hex(std::string_view bytes);
// Lowercase hex SHA-256 of DER bytes: Certificate::sha256 without parsing, so that a caller can
// skip certificates it has already parsed.
std::string fingerprint(std::string_view der);

// For JSON output: every field; `der` as base64.
void to_json(nlohmann::json& j, const Certificate& c);

}  // namespace iotmap::certs
