// `iotmap import certs`: the records of certificate data sets (certs/dataset.h) into the store.
// Each certificate is parsed and judged once (certs/judge.h); only records whose leaf names a
// provider or is a device's are kept, as TLS observations of an import run (status cert_only)
// with their device certificates, so that classify, the footprint and the device report see them
// as they see a scan's. Memory grows with the distinct certificates, not with the records.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "certs/dataset.h"
#include "certs/judge.h"
#include "db/store.h"

namespace iotmap::cli {

struct ImportDefaults {
  int port = 0;      // for records whose data set names none (--port, a Sonar file name)
  int64_t time = 0;  // likewise (--date, a Sonar file name)
};

class CertImport {
 public:
  CertImport(db::Store& store, certs::NameMatcher matcher, certs::dataset::Parser parser);

  // Starts a file: its run and what stands for missing ports and times.
  void begin_file(std::string name, int64_t run_id, ImportDefaults defaults);
  void line(std::string_view text, uint64_t number);
  // Stores what is queued; returns the file's counts.
  std::map<std::string, int64_t> end_file();
  // "FILE:LINE: reason" of the file's first malformed lines.
  const std::vector<std::string>& errors() const { return errors_; }
  static constexpr size_t kMaxErrors = 20;

 private:
  // What iotmap knows of one certificate; only kept certificates hold more than `relevant`.
  struct Known {
    bool relevant = false;
    std::string sha256;
    std::optional<int64_t> not_before, not_after;
    bool provider = false;
    std::optional<certs::DeviceCertificate> device;
  };
  const Known& judge_der(const std::string& der, const std::string& sha256);
  const Known* leaf_of(const certs::dataset::Record& r, std::vector<std::string>& chain);
  void record(const certs::dataset::Record& r, uint64_t number);
  void malformed(uint64_t number, const std::string& why);
  void flush();

  db::Store& store_;
  certs::NameMatcher matcher_;
  certs::dataset::Parser parser_;
  std::string file_;
  int64_t run_id_ = 0;
  ImportDefaults defaults_;
  // By the first 64 bits of the fingerprint (SHA-256 of the DER, or the data set's own
  // reference): 2^-64 per pair, far below the data's own errors at a billion certificates.
  std::unordered_map<uint64_t, uint32_t> by_sha_, by_ref_;
  std::vector<Known> known_;  // [0]: every certificate that is not kept
  std::map<std::string, int64_t> counts_;
  std::vector<std::string> errors_;
  std::vector<db::TlsObservationRow> rows_;
  std::vector<db::CertificateRow> certs_;
  std::vector<db::CertNameRow> names_;
  std::vector<db::DeviceCertificateRow> devices_;
};

}  // namespace iotmap::cli
