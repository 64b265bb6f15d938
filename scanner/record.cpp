#include "scanner/record.h"

#include <openssl/evp.h>

#include <variant>

#include "certs/names.h"
#include "db/store.h"
#include "lib/json.h"

namespace iotmap::scanner {
namespace {

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

nlohmann::json app_json(const AppResult& app) {
  nlohmann::json j = {{"confirmed", app.confirmed}};
  if (!app.error.empty()) j["error"] = app.error;
  switch (app.protocol) {
    case AppProtocol::kMqtt:
      if (app.mqtt_return_code >= 0) {
        j["return_code"] = app.mqtt_return_code;
        j["session_present"] = app.mqtt_session_present;
      }
      break;
    case AppProtocol::kAmqp: {
      if (!app.amqp_version.empty()) j["version"] = app.amqp_version;
      if (!app.amqp_product.empty()) j["product"] = app.amqp_product;
      if (!app.amqp_product_version.empty()) j["product_version"] = app.amqp_product_version;
      if (!app.amqp_properties.empty()) {
        auto props = nlohmann::json::object();
        for (const auto& [k, v] : app.amqp_properties) props[k] = v;
        j["properties"] = props;
      }
      if (!app.amqp_mechanisms.empty()) j["mechanisms"] = app.amqp_mechanisms;
      break;
    }
    case AppProtocol::kHttp:
      if (app.http_status > 0) {
        j["status"] = app.http_status;
        j["version"] = app.http_version;
        j["server"] = app.http_server;
      }
      break;
    case AppProtocol::kNone:
      break;
  }
  return j;
}

}  // namespace

std::string protocol_result(const AppResult& app) {
  if (app.protocol == AppProtocol::kNone) return "";
  return json_text(app_json(app));
}

db::CertificateRow certificate_row(const certs::Certificate& c, int64_t first_seen) {
  db::CertificateRow row;
  row.sha256 = c.sha256;
  row.subject_dn = c.subject;
  row.issuer_dn = c.issuer;
  if (!c.common_names.empty()) row.common_name = c.common_names.front();
  row.dns_sans = c.dns_sans;
  row.ip_sans = c.ip_sans;
  row.not_before = c.not_before;
  row.not_after = c.not_after;
  row.key_type = certs::ascii_lower(c.key_type);
  if (c.key_bits > 0) row.key_bits = c.key_bits;
  row.signature_algorithm = c.signature_algorithm;
  row.self_signed = c.self_signed;
  row.der.assign(c.der.begin(), c.der.end());
  row.first_seen = first_seen;
  return row;
}

CertificateBook::CertificateBook(certs::NameMatcher matcher, size_t max_entries)
    : matcher_(std::move(matcher)), max_entries_(max_entries) {}

std::vector<std::string> CertificateBook::add_chain(const std::vector<std::string>& chain,
                                                    int64_t now) {
  std::vector<std::string> out;
  for (const auto& der : chain) {
    std::string sha = certs::fingerprint(der);
    out.push_back(sha);
    if (entries_.count(sha) != 0) continue;
    // Forget everything now and then rather than grow without bound; the store ignores the
    // certificates it already has.
    if (entries_.size() >= max_entries_) entries_.clear();
    Entry e;
    auto parsed = certs::parse_der(std::string_view(der));
    ++parsed_;
    if (auto* c = std::get_if<certs::Certificate>(&parsed)) {
      certs::to_json(e.summary, *c);
      e.summary.erase("der");
      auto verdict = certs::judge(*c, matcher_);
      e.names = std::move(verdict.names);
      e.device = std::move(verdict.device);
      new_certs_.push_back(certificate_row(*c, now));
      for (const auto& n : e.names) new_names_.push_back({sha, n.name, n.provider});
    } else {
      db::CertificateRow row;
      row.sha256 = sha;
      row.der.assign(der.begin(), der.end());
      row.first_seen = now;
      new_certs_.push_back(std::move(row));
      e.summary = nullptr;
    }
    entries_.emplace(sha, std::move(e));
  }
  return out;
}

const CertificateBook::Entry* CertificateBook::find(const std::string& sha256) const {
  auto it = entries_.find(sha256);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<db::CertificateRow> CertificateBook::take_certificates() {
  return std::exchange(new_certs_, {});
}

std::vector<db::CertNameRow> CertificateBook::take_names() { return std::exchange(new_names_, {}); }

db::TlsObservationRow observation_row(const GrabResult& r, int64_t run_id,
                                      const std::vector<std::string>& chain_sha256) {
  db::TlsObservationRow row;
  row.run_id = run_id;
  row.ip = r.ip.str();
  row.port = r.port;
  row.sni = r.sni;
  row.observed_at = r.started_at;
  row.status = std::string(to_string(r.status));
  row.tls_version = r.tls_version;
  row.cipher = r.cipher;
  row.alpn = r.alpn;
  if (!chain_sha256.empty()) row.leaf_sha256 = chain_sha256.front();
  row.chain = chain_sha256;
  row.protocol = std::string(to_string(r.app.protocol));
  row.protocol_result = protocol_result(r.app);
  row.error = r.error;
  return row;
}

db::DeviceCertificateRow device_row(const db::TlsObservationRow& o,
                                    const certs::DeviceCertificate& d, std::string_view source) {
  return db::DeviceCertificateRow{db::utc_date(o.observed_at),
                                  o.ip,
                                  o.port,
                                  o.leaf_sha256,
                                  d.manufacturer,
                                  d.product,
                                  d.signer,
                                  std::string(source),
                                  o.observed_at,
                                  o.observed_at,
                                  o.run_id};
}

std::optional<db::DeviceCertificateRow> device_row(const db::TlsObservationRow& o,
                                                   const CertificateBook& book,
                                                   std::string_view source) {
  if (o.leaf_sha256.empty()) return std::nullopt;
  const auto* e = book.find(o.leaf_sha256);
  if (e == nullptr || !e->device) return std::nullopt;
  return device_row(o, *e->device, source);
}

nlohmann::json grab_json(const GrabResult& r, int64_t run_id,
                         const std::vector<std::string>& chain_sha256,
                         const CertificateBook& book) {
  nlohmann::json j = {
      {"run_id", run_id},
      {"step", r.step},
      {"ip", r.ip.str()},
      {"port", r.port},
      {"sni", r.sni},
      {"observed_at", r.started_at},
      {"duration_ms", r.duration_ms},
      {"status", to_string(r.status)},
      {"phase", to_string(r.phase)},
      {"error", r.error},
      {"bytes_read", r.bytes_read},
  };
  if (r.tls) {
    nlohmann::json tls = {{"version", r.tls_version},
                          {"cipher", r.cipher},
                          {"alpn", r.alpn},
                          {"alpn_offered", r.alpn_offered},
                          {"client_cert_requested", r.client_cert_requested}};
    auto chain = nlohmann::json::array();
    for (size_t i = 0; i < r.chain.size() && i < chain_sha256.size(); ++i)
      chain.push_back({{"sha256", chain_sha256[i]}, {"der", base64(r.chain[i])}});
    tls["chain"] = chain;
    tls["leaf"] = nullptr;
    auto providers = nlohmann::json::array();
    if (!chain_sha256.empty()) {
      if (const auto* e = book.find(chain_sha256.front())) {
        tls["leaf"] = e->summary;
        for (const auto& n : e->names)
          providers.push_back({{"name", n.name},
                               {"provider", n.provider},
                               {"region", n.region},
                               {"device", n.device}});
      }
    }
    tls["providers"] = providers;
    j["tls"] = tls;
  } else {
    j["tls"] = nullptr;
  }
  if (r.app.protocol == AppProtocol::kNone) {
    j["app"] = nullptr;
  } else {
    auto app = app_json(r.app);
    app["protocol"] = to_string(r.app.protocol);
    j["app"] = app;
  }
  return j;
}

}  // namespace iotmap::scanner
