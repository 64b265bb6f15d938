// The store's daily results: IP and domain verdicts, the hitlist and the footprint. A stage
// recomputes a whole day, so each write replaces the day: re-running leaves one copy, and rows
// that no longer hold (an IP that left) disappear.
#include "db/json_text.h"
#include "db/store.h"
#include "lib/date.h"

namespace iotmap::db {
namespace {

// Deletes `table`'s rows for `date`, then inserts `rows` with `insert_sql` (whose first
// parameter is the date; bind_row binds the rest), all in one transaction. Duplicate keys in
// `rows` are an error: they mean the caller computed the day wrongly.
template <typename Row, typename BindRow>
void replace_day(Database& db, const std::string& table, std::string_view date,
                 std::span<const Row> rows, std::string_view insert_sql, BindRow bind_row) {
  // A malformed date is refused before anything is deleted.
  if (!parse_date(date)) throw Error("not a date (YYYY-MM-DD): '" + std::string(date) + "'");
  Transaction tx(db, "replace " + table);
  db.cached("DELETE FROM " + table + " WHERE date = ?").bind(1, date).run();
  auto& insert = db.cached(insert_sql);
  for (const Row& row : rows) {
    insert.bind(1, date);
    bind_row(insert, row);
    insert.run();
  }
  tx.commit();
}

}  // namespace

void Store::replace_ip_verdicts(std::string_view date, std::span<const IpVerdictRow> rows) {
  replace_day(db_, "ip_verdicts", date, rows, R"(
      INSERT INTO ip_verdicts(date, ip, provider, verdict_threshold, verdict_exclusive, reason,
                              names_total, names_not_matching, registrable_domains, sources,
                              sources_text, run_id, sharing_active_dns, sharing_pdns,
                              sharing_cert, sharing_pdns_reverse, sharing_bulk, address_sources)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18))",
              [](Statement& s, const IpVerdictRow& r) {
                s.bind(2, canonical_ip(r.ip)).bind(3, r.provider).bind(4, r.verdict_threshold);
                s.bind(5, r.verdict_exclusive).bind(6, r.reason).bind(7, r.names_total);
                s.bind(8, r.names_not_matching).bind(9, r.registrable_domains);
                s.bind(10, r.sources).bind(11, r.sources_text).bind(12, r.run_id);
                s.bind(13, r.sharing_active_dns).bind(14, r.sharing_pdns).bind(15, r.sharing_cert);
                s.bind(16, r.sharing_pdns_reverse).bind(17, r.sharing_bulk);
                s.bind(18, r.address_sources);
              });
}

void Store::replace_domain_verdicts(std::string_view date, std::span<const DomainVerdictRow> rows) {
  replace_day(db_, "domain_verdicts", date, rows, R"(
      INSERT INTO domain_verdicts(date, provider, domain, verdict, reason, ips_total,
                                  ips_exclusive, run_id)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))",
              [](Statement& s, const DomainVerdictRow& r) {
                s.bind(2, r.provider).bind(3, normalize_name(r.domain)).bind(4, r.verdict);
                s.bind(5, r.reason).bind(6, r.ips_total).bind(7, r.ips_exclusive);
                s.bind(8, r.run_id);
              });
}

void Store::replace_hitlist(std::string_view date, std::span<const HitlistRow> rows) {
  replace_day(db_, "hitlist", date, rows, R"(
      INSERT INTO hitlist(date, provider, domain, ip, port, protocol, infrastructure, level,
                          domain_class, sources, first_seen, last_seen, entry)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13))",
              [](Statement& s, const HitlistRow& r) {
                s.bind(2, r.provider).bind(3, normalize_name(r.domain));
                s.bind(4, canonical_ip(r.ip)).bind(5, r.port).bind(6, r.protocol);
                s.bind(7, r.infrastructure).bind(8, r.level).bind(9, r.domain_class);
                s.bind(10, r.sources).bind(11, r.first_seen).bind(12, r.last_seen);
                s.bind(13, r.entry);
              });
}

void Store::replace_footprint(std::string_view date, std::span<const FootprintRow> rows) {
  replace_day(db_, "footprint", date, rows, R"(
      INSERT INTO footprint(date, provider, ipv4, ipv6, ases, prefixes_v4, prefixes_v6, strategy,
                            detail)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9))",
              [](Statement& s, const FootprintRow& r) {
                s.bind(2, r.provider).bind(3, r.ipv4).bind(4, r.ipv6).bind(5, r.ases);
                s.bind(6, r.prefixes_v4).bind(7, r.prefixes_v6).bind(8, r.strategy);
                s.bind(9, r.detail);
              });
}

std::vector<HitlistRow> Store::hitlist(std::string_view date) {
  std::vector<HitlistRow> out;
  db_.cached(R"(
      SELECT provider, domain, ip, port, protocol, infrastructure, level, domain_class, sources,
             first_seen, last_seen, entry
      FROM hitlist WHERE date = ? ORDER BY provider, domain, ip, port, protocol)")
      .bind(1, date)
      .each([&](Statement& s) {
        out.push_back(HitlistRow{s.text(0), s.text(1), s.text(2), static_cast<int>(s.int64(3)),
                                 s.text(4), s.text(5), s.text(6), s.text(7), s.text(8),
                                 s.optional_int64(9), s.optional_int64(10), s.text(11)});
      });
  return out;
}

