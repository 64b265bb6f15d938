// Certificate parsing with OpenSSL. Every OpenSSL object is held by a Handle; every OpenSSL
// error is taken off the thread's error queue before returning, so that a failure here never
// shows up as a stale error in the scanner's next TLS call.
#include "certs/certificate.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>

#include "lib/date.h"
#include "lib/handle.h"
#include "lib/net.h"

namespace iotmap::certs {
namespace {

void openssl_free(void* p) { OPENSSL_free(p); }
using X509Ptr = Handle<X509, X509_free>;
using BioPtr = Handle<BIO, BIO_free_all>;
using GeneralNamesPtr = Handle<GENERAL_NAMES, GENERAL_NAMES_free>;
using OpenSslBytes = Handle<unsigned char, openssl_free>;

// Clears the thread's OpenSSL error queue when the parse ends, whichever way it ends.
struct ErrorQueueGuard {
  ErrorQueueGuard() { ERR_clear_error(); }
  ~ErrorQueueGuard() { ERR_clear_error(); }
  ErrorQueueGuard(const ErrorQueueGuard&) = delete;
  ErrorQueueGuard& operator=(const ErrorQueueGuard&) = delete;
};

// The first (root-cause) error on the queue, as OpenSSL words it.
std::string openssl_reason() {
  unsigned long e = ERR_peek_error();
  if (e == 0) return "no detail from OpenSSL";
  const char* reason = ERR_reason_error_string(e);
  return reason != nullptr ? reason : "OpenSSL error " + std::to_string(ERR_GET_REASON(e));
}

std::string_view bytes_of(const ASN1_STRING* s) {
  if (s == nullptr) return {};
  int n = ASN1_STRING_length(s);
  const unsigned char* d = ASN1_STRING_get0_data(s);
  if (d == nullptr || n <= 0) return {};
  return {reinterpret_cast<const char*>(d), static_cast<size_t>(n)};
}

// Short name for a known OID ("CN", "O"), else its dotted form.
std::string object_name(const ASN1_OBJECT* o, bool long_name = false) {
  if (o == nullptr) return "?";
  int nid = OBJ_obj2nid(o);
  if (nid != NID_undef) {
    const char* name = long_name ? OBJ_nid2ln(nid) : OBJ_nid2sn(nid);
    if (name != nullptr) return name;
  }
  int n = OBJ_obj2txt(nullptr, 0, o, 1);
  if (n <= 0) return "?";
  std::string text(static_cast<size_t>(n) + 1, '\0');
  OBJ_obj2txt(text.data(), n + 1, o, 1);
  text.resize(static_cast<size_t>(n));
  return text;
}

std::string string_value(const ASN1_STRING* s) {
  unsigned char* out = nullptr;
  int n = ASN1_STRING_to_UTF8(&out, s);
  OpenSslBytes owned(out);
  if (n < 0 || (n > 0 && out == nullptr)) return "#" + hex(bytes_of(s));
  return {reinterpret_cast<const char*>(out), static_cast<size_t>(n)};
}

std::vector<std::pair<std::string, std::string>> name_fields(const X509_NAME* name) {
  std::vector<std::pair<std::string, std::string>> out;
  int n = X509_NAME_entry_count(name);
  for (int i = 0; i < n; ++i) {
    const X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    if (e == nullptr) continue;
    out.emplace_back(object_name(X509_NAME_ENTRY_get_object(e)),
                     string_value(X509_NAME_ENTRY_get_data(e)));
  }
  return out;
}

std::optional<std::string> print_name(const X509_NAME* name, unsigned long flags) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) return std::nullopt;
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  if (n < 0 || (n > 0 && data == nullptr)) return std::nullopt;
  return std::string(data, static_cast<size_t>(n));
}

// RFC 2253 with UTF-8 kept readable; a value OpenSSL cannot convert to UTF-8 is given in hex.
std::string one_line(const X509_NAME* name) {
  if (auto s = print_name(name, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)) return *s;
  if (auto s =
          print_name(name, (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_UTF8_CONVERT) | ASN1_STRFLGS_DUMP_ALL))
    return *s;
  return {};
}

std::optional<int64_t> unix_seconds(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  const auto day = civil_day(tm.tm_year + 1900, unsigned(tm.tm_mon + 1), unsigned(tm.tm_mday));
  if (!day) return std::nullopt;
  return int64_t{*day} * 86400 + int64_t{tm.tm_hour} * 3600 + int64_t{tm.tm_min} * 60 + tm.tm_sec;
}

