// The store's DNS tables: our own resolutions (with their answer addresses) and passive DNS.
#include <algorithm>
#include <unordered_map>

#include "db/json_text.h"
#include "db/resolution_status.h"
#include "db/store.h"

namespace iotmap::db {
namespace {

// Replaces a stored row that got no reply with the new one (same parameters as the insert).
std::string replace_unanswered_sql() {
  std::string statuses;
  for (auto s : kUnansweredStatuses)
    statuses += (statuses.empty() ? "'" : ", '") + std::string(s) + "'";
  return R"(
      UPDATE resolutions SET status = ?5, rcode = ?6, cname_chain = ?7, min_ttl = ?8,
        resolver = ?9, rtt_ms = ?10, resolved_at = ?11, run_id = ?12, ecs = ?13, ecs_scope = ?14,
        cname_ttls = ?15, detail = ?16
      WHERE hour = ?1 AND name_id = ?2 AND qtype = ?3 AND vantage_id = ?4
        AND status IN ()" +
         statuses + ") RETURNING id";
}

// What SQLite's foreign keys would reject in a batch of resolutions, checked once for the batch:
// a run that is not in runs, or a name id the caller gave that no names row can have. Names are
// never deleted (no command removes one; prune keeps them), so the ids from 1 to the largest are
// all names rows. The other references add_resolutions writes are ids it has just read or made
// in the same transaction: the vantage points', the names' it adds, the answers' resolution.
void check_references(Database& db, std::span<const ResolutionRow> rows) {
  auto fail = [&](const std::string& why) {
    throw Error(db.path() + ": add_resolutions: FOREIGN KEY constraint failed: " + why);
  };
  int64_t max_name_id = 0;
  db.cached("SELECT coalesce(max(id), 0) FROM names").each([&](Statement& s) {
    max_name_id = s.int64(0);
  });
  std::optional<int64_t> run_checked;
  for (const ResolutionRow& r : rows) {
    if (r.name_id > max_name_id) fail("name id " + std::to_string(r.name_id) + " is not in names");
    if (!r.run_id || r.run_id == run_checked) continue;
    bool found = false;
    db.cached("SELECT 1 FROM runs WHERE id = ?").bind_all(*r.run_id).each([&](Statement&) {
      found = true;
    });
    if (!found) fail("run " + std::to_string(*r.run_id) + " is not in runs");
    run_checked = r.run_id;
  }
}

}  // namespace

size_t Store::add_resolutions(std::span<const ResolutionRow> rows) {
  // SQLite's per-row foreign key checks were a sixth of the inserts' instructions (bench/dns/
  // store_cost.sh); check_references does their work once for the batch.
  ForeignKeysOff checked_here(db_);
  Transaction tx(db_, "add_resolutions");
  check_references(db_, rows);
  auto& insert = db_.cached(R"(
      INSERT INTO resolutions(hour, name_id, qtype, vantage_id, status, rcode, cname_chain,
                              min_ttl, resolver, rtt_ms, resolved_at, run_id, ecs, ecs_scope,
                              cname_ttls, detail)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT DO NOTHING)");
  static const std::string replace_sql = replace_unanswered_sql();
  auto& replace = db_.cached(replace_sql);
  auto& answer = db_.cached(
      "INSERT INTO resolution_answers(resolution_id, ip, ttl) VALUES (?, ?, ?) "
      "ON CONFLICT DO NOTHING");
  auto& drop_answers = db_.cached("DELETE FROM resolution_answers WHERE resolution_id = ?");
  // A batch comes from one or a few vantage points: look each up once.
  std::unordered_map<std::string, int64_t> vantages;
  std::unordered_map<std::string, int64_t> fresh_names;
  size_t added = 0;
  std::string normalized;
  std::vector<std::string> chain;
  for (const ResolutionRow& r : rows) {
    auto vp = vantages.find(r.vantage);
    if (vp == vantages.end()) vp = vantages.emplace(r.vantage, vantage_id(r.vantage)).first;
    // The resolver hands over names already normalised: no copies for those.
    const bool plain_chain =
        std::all_of(r.cname_chain.begin(), r.cname_chain.end(),
                    [](const std::string& c) { return is_normalized_name(c); });
    if (!plain_chain) {
      chain.clear();
      for (const auto& c : r.cname_chain) chain.push_back(normalize_name(c));
    }
    // A name id from the caller was read from this store's names table (check_references
    // rejects any other); without one, the name is looked up, or added.
    int64_t nid = r.name_id;
    if (nid <= 0) {
      const bool plain_name = is_normalized_name(r.name);
      if (!plain_name) normalized = normalize_name(r.name);
      nid = name_id(plain_name ? r.name : normalized, fresh_names);
    }
    // Bound without copies: the row and these two strings outlive both statements' runs.
    const std::string chain_json = json_array(plain_chain ? r.cname_chain : chain);
    const std::string ttls_json = json_int_array(r.cname_ttls);
    auto bind = [&](Statement& s) -> Statement& {
      return s.bind_all(r.hour, nid, Unowned{r.qtype}, vp->second, Unowned{r.status}, r.rcode,
                        Unowned{chain_json}, r.min_ttl, Unowned{r.resolver}, r.rtt_ms,
                        r.resolved_at, r.run_id, Unowned{r.ecs}, r.ecs_scope, Unowned{ttls_json},
                        Unowned{r.detail});
    };
    bind(insert).run();
    int64_t id = db_.changes() == 0 ? 0 : db_.last_insert_rowid();
    // Already stored for this hour: a row with a reply stands, answers included; one without
    // gives way to a reply, and only to a reply (adding the same rows twice changes nothing).
    if (id == 0 && !resolution_unanswered(r.status)) {
      bind(replace).each([&](Statement& s) { id = s.int64(0); });
      if (id != 0) drop_answers.bind_all(id).run();
    }
    if (id == 0) continue;
    ++added;
    for (const AnswerRow& a : r.answers) answer.bind_all(id, canonical_ip(a.ip), a.ttl).run();
  }
  tx.commit();
  name_ids_.merge(fresh_names);
  return added;
}

void Store::for_each_resolution(int64_t from, int64_t to,
                                const std::function<void(const ResolutionRow&)>& fn) {
  // One row per answer (or one with NULL ip for none); rows of a resolution are adjacent
  // because the order is that of the unique key, which the scan follows without sorting.
  auto& q = db_.cached(R"(
      SELECT r.id, r.hour, n.name, r.qtype, v.name, r.status, r.rcode, r.cname_chain, r.min_ttl,
             r.resolver, r.rtt_ms, r.resolved_at, r.run_id, a.ip, a.ttl, r.ecs, r.ecs_scope,
             r.cname_ttls, r.detail
      FROM resolutions r
      JOIN names n ON n.id = r.name_id
      JOIN vantage_points v ON v.id = r.vantage_id
      LEFT JOIN resolution_answers a ON a.resolution_id = r.id
      WHERE r.hour >= ? AND r.hour < ?
      ORDER BY r.hour, r.name_id, r.qtype, r.vantage_id)");
  std::optional<ResolutionRow> current;
  int64_t current_id = -1;
  q.bind_all(from, to).each([&](Statement& s) {
    if (s.int64(0) != current_id) {
      if (current) fn(*current);
      current_id = s.int64(0);
      ResolutionRow r;
      r.hour = s.int64(1);
      r.name = s.text(2);
      r.qtype = s.text(3);
      r.vantage = s.text(4);
      r.status = s.text(5);
      if (!s.is_null(6)) r.rcode = static_cast<int>(s.int64(6));
      r.cname_chain = parse_json_array(s.text(7));
      r.min_ttl = s.optional_int64(8);
      r.resolver = s.text(9);
      r.rtt_ms = s.optional_real(10);
      r.resolved_at = s.int64(11);
      r.run_id = s.optional_int64(12);
      r.ecs = s.text(15);
      if (!s.is_null(16)) r.ecs_scope = static_cast<int>(s.int64(16));
      r.cname_ttls = parse_json_int_array(s.text(17));
      r.detail = s.text(18);
      current = std::move(r);
    }
    if (!s.is_null(13)) current->answers.push_back({s.text(13), s.int64(14)});
  });
  if (current) fn(*current);
}

void Store::for_each_ip_name(int64_t from, int64_t to,
                             const std::function<void(const IpNameRow&)>& fn) {
  db_.cached(R"(
      SELECT DISTINCT a.ip, n.name, n.provider, r.cname_chain
      FROM resolutions r
      JOIN resolution_answers a ON a.resolution_id = r.id
      JOIN names n ON n.id = r.name_id
      WHERE r.hour >= ? AND r.hour < ?
      ORDER BY a.ip, n.name, r.cname_chain)")
      .bind_all(from, to)
      .each([&](Statement& s) {
        fn(IpNameRow{s.text(0), s.text(1), s.text(2), parse_json_array(s.text(3))});
      });
}

void Store::upsert_pdns(std::span<const PdnsRow> rows) {
  Transaction tx(db_, "upsert_pdns");
  auto& upsert = db_.cached(R"(
      INSERT INTO pdns(rrname, rrtype, rdata, time_first, time_last, source)
      VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT(rrname, rrtype, rdata) DO UPDATE SET
        time_first = min(time_first, excluded.time_first),
        time_last = max(time_last, excluded.time_last))");
  for (const PdnsRow& p : rows) {
    // Names in the same form as everywhere else so that joins with names/cert_names match;
    // a CNAME's target is a name too.
    std::string rdata = p.rrtype == "CNAME"                       ? normalize_name(p.rdata)
                        : (p.rrtype == "A" || p.rrtype == "AAAA") ? canonical_ip(p.rdata)
                                                                  : p.rdata;
    upsert.bind_all(normalize_name(p.rrname), p.rrtype, rdata, p.time_first, p.time_last, p.source)
        .run();
  }
  tx.commit();
}

void Store::for_each_pdns(int64_t from, int64_t to, const std::function<void(const PdnsRow&)>& fn) {
  db_.cached(R"(
      SELECT rrname, rrtype, rdata, time_first, time_last, source FROM pdns
      WHERE time_last >= ? AND time_first < ?
      ORDER BY rrname, rrtype, rdata)")
      .bind_all(from, to)
      .each([&](Statement& s) {
        fn(PdnsRow{s.text(0), s.text(1), s.text(2), s.int64(3), s.int64(4), s.text(5)});
      });
}

void Store::upsert_address_names(std::span<const AddressNameRow> rows) {
  Transaction tx(db_, "upsert_address_names");
  auto& upsert = db_.cached(R"(
      INSERT INTO address_names(ip, name, rrtype, target, time_first, time_last, kind, source)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(ip, name, rrtype, target, kind) DO UPDATE SET
        time_first = min(time_first, excluded.time_first),
        time_last = max(time_last, excluded.time_last))");
  for (const AddressNameRow& r : rows)
    upsert
        .bind_all(canonical_ip(r.ip), normalize_name(r.name), r.rrtype,
                  r.target.empty() ? std::string() : normalize_name(r.target), r.time_first,
                  r.time_last, r.kind, r.source)
        .run();
  tx.commit();
}

void Store::for_each_address_name(int64_t from, int64_t to,
                                  const std::function<void(const AddressNameRow&)>& fn) {
  db_.cached(R"(
      SELECT ip, name, rrtype, target, time_first, time_last, kind, source FROM address_names
      WHERE time_last >= ? AND time_first < ?
      ORDER BY ip, name, rrtype, target, kind)")
      .bind_all(from, to)
      .each([&](Statement& s) {
        fn(AddressNameRow{s.text(0), s.text(1), s.text(2), s.text(3), s.int64(4), s.int64(5),
                          s.text(6), s.text(7)});
      });
}

std::vector<std::string> Store::candidate_addresses(int64_t from, int64_t to) {
  std::vector<std::string> out;
  db_.cached(R"(
      SELECT a.ip FROM resolution_answers a
        JOIN resolutions r ON r.id = a.resolution_id JOIN names n ON n.id = r.name_id
        WHERE n.provider <> '' AND r.hour >= ?1 AND r.hour < ?2
      UNION
      SELECT p.rdata FROM pdns p JOIN names n ON n.name = p.rrname
        WHERE n.provider <> '' AND p.rrtype IN ('A', 'AAAA')
          AND p.time_last >= ?1 AND p.time_first < ?2
      UNION
      SELECT ip FROM address_names WHERE time_last >= ?1 AND time_first < ?2)")
      .bind_all(from, to)
      .each([&](Statement& s) { out.push_back(s.text(0)); });
  return out;
}

}  // namespace iotmap::db
