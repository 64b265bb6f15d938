// db prune and db size (db/prune.h): what goes, what stays, dry runs, the cutoff.
#include <catch2/catch.hpp>
#include <string>

#include "db/prune.h"
#include "db/store.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap::db;
using iotmap::test::a_resolution;
using iotmap::test::TempDir;

namespace {

constexpr int64_t kDay = 86400;
constexpr int64_t kToday = 1714521600;  // 2024-05-01T00:00:00Z

int64_t rows(Store& store, const std::string& sql) {
  int64_t n = -1;
  Statement(store.database(), sql).each([&](Statement& s) { n = s.int64(0); });
  return n;
}

std::string hex64(char c) { return std::string(64, c); }

CertificateRow cert(char c, int64_t first_seen) {
  CertificateRow r;
  r.sha256 = hex64(c);
  r.common_name = std::string("cert-") + c;
  r.first_seen = first_seen;
  return r;
}

TlsObservationRow observation(int64_t run, const std::string& ip, int64_t at,
                              const std::string& leaf, std::vector<std::string> chain) {
  TlsObservationRow o;
  o.run_id = run;
  o.ip = ip;
  o.port = 8883;
  o.observed_at = at;
  o.status = "ok";
  o.leaf_sha256 = leaf;
  o.chain = std::move(chain);
  return o;
}

// Ten days of data: day -9 (old) and day 0 (today) for every table prune touches.
void fill(Store& store) {
  RunInfo info;
  info.kind = "scan";
  int64_t old_run = store.begin_run(info);
  store.finish_run(old_run, "ok");
  int64_t new_run = store.begin_run(info);
  store.finish_run(new_run, "ok");
  const int64_t old_t = kToday - 9 * kDay + 3600, new_t = kToday + 3600;
  std::vector<ResolutionRow> res = {a_resolution(old_t, "a.example.com", "192.0.2.1"),
                                    a_resolution(new_t, "a.example.com", "192.0.2.2")};
  store.add_resolutions(res);
  // a: leaf only of an old observation; b: leaf of a new one; c: in the chain of a new one;
  // d: first seen today, never observed (kept: too recent); e: old, never observed.
  std::vector<CertificateRow> certs = {cert('a', old_t), cert('b', old_t), cert('c', old_t),
                                       cert('d', new_t), cert('e', old_t)};
  std::vector<TlsObservationRow> obs = {
      observation(old_run, "192.0.2.1", old_t, hex64('a'), {hex64('a')}),
      observation(new_run, "192.0.2.2", new_t, hex64('b'), {hex64('b'), hex64('c')})};
  store.add_tls_observations(obs, certs);
  std::vector<CertNameRow> names = {{hex64('a'), "a.example.com", ""},
                                    {hex64('e'), "e.example.com", ""}};
  store.add_cert_names(names);
  for (const char* date : {"2024-04-22", "2024-05-01"}) {
    std::vector<IpVerdictRow> v = {
        {"192.0.2.1", "aws", "dedicated", "dedicated", "", 1, 0, 1, 1, "", {}}};
    store.replace_ip_verdicts(date, v);
    std::vector<HitlistRow> h = {{"aws",
                                  "example.com",
                                  "192.0.2.1",
                                  8883,
                                  "mqtt",
                                  "dedicated",
                                  "backend",
                                  "primary",
                                  "",
                                  {},
                                  {},
                                  "example.com."}};
    store.replace_hitlist(date, h);
    std::vector<FootprintRow> f = {{"aws", 1, 0, 1, 1, 0, "PR", "{}"}};
    store.replace_footprint(date, f);
  }
}

}  // namespace

TEST_CASE("keep_cutoff is 00:00 UTC N days before today", "[ops][prune]") {
  CHECK(keep_cutoff(0, kToday + 5000) == kToday);
  CHECK(keep_cutoff(7, kToday + 5000) == kToday - 7 * kDay);
  CHECK(keep_cutoff(1, kToday) == kToday - kDay);
}