std::vector<FootprintRow> Store::footprint(std::string_view date) {
  std::vector<FootprintRow> out;
  db_.cached(R"(
      SELECT provider, ipv4, ipv6, ases, prefixes_v4, prefixes_v6, strategy, detail
      FROM footprint WHERE date = ? ORDER BY provider)")
      .bind(1, date)
      .each([&](Statement& s) {
        out.push_back(FootprintRow{s.text(0), s.int64(1), s.int64(2), s.int64(3), s.int64(4),
                                   s.int64(5), s.text(6), s.text(7)});
      });
  return out;
}

}  // namespace iotmap::db

namespace iotmap::db {

void Store::replace_detections(std::string_view date, std::span<const DetectionRow> rows,
                               std::span<const DetectionTrafficRow> traffic,
                               const DetectionDayRow& day) {
  if (!parse_date(date)) throw Error("not a date (YYYY-MM-DD): '" + std::string(date) + "'");
  Transaction tx(db_, "replace detections");
  for (const char* table : {"detections", "detection_traffic", "detection_days"})
    db_.cached(std::string("DELETE FROM ") + table + " WHERE date = ?").bind(1, date).run();
  auto& insert = db_.cached(R"(
      INSERT INTO detections(date, period, subscriber, service, level, rule, d, matched,
                             primary_matched, n, threshold, domains, lines)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13))");
  for (const auto& r : rows) {
    insert.bind(1, date).bind(2, r.period).bind(3, r.subscriber).bind(4, r.service);
    insert.bind(5, r.level).bind(6, r.rule).bind(7, r.d).bind(8, r.matched);
    insert.bind(9, r.primary_matched).bind(10, r.n).bind(11, r.threshold);
    insert.bind(12, json_array(r.domains)).bind(13, r.lines);
    insert.run();
  }
  auto& volume = db_.cached(R"(
      INSERT INTO detection_traffic(date, service, lines, flows, bytes_up, bytes_down, ports)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))");
  for (const auto& t : traffic) {
    volume.bind(1, date).bind(2, t.service).bind(3, t.lines).bind(4, t.flows);
    volume.bind(5, t.bytes_up).bind(6, t.bytes_down).bind(7, t.ports);
    volume.run();
  }
  db_.cached(R"(
      INSERT INTO detection_days(date, flows, matched, scanners, rule, d, subscribers,
                                 detected_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8))")
      .bind(1, date)
      .bind(2, day.flows)
      .bind(3, day.matched)
      .bind(4, day.scanners)
      .bind(5, day.rule)
      .bind(6, day.d)
      .bind(7, day.subscribers)
      .bind(8, day.detected_at)
      .run();
  tx.commit();
}

std::vector<DetectionRow> Store::detections(std::string_view date, std::string_view period) {
  std::vector<DetectionRow> out;
  db_.cached(R"(
      SELECT period, subscriber, service, level, rule, d, matched, primary_matched, n, threshold,
             domains, lines
      FROM detections WHERE date = ?1 AND (?2 = '' OR period = ?2)
      ORDER BY period = 'day' DESC, period, service, subscriber)")
      .bind(1, date)
      .bind(2, period)
      .each([&](Statement& s) {
        DetectionRow r;
        r.period = s.text(0);
        r.subscriber = s.text(1);
        r.service = s.text(2);
        r.level = s.text(3);
        r.rule = s.text(4);
        r.d = s.real(5);
        r.matched = s.int64(6);
        r.primary_matched = s.int64(7);
        r.n = s.int64(8);
        r.threshold = s.int64(9);
        r.domains = parse_json_array(s.text(10));
        r.lines = s.int64(11);
        out.push_back(std::move(r));
      });
  return out;
}

std::vector<DetectionTrafficRow> Store::detection_traffic(std::string_view date) {
  std::vector<DetectionTrafficRow> out;
  db_.cached(R"(
      SELECT service, lines, flows, bytes_up, bytes_down, ports
      FROM detection_traffic WHERE date = ? ORDER BY service)")
      .bind(1, date)
      .each([&](Statement& s) {
        out.push_back(DetectionTrafficRow{s.text(0), s.int64(1), s.int64(2), s.int64(3), s.int64(4),
                                          s.text(5)});
      });
  return out;
}

std::optional<DetectionDayRow> Store::detection_day(std::string_view date) {
  std::optional<DetectionDayRow> out;
  db_.cached(R"(
      SELECT flows, matched, scanners, rule, d, subscribers, detected_at
      FROM detection_days WHERE date = ?)")
      .bind(1, date)
      .each([&](Statement& s) {
        out = DetectionDayRow{s.int64(0), s.int64(1), s.int64(2), s.text(3),
                              s.real(4),  s.text(5),  s.int64(6)};
      });
  return out;
}

}  // namespace iotmap::db
