// Censys exports as JSON lines (docs.censys.com; the host and certificate data sets, or the
// search API's records saved one per line):
//   host:        {"ip": "...", "services": [{"port": 8883, "observed_at": "2024-10-27T14:44:01Z",
//                 "tls": {"certificates": {"leaf_fp_sha_256": "<hex>", "chain_fps_sha_256":
//                 [...]}}}, ...], "last_updated_at": "..."}; the Platform's records wrap it as
//                 {"resource": {...}} and may name the leaf as "cert": {"fingerprint_sha256"}.
//   certificate: {"fingerprint_sha256": "<hex>", "raw": "<base64 DER>", "parsed": {...}}.
// Host records name leaves by SHA-256 only, so the certificates come from certificate records.
#include <nlohmann/json.hpp>

#include "certs/certificate.h"
#include "certs/dataset.h"
#include "certs/dataset_json.h"
#include "lib/date.h"

namespace iotmap::certs::dataset {
namespace {

using nlohmann::json;

// The leaf's SHA-256 as a service names it, "" when it has none.
std::string leaf_fingerprint(const json& service) {
  const json* tls = member(service, "tls");
  const json* certs = tls ? member(*tls, "certificates") : nullptr;
  if (auto fp = text(certs ? member(*certs, "leaf_fp_sha_256") : nullptr); !fp.empty()) return fp;
  if (auto fp = text(member(service, "certificate")); !fp.empty()) return fp;
  const json* cert = member(service, "cert");
  return text(cert ? member(*cert, "fingerprint_sha256") : nullptr);
}

void host_records(const json& host, Parsed& out) {
  const json* ip = member(host, "ip");
  const json* services = member(host, "services");
  if (ip == nullptr || !ip->is_string() || services == nullptr || !services->is_array()) {
    out.error = "a host record needs \"ip\" and a \"services\" array";
    return;
  }
  std::string host_time = text(member(host, "last_updated_at"));
  for (const auto& s : *services) {
    std::string fp = leaf_fingerprint(s);
    if (fp.empty()) continue;  // no TLS on this service
    Record r;
    r.ip = ip->get<std::string>();
    r.leaf_ref = lower_hex(fp);
    r.port = port_number(member(s, "port"));
    if (fp.size() != 64 || !is_fingerprint(fp) || r.port == 0) {
      out.error = "a service needs a \"port\" and a SHA-256 leaf fingerprint";
      out.records.clear();
      return;
    }
    std::string t = text(member(s, "observed_at"));
    if (t.empty()) t = text(member(s, "scan_time"));
    if (t.empty()) t = host_time;
    if (!t.empty()) {
      auto time = parse_time(t, Zone::required);
      if (!time) {
        out.error = "\"observed_at\" is not an RFC 3339 time";
        out.records.clear();
        return;
      }
      r.time = *time;
    }
    out.records.push_back(std::move(r));
  }
}

void certificate_record(const json& c, Parsed& out) {
  auto der = base64_decode(text(member(c, "raw")));
  if (!der || der->empty()) {
    out.error = "a certificate record needs \"raw\" in base64";
    return;
  }
  std::string fp = lower_hex(text(member(c, "fingerprint_sha256")));
  std::string actual = fingerprint(*der);
  if (!fp.empty() && fp != actual) {
    out.error = "\"fingerprint_sha256\" is not the SHA-256 of \"raw\"";
    return;
  }
  out.certificate = CertificateLine{actual, std::move(*der)};
}

}  // namespace

Parsed parse_censys(std::string_view line) {
  Parsed out;
  json j;
  if (!parse_object(line, j, out.error)) return out;
  const json* record = &j;
  if (const json* r = member(j, "resource"); r && r->is_object()) record = r;
  if (member(*record, "services") != nullptr || member(*record, "ip") != nullptr)
    host_records(*record, out);
  else if (member(*record, "raw") != nullptr)
    certificate_record(*record, out);
  else
    out.error = "neither a host (\"ip\", \"services\") nor a certificate (\"raw\") record";
  return out;
}

}  // namespace iotmap::certs::dataset
