// Device certificates: the manufacturer rule (certs/manufacturer.h) applied to a certificate that
// a scan grabbed or a dataset held, reduced to what the store and the report keep. One function
// for every path that sees certificates (scan, `scan - --grab-only`, `import certs`), so that they
// all find the same devices. See docs/certificates.md.
#pragma once

#include <optional>
#include <string>

#include "certs/certificate.h"
#include "certs/manufacturer.h"

namespace iotmap::certs {

struct DeviceCertificate {
  std::string manufacturer;  // the keyword entry's key ("Hikvision")
  std::string product;       // the product key that matched; "" for an entry without any
  // Who signed it: "self" (signed by its own key, issuer = subject) or "maker_ca" (the rule's
  // self-signed by name: the issuer O names the maker, one of its device issuers, or the
  // subject's own O/OU/CN, but another key signed it).
  std::string signer;
};

// The device certificate `c` is under the rule (ManufacturerMatch::device), else nullopt.
std::optional<DeviceCertificate> device_certificate(
    const Certificate& c, const KeywordList& keywords = default_keywords());

}  // namespace iotmap::certs
