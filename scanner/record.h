// What a grab becomes outside the engine: rows for the store (db/rows.h) and one JSON object
// for `--output jsonl` (docs/scan-output.md). Certificates are parsed once per fingerprint and
// their names attributed to providers (certs/providers.h), so that a scan seeing one
// certificate on many addresses does the work once.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "certs/certificate.h"
#include "certs/judge.h"
#include "certs/providers.h"
#include "db/rows.h"
#include "scanner/grab.h"

namespace iotmap::scanner {

// The application result as compact JSON text (the row's protocol_result), e.g.
// {"confirmed":true,"return_code":0}; "" when nothing was probed.
std::string protocol_result(const AppResult& app);

// The certificate as the store keeps it (key type in lowercase).
db::CertificateRow certificate_row(const certs::Certificate& c, int64_t first_seen);

class CertificateBook {
 public:
  explicit CertificateBook(certs::NameMatcher matcher, size_t max_entries = 200000);

  struct Entry {
    nlohmann::json summary;               // certs::to_json without the DER; null if unparsable
    std::vector<certs::NameMatch> names;  // provider names in the certificate
    std::optional<certs::DeviceCertificate> device;  // the manufacturer rule's verdict
  };

  // The SHA-256 of each certificate of `chain`, in order. Certificates not seen before are
  // parsed and queued for the store (see take_rows); an unparsable one is stored with its DER
  // and fingerprint only.
  std::vector<std::string> add_chain(const std::vector<std::string>& chain, int64_t now);
  const Entry* find(const std::string& sha256) const;

  // The rows queued since the last call.
  std::vector<db::CertificateRow> take_certificates();
  std::vector<db::CertNameRow> take_names();
  uint64_t parsed() const { return parsed_; }

 private:
  certs::NameMatcher matcher_;
  size_t max_entries_;
  std::unordered_map<std::string, Entry> entries_;
  std::vector<db::CertificateRow> new_certs_;
  std::vector<db::CertNameRow> new_names_;
  uint64_t parsed_ = 0;
};

// The store's row for one grab; `chain_sha256` from CertificateBook::add_chain.
db::TlsObservationRow observation_row(const GrabResult& r, int64_t run_id,
                                      const std::vector<std::string>& chain_sha256);

// The device-certificate row of an observation whose leaf is the device certificate `d`.
// `source`: scan|import.
db::DeviceCertificateRow device_row(const db::TlsObservationRow& o,
                                    const certs::DeviceCertificate& d, std::string_view source);
// The same when `book` holds the observation's leaf and the rule calls it a device's.
std::optional<db::DeviceCertificateRow> device_row(const db::TlsObservationRow& o,
                                                   const CertificateBook& book,
                                                   std::string_view source);

// The JSON object of one grab (docs/scan-output.md).
nlohmann::json grab_json(const GrabResult& r, int64_t run_id,
                         const std::vector<std::string>& chain_sha256, const CertificateBook& book);

}  // namespace iotmap::scanner
