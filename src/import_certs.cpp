#include "src/import_certs.h"

#include <charconv>
#include <utility>
#include <variant>

#include "certs/names.h"
#include "lib/clock.h"
#include "lib/net.h"
#include "scanner/record.h"

namespace iotmap::cli {
namespace {

namespace ds = certs::dataset;

constexpr size_t kBatch = 5000;

// The first 16 hex digits of a fingerprint as a number.
uint64_t key64(std::string_view hex) {
  uint64_t v = 0;
  std::from_chars(hex.data(), hex.data() + std::min<size_t>(16, hex.size()), v, 16);
  return v;
}

}  // namespace

CertImport::CertImport(db::Store& store, certs::NameMatcher matcher, ds::Parser parser)
    : store_(store), matcher_(std::move(matcher)), parser_(parser), known_(1) {}

void CertImport::begin_file(std::string name, int64_t run_id, ImportDefaults defaults) {
  file_ = std::move(name);
  run_id_ = run_id;
  defaults_ = defaults;
  counts_.clear();
  errors_.clear();
}

const CertImport::Known& CertImport::judge_der(const std::string& der, const std::string& sha256) {
  auto [it, fresh] = by_sha_.try_emplace(key64(sha256), 0);
  if (!fresh) return known_[it->second];
  ++counts_["certificates"];
  auto parsed = certs::parse_der(std::string_view(der));
  const auto* c = std::get_if<certs::Certificate>(&parsed);
  if (c == nullptr) {
    ++counts_["unparsable_certificates"];
    return known_[0];
  }
  certs::Verdict v = certs::judge(*c, matcher_);
  if (!v.relevant()) return known_[0];
  Known k{true, c->sha256, c->not_before, c->not_after, !v.names.empty(), v.device};
  certs_.push_back(scanner::certificate_row(*c, clock_now()));
  for (const auto& n : v.names) names_.push_back({c->sha256, n.name, n.provider});
  it->second = static_cast<uint32_t>(known_.size());
  known_.push_back(std::move(k));
  return known_.back();
}

// The record's leaf as judged, with the fingerprints of its chain; nullptr when a data set's
// reference names no certificate read before.
const CertImport::Known* CertImport::leaf_of(const ds::Record& r, std::vector<std::string>& chain) {
  chain.clear();
  if (r.chain.empty()) {
    auto it = by_ref_.find(key64(r.leaf_ref));
    if (it == by_ref_.end()) return nullptr;
    const Known& k = known_[it->second];
    if (k.relevant) chain.push_back(k.sha256);
    return &k;
  }
  for (const auto& der : r.chain) chain.push_back(certs::fingerprint(der));
  return &judge_der(r.chain.front(), chain.front());
}

void CertImport::malformed(uint64_t number, const std::string& why) {
  ++counts_["malformed"];
  if (errors_.size() < kMaxErrors)
    errors_.push_back(file_ + ":" + std::to_string(number) + ": " + why);
}

void CertImport::record(const ds::Record& r, uint64_t number) {
  auto ip = IpAddress::parse(r.ip);
  const int port = r.port != 0 ? r.port : defaults_.port;
  const int64_t time = r.time != 0 ? r.time : defaults_.time;
  if (!ip) return malformed(number, "not an IP address: " + r.ip.substr(0, 60));
  if (port == 0) return malformed(number, "no port in the record (pass --port)");
  if (time == 0) return malformed(number, "no time in the record (pass --date)");
  ++counts_["records"];
  std::vector<std::string> chain;
  const Known* k = leaf_of(r, chain);
  if (k == nullptr) {
    ++counts_["unknown_certificate"];
    return;
  }
  if (!k->relevant) return;
  db::TlsObservationRow o;
  o.run_id = run_id_;
  o.ip = ip->str();
  o.port = port;
  o.observed_at = time;
  o.status = "cert_only";
  o.leaf_sha256 = k->sha256;
  o.chain = std::move(chain);
  if (k->provider) {
    ++counts_["provider_records"];
    if (certs::valid_on_day(k->not_before, k->not_after, time)) ++counts_["provider_records_valid"];
  }
  if (k->device) {
    ++counts_["device_records"];
    devices_.push_back(scanner::device_row(o, *k->device, "import"));
  }
  rows_.push_back(std::move(o));
  if (rows_.size() >= kBatch) flush();
}

void CertImport::line(std::string_view text, uint64_t number) {
  ++counts_["lines"];
  ds::Parsed p = parser_(text);
  if (!p.error.empty()) return malformed(number, p.error);
  if (p.certificate) {
    ++counts_["certificate_lines"];
    std::string sha = certs::fingerprint(p.certificate->der);
    const Known& k = judge_der(p.certificate->der, sha);
    by_ref_[key64(p.certificate->ref)] = k.relevant ? by_sha_.at(key64(sha)) : 0;
  }
  for (const auto& r : p.records) record(r, number);
}

void CertImport::flush() {
  if (rows_.empty() && certs_.empty() && names_.empty()) return;
  counts_["observations"] +=
      static_cast<int64_t>(store_.add_import_batch(rows_, certs_, names_, devices_));
  counts_["device_certificates"] += static_cast<int64_t>(devices_.size());
  rows_.clear();
  certs_.clear();
  names_.clear();
  devices_.clear();
}

std::map<std::string, int64_t> CertImport::end_file() {
  flush();
  return counts_;
}

}  // namespace iotmap::cli
