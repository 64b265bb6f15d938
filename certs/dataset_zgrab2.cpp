// ZGrab2 output (github.com/zmap/zgrab2): one JSON object per target,
//   {"ip": "...", "domain": "...", "data": {"<module>": {"status": "success", "protocol": "tls",
//    "port": 443, "timestamp": "2024-05-15T00:02:49-07:00", "result": {...}}}}
// The tls module's result is the handshake log holder itself ({"handshake_log": ...}); modules
// that speak TLS first keep it under result.tls (mqtt, amqp091, ...) or, for http, under
// result.response.request.tls_log. The server's chain is handshake_log.server_certificates:
// {"certificate": {"raw": base64 DER, "parsed": ...}, "chain": [{"raw": ...}, ...]}.
// "port" is in module results since 2023; older output needs the importer's --port.
#include <nlohmann/json.hpp>

#include "certs/certificate.h"
#include "certs/dataset.h"
#include "certs/dataset_json.h"
#include "lib/date.h"

namespace iotmap::certs::dataset {
namespace {

using nlohmann::json;

const json* handshake_log(const json& result) {
  if (const auto* h = member(result, "handshake_log")) return h;
  if (const auto* tls = member(result, "tls"))
    if (const auto* h = member(*tls, "handshake_log")) return h;
  const json* r = member(result, "response");
  r = r ? member(*r, "request") : nullptr;
  r = r ? member(*r, "tls_log") : nullptr;
  return r ? member(*r, "handshake_log") : nullptr;
}

// The DER of {"raw": base64}; "" with `error` set when it is not base64.
std::string raw_der(const json& cert, std::string& error) {
  const json* raw = member(cert, "raw");
  if (raw == nullptr || !raw->is_string()) {
    error = "certificate without \"raw\"";
    return "";
  }
  auto der = base64_decode(raw->get_ref<const std::string&>());
  if (!der || der->empty()) error = "\"raw\" is not base64";
  return der ? *der : "";
}

// One module's result: nothing when it has no server certificate.
std::optional<Record> module_record(const json& m, std::string& error) {
  const json* result = member(m, "result");
  const json* log = result ? handshake_log(*result) : nullptr;
  const json* certs = log ? member(*log, "server_certificates") : nullptr;
  const json* leaf = certs ? member(*certs, "certificate") : nullptr;
  if (leaf == nullptr) return std::nullopt;
  Record r;
  r.chain.push_back(raw_der(*leaf, error));
  if (const json* chain = member(*certs, "chain"); chain && chain->is_array())
    for (const auto& c : *chain) r.chain.push_back(raw_der(c, error));
  if (const json* port = member(m, "port")) {
    r.port = port_number(port);
    if (r.port == 0) error = "\"port\" is not a port number";
  }
  if (const json* t = member(m, "timestamp")) {
    auto time = t->is_string() ? parse_time(t->get_ref<const std::string&>(), Zone::required)
                               : std::nullopt;
    if (!time) error = "\"timestamp\" is not an RFC 3339 time";
    r.time = time.value_or(0);
  }
  return r;
}

}  // namespace

Parsed parse_zgrab2(std::string_view line) {
  Parsed out;
  json j;
  if (!parse_object(line, j, out.error)) return out;
  const json* ip = member(j, "ip");
  const json* data = member(j, "data");
  if (data == nullptr || !data->is_object()) {
    out.error = "no \"data\" object";
    return out;
  }
  for (const auto& [name, m] : data->items()) {
    auto r = module_record(m, out.error);
    if (!out.error.empty()) {
      out.error = name + ": " + out.error;
      out.records.clear();
      return out;
    }
    if (!r) continue;
    if (ip == nullptr || !ip->is_string()) {
      out.error = "no \"ip\" (a scan by name only?)";
      out.records.clear();
      return out;
    }
    r->ip = ip->get<std::string>();
    out.records.push_back(std::move(*r));
  }
  return out;
}

}  // namespace iotmap::certs::dataset