std::string key_type_name(const ASN1_OBJECT* alg) {
  switch (OBJ_obj2nid(alg)) {
    case NID_rsaEncryption:
      return "RSA";
    case NID_rsassaPss:
      return "RSA-PSS";
    case NID_X9_62_id_ecPublicKey:
      return "EC";
    case NID_ED25519:
      return "ED25519";
    case NID_ED448:
      return "ED448";
    case NID_X25519:
      return "X25519";
    case NID_X448:
      return "X448";
    case NID_dsa:
      return "DSA";
    case NID_dhKeyAgreement:
    case NID_dhpublicnumber:
      return "DH";
    case NID_sm2:
      return "SM2";
    default:
      return object_name(alg);
  }
}

// Adds the dNSName and iPAddress entries of one subjectAltName extension.
bool add_sans(X509_EXTENSION* ext, Certificate& c) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
  if (!names) return false;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    if (g == nullptr) continue;
    if (g->type == GEN_DNS) {
      // Converted like DN values, so that every string field is valid UTF-8 (JSON-safe).
      c.dns_sans.push_back(string_value(g->d.dNSName));
    } else if (g->type == GEN_IPADD) {
      std::string_view b = bytes_of(g->d.iPAddress);
      // Other lengths (address and mask, as in name constraints) are not addresses: skipped.
      if (b.size() != 4 && b.size() != 16) continue;
      IpAddress ip;
      ip.v6 = b.size() == 16;
      std::memcpy(ip.bytes.data(), b.data(), b.size());
      c.ip_sans.push_back(ip.str());
    }
  }
  return true;
}

Result<Certificate> fail(std::string message) { return ParseError{std::move(message)}; }

// Parses the certificate at the start of `der`; `trailing_ok` accepts bytes after it (the
// auxiliary trust data of a TRUSTED CERTIFICATE PEM block).
Result<Certificate> parse_prefix(std::span<const uint8_t> der, bool trailing_ok) {
  ErrorQueueGuard guard;
  if (der.empty()) return fail("DER: empty input");
  if (der.size() > kMaxDerBytes)
    return fail("DER: " + std::to_string(der.size()) + " bytes is more than the limit of " +
                std::to_string(kMaxDerBytes));
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) return fail("DER: not a certificate: " + openssl_reason());
  auto used = static_cast<size_t>(p - der.data());
  if (used > der.size()) return fail("DER: the decoder read past the input");
  if (used < der.size() && !trailing_ok)
    return fail("DER: trailing " + std::to_string(der.size() - used) +
                " bytes after the certificate");

  Certificate c;
  c.der.assign(reinterpret_cast<const char*>(der.data()), used);
  c.sha256 = fingerprint(c.der);
  if (c.sha256.empty()) return fail("SHA-256: " + openssl_reason());

  const ASN1_INTEGER* serial = X509_get0_serialNumber(x.get());
  c.serial = (serial != nullptr && ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "") +
             hex(bytes_of(serial));

  const X509_NAME* subject = X509_get_subject_name(x.get());
  const X509_NAME* issuer = X509_get_issuer_name(x.get());
  if (subject == nullptr || issuer == nullptr) return fail("DN: missing subject or issuer");
  c.subject = one_line(subject);
  c.issuer = one_line(issuer);
  c.subject_fields = name_fields(subject);
  c.issuer_fields = name_fields(issuer);
  for (const auto& [k, v] : c.subject_fields)
    if (k == "CN") c.common_names.push_back(v);

  for (int pos = -1;;) {
    pos = X509_get_ext_by_NID(x.get(), NID_subject_alt_name, pos);
    if (pos < 0) break;
    if (!add_sans(X509_get_ext(x.get(), pos), c))
      return fail("subjectAltName: malformed extension: " + openssl_reason());
  }

  auto nb = unix_seconds(X509_get0_notBefore(x.get()));
  if (!nb) return fail("validity: notBefore is not a valid time");
  auto na = unix_seconds(X509_get0_notAfter(x.get()));
  if (!na) return fail("validity: notAfter is not a valid time");
  c.not_before = *nb;
  c.not_after = *na;

  ASN1_OBJECT* key_alg = nullptr;
  X509_PUBKEY* pub = X509_get_X509_PUBKEY(x.get());
  if (pub == nullptr || X509_PUBKEY_get0_param(&key_alg, nullptr, nullptr, nullptr, pub) != 1)
    return fail("public key: missing algorithm");
  c.key_type = key_type_name(key_alg);
  if (EVP_PKEY* key = X509_get0_pubkey(x.get()); key != nullptr)
    c.key_bits = std::max(0, EVP_PKEY_get_bits(key));

  const X509_ALGOR* sig_alg = nullptr;
  X509_get0_signature(nullptr, &sig_alg, x.get());
  const ASN1_OBJECT* sig_oid = nullptr;
  if (sig_alg != nullptr) X509_ALGOR_get0(&sig_oid, nullptr, nullptr, sig_alg);
  c.signature_algorithm = object_name(sig_oid, true);

  c.self_signed = X509_self_signed(x.get(), 1) == 1;
  return c;
}

}  // namespace

constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::optional<std::string> base64_decode(std::string_view in) {
  // A table instead of a search of kB64 per character, and the output reserved: imports decode
  // every certificate of a data set (bench/certs: 18% of the time went to the search and to
  // growing the string).
  static const auto value = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    for (size_t i = 0; i < kB64.size(); ++i) t[static_cast<unsigned char>(kB64[i])] = int8_t(i);
    return t;
  }();
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  size_t symbols = 0;
  for (char ch : in) {
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') continue;
    ++symbols;
    if (ch == '=') {
      ++pad;
      continue;
    }
    int v = value[static_cast<unsigned char>(ch)];
    if (v < 0 || pad > 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (symbols % 4 != 0 || pad > 2) return std::nullopt;
  return out;
}

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kB64[(n >> 6) & 63] : '=');
    out.push_back(i + 2 < in.size() ? kB64[n & 63] : '=');
  }
  return out;
}

namespace {

std::optional<std::string_view> pem_label(std::string_view line, std::string_view what) {
  constexpr std::string_view dashes = "-----";
  if (line.size() < 2 * dashes.size() + what.size() || !line.starts_with(dashes) ||
      !line.ends_with(dashes) || line.substr(dashes.size(), what.size()) != what)
    return std::nullopt;
  return line.substr(dashes.size() + what.size(), line.size() - 2 * dashes.size() - what.size());
}

}  // namespace

std::string hex(std::string_view bytes) {
  constexpr std::string_view digits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out.push_back(digits[b >> 4]);
    out.push_back(digits[b & 15]);
  }
  return out;
}

std::string fingerprint(std::string_view der) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int md_len = 0;
  if (EVP_Digest(der.data(), der.size(), md.data(), &md_len, EVP_sha256(), nullptr) != 1) return {};
  return hex({reinterpret_cast<const char*>(md.data()), md_len});
}

Result<Certificate> parse_der(std::span<const uint8_t> der) { return parse_prefix(der, false); }

Result<Certificate> parse_der(std::string_view der) {
  return parse_der(std::span(reinterpret_cast<const uint8_t*>(der.data()), der.size()));
}

Result<std::vector<Certificate>> parse_pem(std::string_view text) {
  std::vector<Certificate> out;
  int block = 0, line_no = 0, begin_line = 0;
  std::optional<std::string> label;  // set inside a block
  std::string body;
  auto where = [&] {
    return "PEM block " + std::to_string(block) + " (line " + std::to_string(begin_line) + "): ";
  };
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
      line.remove_suffix(1);
    if (!label) {
      if (auto l = pem_label(line, "BEGIN ")) {
        label = std::string(*l);
        body.clear();
        ++block;
        begin_line = line_no;
      }
      continue;
    }
    if (auto l = pem_label(line, "END ")) {
      if (*l != *label)
        return ParseError{where() + "END " + std::string(*l) + " closes BEGIN " + *label};
      bool trusted = *label == "TRUSTED CERTIFICATE";
      if (*label == "CERTIFICATE" || *label == "X509 CERTIFICATE" || trusted) {
        auto der = base64_decode(body);
        if (!der) return ParseError{where() + "invalid base64"};
        // Through a named reference: clang-analyzer took der->data() for a pointer into a freed
        // string (cplusplus.InnerPointer), which it is not.
        const std::string& bytes = *der;
        auto c = parse_prefix(
            std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), trusted);
        if (auto* e = std::get_if<ParseError>(&c)) return ParseError{where() + e->message};
        out.push_back(std::move(std::get<Certificate>(c)));
      }
      label.reset();
      continue;
    }
    if (pem_label(line, "BEGIN ")) return ParseError{where() + "BEGIN inside a block"};
    body.append(line);
  }
  if (label) return ParseError{where() + "no END " + *label + " line"};
  if (out.empty()) return ParseError{"PEM: no CERTIFICATE block"};
  return out;
}

void to_json(nlohmann::json& j, const Certificate& c) {
  auto fields = [](const std::vector<std::pair<std::string, std::string>>& f) {
    auto a = nlohmann::json::array();
    for (const auto& [k, v] : f) a.push_back({k, v});
    return a;
  };
  j = nlohmann::json{{"sha256", c.sha256},
                     {"serial", c.serial},
                     {"subject", c.subject},
                     {"issuer", c.issuer},
                     {"subject_fields", fields(c.subject_fields)},
                     {"issuer_fields", fields(c.issuer_fields)},
                     {"common_names", c.common_names},
                     {"dns_sans", c.dns_sans},
                     {"ip_sans", c.ip_sans},
                     {"not_before", c.not_before},
                     {"not_after", c.not_after},
                     {"key_type", c.key_type},
                     {"key_bits", c.key_bits},
                     {"signature_algorithm", c.signature_algorithm},
                     {"self_signed", c.self_signed},
                     {"der", base64_encode(c.der)}};
}

}  // namespace iotmap::certs
