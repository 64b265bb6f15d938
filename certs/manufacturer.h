// The manufacturer rule (docs/method.md section 6, paper 000 section II-B): a certificate names a
// device manufacturer when the manufacturer key Good-Matches the subject O and a product key
// Matches O, OU, CN or a SAN; it is an IoT device certificate when it is also self-signed in the
// rule's sense and none of its CNs is a valid public domain name. See docs/certificates.md.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "certs/certificate.h"

namespace iotmap::certs {

struct ManufacturerKeys {
  std::string key;  // manufacturer key: must Good-Match
  std::vector<std::string>
      products;  // product keys and sub-brands: one must Match; none = key alone
  // CN values that are placeholders rather than the device's own name ("www.amcrest.com");
  // "www.<key without blanks>.com" always counts.
  std::vector<std::string> placeholder_names;
  std::vector<std::string>
      device_domains;  // CNs under these are device names (Foscam: myfoscam.org)
  std::vector<std::string>
      device_issuers;  // an issuer O containing one counts as self-signed (WoSign)
};

struct KeywordList {
  std::vector<ManufacturerKeys> manufacturers;
  // Subject O values that name no one ("SomeOrganization", "Company"): the manufacturer key is
  // then Good-Matched against OU, CN and SANs instead.
  std::vector<std::string> placeholder_organizations;
  // Dynamic-DNS zones: a CN under one is not a valid public domain name for the rule.
  std::vector<std::string> ddns_suffixes;
};

struct KeywordError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// TOML (format in certs/manufacturers.toml). Throws KeywordError naming origin, line and key.
KeywordList parse_keywords(std::string_view toml, const std::string& origin);
KeywordList load_keywords(const std::string& path);
// certs/manufacturers.toml, compiled into the binary.
const KeywordList& default_keywords();

struct ManufacturerMatch {
  bool candidate = false;        // manufacturer and product keys match: a "candidate certificate"
  bool device = false;           // candidate && self_signed && public_domain_cn.empty()
  std::string manufacturer;      // the entry's key
  std::string product;           // the product key that matched; empty for an entry without any
  std::string field;             // where the manufacturer key matched: O, OU, CN or SAN
  bool self_signed = false;      // in the rule's sense (see docs/certificates.md)
  std::string public_domain_cn;  // the first CN that is a valid public domain name, if any
};

// The first entry (in list order) that makes the certificate a device certificate, else the
// first that makes it a candidate, else a result with candidate == false.
ManufacturerMatch match_manufacturer(const Certificate& c, const KeywordList& keywords);

// Match: `key` occurs in `field`, ignoring ASCII case; a blank, '_' or '-' in the key matches any
// one of them. Good-Match: a Match whose neighbours in `field` are not letters or digits (a byte
// of a multi-byte UTF-8 character counts as a letter).
bool key_match(std::string_view key, std::string_view field);
bool key_good_match(std::string_view key, std::string_view field);

}  // namespace iotmap::certs
