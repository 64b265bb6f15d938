// The store's TLS tables: certificates (once per sha256), the names in them, scan observations.
#include "db/json_text.h"
#include "db/store.h"

namespace iotmap::db {
namespace {

// Inserts certificates inside the caller's transaction; returns how many were new.
size_t insert_certificates(Database& db, std::span<const CertificateRow> certs) {
  auto& insert = db.cached(R"(
      INSERT INTO certificates(sha256, subject_dn, issuer_dn, common_name, dns_sans,
                                         ip_sans, not_before, not_after, key_type, key_bits,
                                         signature_algorithm, self_signed, der, first_seen)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO NOTHING)");
  size_t added = 0;
  for (const CertificateRow& c : certs) {
    insert
        .bind_all(c.sha256, c.subject_dn, c.issuer_dn, c.common_name, json_array(c.dns_sans),
                  json_array(c.ip_sans), c.not_before, c.not_after, c.key_type, c.key_bits,
                  c.signature_algorithm, c.self_signed, c.der, c.first_seen)
        .run();
    added += static_cast<size_t>(db.changes());
  }
  return added;
}

void upsert_cert_names(Database& db, std::span<const CertNameRow> names) {
  auto& upsert = db.cached(R"(
      INSERT INTO cert_names(sha256, name, provider) VALUES (?, ?, ?)
      ON CONFLICT(sha256, name) DO UPDATE SET
        provider = CASE WHEN excluded.provider <> '' THEN excluded.provider ELSE provider END)");
  for (const CertNameRow& n : names)
    upsert.bind_all(n.sha256, normalize_name(n.name), n.provider).run();
}

// Certificates first (the observations refer to them), then the observations; inside the
// caller's transaction. Returns how many observations were new.
size_t insert_observations(Database& db, std::span<const TlsObservationRow> rows,
                           std::span<const CertificateRow> certs) {
  insert_certificates(db, certs);
  auto& insert = db.cached(R"(
      INSERT INTO tls_observations(run_id, ip, port, sni, observed_at, status,
                                             tls_version, cipher, alpn, leaf_sha256, chain,
                                             protocol, protocol_result, error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO NOTHING)");
  size_t added = 0;
  for (const TlsObservationRow& o : rows) {
    std::optional<std::string> leaf;
    if (!o.leaf_sha256.empty()) leaf = o.leaf_sha256;
    insert
        .bind_all(o.run_id, canonical_ip(o.ip), o.port, o.sni, o.observed_at, o.status,
                  o.tls_version, o.cipher, o.alpn, leaf, json_array(o.chain), o.protocol,
                  o.protocol_result, o.error)
        .run();
    added += static_cast<size_t>(db.changes());
  }
  return added;
}

}  // namespace

size_t Store::add_certificates(std::span<const CertificateRow> certs) {
  Transaction tx(db_, "add_certificates");
  size_t added = insert_certificates(db_, certs);
  tx.commit();
  return added;
}

void Store::add_cert_names(std::span<const CertNameRow> names) {
  Transaction tx(db_, "add_cert_names");
  upsert_cert_names(db_, names);
  tx.commit();
}

std::optional<CertificateRow> Store::certificate(std::string_view sha256) {
  std::optional<CertificateRow> out;
  db_.cached(R"(
      SELECT sha256, subject_dn, issuer_dn, common_name, dns_sans, ip_sans, not_before, not_after,
             key_type, key_bits, signature_algorithm, self_signed, der, first_seen
      FROM certificates WHERE sha256 = ?)")
      .bind(1, sha256)
      .each([&](Statement& s) {
        CertificateRow c;
        c.sha256 = s.text(0);
        c.subject_dn = s.text(1);
        c.issuer_dn = s.text(2);
        c.common_name = s.text(3);
        c.dns_sans = parse_json_array(s.text(4));
        c.ip_sans = parse_json_array(s.text(5));
        c.not_before = s.optional_int64(6);
        c.not_after = s.optional_int64(7);
        c.key_type = s.text(8);
        c.key_bits = s.optional_int64(9);
        c.signature_algorithm = s.text(10);
        c.self_signed = s.int64(11) != 0;
        c.der = s.blob(12);
        c.first_seen = s.int64(13);
        out = std::move(c);
      });
  return out;
}

size_t Store::add_tls_observations(std::span<const TlsObservationRow> rows,
                                   std::span<const CertificateRow> certs) {
  Transaction tx(db_, "add_tls_observations");
  size_t added = insert_observations(db_, rows, certs);
  tx.commit();
  return added;
}

size_t Store::add_scan_batch(std::span<const TlsObservationRow> rows,
                             std::span<const CertificateRow> certs,
                             std::span<const CertNameRow> names, const ScanCheckpoint& cp) {
  Transaction tx(db_, "add_scan_batch");
  size_t added = insert_observations(db_, rows, certs);
  upsert_cert_names(db_, names);
  save_checkpoint(cp);
  tx.commit();
  return added;
}

void Store::for_each_tls_observation(int64_t from, int64_t to,
                                     const std::function<void(const TlsObservationRow&)>& fn) {
  db_.cached(R"(
      SELECT run_id, ip, port, sni, observed_at, status, tls_version, cipher, alpn,
             coalesce(leaf_sha256, ''), chain, protocol, protocol_result, error
      FROM tls_observations WHERE observed_at >= ? AND observed_at < ?
      ORDER BY observed_at, id)")
      .bind_all(from, to)
      .each([&](Statement& s) {
        TlsObservationRow o;
        o.run_id = s.int64(0);
        o.ip = s.text(1);
        o.port = static_cast<int>(s.int64(2));
        o.sni = s.text(3);
        o.observed_at = s.int64(4);
        o.status = s.text(5);
        o.tls_version = s.text(6);
        o.cipher = s.text(7);
        o.alpn = s.text(8);
        o.leaf_sha256 = s.text(9);
        o.chain = parse_json_array(s.text(10));
        o.protocol = s.text(11);
        o.protocol_result = s.text(12);
        o.error = s.text(13);
        fn(o);
      });
}

}  // namespace iotmap::db
