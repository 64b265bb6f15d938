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

void upsert_devices(Database& db, std::span<const DeviceCertificateRow> rows) {
  auto& upsert = db.cached(R"(
      INSERT INTO device_certificates(date, ip, port, sha256, manufacturer, product, signer,
                                      source, first_seen, last_seen, run_id)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(date, ip, port, sha256) DO UPDATE SET
        first_seen = min(first_seen, excluded.first_seen),
        last_seen = max(last_seen, excluded.last_seen))");
  for (const DeviceCertificateRow& d : rows)
    upsert
        .bind_all(d.date, canonical_ip(d.ip), d.port, d.sha256, d.manufacturer, d.product, d.signer,
                  d.source, d.first_seen, d.last_seen, d.run_id)
        .run();
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
                             std::span<const CertNameRow> names, const ScanCheckpoint& cp,
                             std::span<const DeviceCertificateRow> devices) {
  Transaction tx(db_, "add_scan_batch");
  size_t added = insert_observations(db_, rows, certs);
  upsert_cert_names(db_, names);
  upsert_devices(db_, devices);
  save_checkpoint(cp);
  tx.commit();
  return added;
}

size_t Store::add_import_batch(std::span<const TlsObservationRow> rows,
                               std::span<const CertificateRow> certs,
                               std::span<const CertNameRow> names,
                               std::span<const DeviceCertificateRow> devices) {
  Transaction tx(db_, "add_import_batch");
  size_t added = insert_observations(db_, rows, certs);
  upsert_cert_names(db_, names);
  upsert_devices(db_, devices);
  tx.commit();
  return added;
}

void Store::add_device_certificates(std::span<const DeviceCertificateRow> rows) {
  Transaction tx(db_, "add_device_certificates");
  upsert_devices(db_, rows);
  tx.commit();
}

std::vector<DeviceCertificateRow> Store::device_certificates(std::string_view date) {
  std::vector<DeviceCertificateRow> out;
  db_.cached(R"(
      SELECT date, ip, port, sha256, manufacturer, product, signer, source, first_seen,
             last_seen, run_id
      FROM device_certificates WHERE date = ? ORDER BY manufacturer, ip, port, sha256)")
      .bind(1, date)
      .each([&](Statement& s) {
        out.push_back({s.text(0), s.text(1), static_cast<int>(s.int64(2)), s.text(3), s.text(4),
                       s.text(5), s.text(6), s.text(7), s.int64(8), s.int64(9),
                       s.optional_int64(10)});
      });
  return out;
}

void Store::for_each_imported_provider_address(
    int64_t from, int64_t to,
    const std::function<void(std::string_view ip, std::string_view name)>& fn) {
  db_.cached(R"(
      SELECT DISTINCT o.ip, n.name FROM tls_observations o
        JOIN runs r ON r.id = o.run_id
        JOIN cert_names n ON n.sha256 = o.leaf_sha256
        JOIN certificates c ON c.sha256 = o.leaf_sha256
      WHERE o.observed_at >= ?1 AND o.observed_at < ?2 AND r.kind = 'import' AND n.provider <> ''
        AND coalesce(c.not_before, o.observed_at) < (o.observed_at / 86400 + 1) * 86400
        AND coalesce(c.not_after, o.observed_at) >= o.observed_at / 86400 * 86400
      ORDER BY o.ip, n.name)")
      .bind_all(from, to)
      .each([&](Statement& s) { fn(s.text(0), s.text(1)); });
}

std::optional<CertImportRow> Store::cert_import(std::string_view sha256, std::string_view format) {
  std::optional<CertImportRow> out;
  db_.cached(R"(SELECT sha256, format, path, bytes, imported_at, counts, run_id
                FROM cert_imports WHERE sha256 = ? AND format = ?)")
      .bind_all(sha256, format)
      .each([&](Statement& s) {
        out = CertImportRow{s.text(0),          s.text(1),  s.text(2),
                            s.int64(3),         s.int64(4), parse_json_counts(s.text(5)),
                            s.optional_int64(6)};
      });
  return out;
}

void Store::record_cert_import(const CertImportRow& r) {
  db_.cached(R"(INSERT INTO cert_imports(sha256, format, path, bytes, imported_at, counts, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(sha256, format) DO UPDATE SET
                  path = excluded.path, bytes = excluded.bytes,
                  imported_at = excluded.imported_at, counts = excluded.counts,
                  run_id = excluded.run_id)")
      .bind_all(r.sha256, r.format, r.path, r.bytes, r.imported_at, json_counts(r.counts), r.run_id)
      .run();
}

int64_t Store::remove_run_observations(int64_t run_id) {
  Transaction tx(db_, "remove_run_observations");
  db_.cached("DELETE FROM tls_observations WHERE run_id = ?").bind(1, run_id).run();
  int64_t n = db_.changes();
  db_.cached("DELETE FROM device_certificates WHERE run_id = ?").bind(1, run_id).run();
  n += db_.changes();
  tx.commit();
  return n;
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