TEST_CASE("prune deletes old measurements and keeps referenced certificates", "[ops][prune]") {
  TempDir dir;
  Store store(dir.file("p.db"));
  fill(store);
  REQUIRE(rows(store, "SELECT count(*) FROM resolutions") == 2);
  REQUIRE(rows(store, "SELECT count(*) FROM certificates") == 5);

  SECTION("a dry run counts and deletes nothing") {
    PruneReport r = prune(store.database(), keep_cutoff(7, kToday + 100), true);
    CHECK(r.dry_run);
    CHECK(r.cutoff_date == "2024-04-24");
    CHECK(r.total() > 0);
    CHECK(rows(store, "SELECT count(*) FROM resolutions") == 2);
    CHECK(rows(store, "SELECT count(*) FROM certificates") == 5);
    CHECK(rows(store, "SELECT count(*) FROM hitlist") == 2);
  }

  SECTION("keeping 7 days drops day -9 only") {
    PruneReport r = prune(store.database(), keep_cutoff(7, kToday + 100));
    std::map<std::string, int64_t> d(r.deleted.begin(), r.deleted.end());
    CHECK(d["resolutions"] == 1);
    CHECK(d["resolution_answers"] == 1);
    CHECK(d["tls_observations"] == 1);
    CHECK(d["ip_verdicts"] == 1);
    CHECK(d["hitlist"] == 1);
    CHECK(d["footprint"] == 1);
    CHECK(d["certificates"] == 2);  // a (only the old observation used it) and e (never used)
    CHECK(d["cert_names"] == 2);
    CHECK(rows(store, "SELECT count(*) FROM resolutions") == 1);
    CHECK(rows(store, "SELECT count(*) FROM resolution_answers") == 1);
    CHECK(rows(store, "SELECT min(hour) FROM resolutions") == kToday + 3600);
    CHECK(rows(store, "SELECT count(*) FROM tls_observations") == 1);
    // b is a leaf, c only in a chain, d is too recent: all three stay
    CHECK(rows(store, "SELECT count(*) FROM certificates WHERE sha256 IN ('" + hex64('b') + "','" +
                          hex64('c') + "','" + hex64('d') + "')") == 3);
    CHECK(rows(store, "SELECT count(*) FROM hitlist WHERE date = '2024-05-01'") == 1);
    CHECK(rows(store, "SELECT count(*) FROM footprint") == 1);
    // names, runs and vantage points stay
    CHECK(rows(store, "SELECT count(*) FROM names") == 1);
    CHECK(rows(store, "SELECT count(*) FROM runs") == 2);
    // the database is still sound and a second prune finds nothing
    CHECK(prune(store.database(), keep_cutoff(7, kToday + 100)).total() == 0);
    int fk_problems = 0;
    Statement(store.database(), "PRAGMA foreign_key_check").each([&](Statement&) {
      ++fk_problems;
    });
    CHECK(fk_problems == 0);
  }

  SECTION("keeping 0 days drops everything before today") {
    prune(store.database(), keep_cutoff(0, kToday + 100));
    CHECK(rows(store, "SELECT count(*) FROM resolutions") == 1);
    CHECK(rows(store, "SELECT count(*) FROM hitlist") == 1);
  }
}

TEST_CASE("size_report counts rows per table and the file", "[ops][size]") {
  TempDir dir;
  Store store(dir.file("s.db"));
  fill(store);
  SizeReport r = size_report(store.database());
  CHECK(r.page_size > 0);
  CHECK(r.page_count > 0);
  CHECK(r.file_bytes > 0);
  bool found = false;
  for (const auto& t : r.tables) {
    if (t.name != "certificates") continue;
    found = true;
    CHECK(t.rows == 5);
    CHECK(t.bytes != 0);
  }
  CHECK(found);
}
