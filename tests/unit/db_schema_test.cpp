// Schema versions and migrations (db/schema.h), through Database and Store.
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "db/check.h"
#include "db/schema.h"
#include "db/store.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap::db;
using iotmap::test::TempDir;

namespace {

std::set<std::string> schema_objects(Database& db) {
  std::set<std::string> out;
  Statement(db, "SELECT type || ' ' || name FROM sqlite_schema").each([&](Statement& s) {
    out.insert(s.text(0));
  });
  return out;
}

}  // namespace

TEST_CASE("an empty database migrates to the latest version with every table", "[db]") {
  TempDir dir;
  Database db(dir.file("empty.db"));
  CHECK(stored_version(db) == 0);
  Migration m = migrate(db);
  CHECK(m.from == 0);
  CHECK(m.to == latest_version());
  CHECK(stored_version(db) == latest_version());
  auto objects = schema_objects(db);
  for (const char* table : {"runs",
                            "vantage_points",
                            "names",
                            "name_sources",
                            "resolutions",
                            "resolution_answers",
                            "pdns",
                            "certificates",
                            "cert_names",
                            "tls_observations",
                            "scan_checkpoints",
                            "ip_verdicts",
                            "domain_verdicts",
                            "hitlist",
                            "footprint",
                            "fetches",
                            "optout",
                            "pdns_files",
                            "address_names",
                            "detections",
                            "device_certificates",
                            "cert_imports"})
    CHECK(objects.count(std::string("table ") + table) == 1);
  CHECK(objects.count("index resolution_answers_ip") == 1);
  CHECK(objects.count("view resolutions_readable") == 1);
  CHECK(check(db).ok());
}

TEST_CASE("reopening a migrated database changes nothing", "[db]") {
  TempDir dir;
  std::string path = dir.file("again.db");
  std::set<std::string> first;
  {
    Store store(path);
    first = schema_objects(store.database());
  }
  Store store(path);
  CHECK(schema_objects(store.database()) == first);
  Migration m = migrate(store.database());
  CHECK(m.from == latest_version());
  CHECK(m.to == latest_version());
}

TEST_CASE("a database newer than this binary is refused with a clear error", "[db]") {
  TempDir dir;
  std::string path = dir.file("newer.db");
  {
    Store store(path);
    store.database().exec("PRAGMA user_version = " + std::to_string(latest_version() + 1));
  }
  CHECK_THROWS_WITH(Store(path), Catch::StartsWith(path + ": schema version ") &&
                                     Catch::Contains("newer than this iotmap knows"));
}

TEST_CASE("a damaged database is reported, naming the file", "[db]") {
  TempDir dir;
  std::string path = dir.file("damaged.db");
  {
    Store store(path);
    store.upsert_names(std::vector<NameRow>{{"a.example", "p", "", "cli", 1}});
    // Fold the WAL into the file so that the damage below hits real content.
    store.database().exec("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE");
  }
  {
    // Keep the 100-byte header (so it still looks like SQLite) and overwrite everything after.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    std::string junk(8000, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  CHECK_THROWS_WITH(Store(path), Catch::StartsWith(path + ": ") && Catch::Contains("malformed"));
}

TEST_CASE("a version 1 database migrates to the latest version keeping its rows", "[db]") {
  TempDir dir;
  std::string path = dir.file("v1.db");
  {
    Database db(path);
    db.exec(iotmap::test::schema_v1_sql());
    db.exec("PRAGMA user_version = 1");
    // Rows as a version 1 binary wrote them: a resolution with a CNAME chain and answers, and
    // an error row.
    db.exec(R"sql(
INSERT INTO runs (id, kind, started_at, status) VALUES (7, 'hourly', 1700000000, 'ok');
INSERT INTO vantage_points (id, name) VALUES (1, 'lab');
INSERT INTO names (id, name, provider) VALUES (1, 'mqtt.example.com.', 'aws'),
                                              (2, 'gone.example.com.', 'aws');
INSERT INTO resolutions (id, hour, name_id, qtype, vantage_id, status, rcode, cname_chain,
                         min_ttl, resolver, rtt_ms, resolved_at, run_id)
  VALUES (1, 1699999200, 1, 'A', 1, 'NOERROR', 0, '["edge.example.net."]', 60,
          '192.0.2.53:53', 12.5, 1700000001, 7),
         (2, 1699999200, 2, 'A', 1, 'NXDOMAIN', 3, '[]', NULL, '192.0.2.53:53', 3.0,
          1700000002, 7);
INSERT INTO resolution_answers (resolution_id, ip, ttl) VALUES (1, '192.0.2.10', 60),
                                                               (1, '192.0.2.11', 300);
)sql");
  }

  Store store(path);
  CHECK(stored_version(store.database()) == latest_version());
  CHECK(check(store.database()).ok());
  // Version 3's table starts empty: every passive-DNS file is read again once.
  CHECK_FALSE(store.pdns_file("/any/file.jsonl"));
  // Version 4's table starts empty and takes rows; the old resolution's answers are candidate
  // addresses (its name is a provider's).
  CHECK(store.candidate_addresses(0, INT64_MAX) ==
        std::vector<std::string>{"192.0.2.10", "192.0.2.11"});
  store.upsert_address_names(std::vector<AddressNameRow>{
      {"192.0.2.10", "Shop.Example.ORG", "A", "", 1699999000, 1700000000, "pdns", "f.jsonl"},
      {"192.0.2.10", "shop.example.org", "A", "", 1699990000, 1699999500, "pdns", "g.jsonl"}});
  std::vector<AddressNameRow> evidence;
  store.for_each_address_name(1699999200, 1699999200 + 3600,
                              [&](const AddressNameRow& r) { evidence.push_back(r); });
  REQUIRE(evidence.size() == 1);  // one record, widened, under the first import's source
  CHECK(evidence[0].name == "shop.example.org.");
  CHECK(evidence[0].time_first == 1699990000);
  CHECK(evidence[0].time_last == 1700000000);
  CHECK(evidence[0].source == "f.jsonl");

  std::vector<ResolutionRow> old;
  store.for_each_resolution(1699999200, 1699999200 + 3600,
                            [&](const ResolutionRow& r) { old.push_back(r); });
  REQUIRE(old.size() == 2);
  const ResolutionRow& a = old[0].name == "mqtt.example.com." ? old[0] : old[1];
  const ResolutionRow& nx = old[0].name == "mqtt.example.com." ? old[1] : old[0];
  CHECK(a.status == "NOERROR");
  CHECK(a.cname_chain == std::vector<std::string>{"edge.example.net."});
  REQUIRE(a.answers.size() == 2);
  CHECK(a.answers[0].ip == "192.0.2.10");
  CHECK(a.answers[1].ttl == 300);
  CHECK(a.min_ttl == 60);
  CHECK(a.rtt_ms == 12.5);
  CHECK(a.run_id == 7);
  CHECK(nx.status == "NXDOMAIN");
  CHECK(nx.rcode == 3);
  CHECK(nx.answers.empty());
  // The columns version 2 added hold their defaults on the old rows.
  for (const ResolutionRow* r : {&a, &nx}) {
    CHECK(r->ecs.empty());
    CHECK_FALSE(r->ecs_scope);
    CHECK(r->cname_ttls.empty());
    CHECK(r->detail.empty());
  }
  std::vector<std::string> raw;
  Statement(store.database(),
            "SELECT ecs || '|' || ifnull(ecs_scope, 'null') || '|' || cname_ttls || '|' || "
            "detail FROM resolutions ORDER BY id")
      .each([&](Statement& s) { raw.push_back(s.text(0)); });
  CHECK(raw == std::vector<std::string>{"|null|[]|", "|null|[]|"});

  // A new row with the version 2 fields goes in and comes back.
  ResolutionRow fresh;
  fresh.hour = 1699999200 + 3600;
  fresh.name = "mqtt.example.com.";
  fresh.qtype = "A";
  fresh.vantage = "lab";
  fresh.status = "NOERROR";
  fresh.rcode = 0;
  fresh.cname_chain = {"edge.example.net."};
  fresh.cname_ttls = {30};
  fresh.answers = {{"192.0.2.12", 20}};
  fresh.resolved_at = fresh.hour + 5;
  fresh.ecs = "198.51.100.0/24";
  fresh.ecs_scope = 20;
  fresh.detail = "answered after one retry";
  CHECK(store.add_resolutions(std::vector<ResolutionRow>{fresh}) == 1);
  std::vector<ResolutionRow> back;
  store.for_each_resolution(fresh.hour, fresh.hour + 3600,
                            [&](const ResolutionRow& r) { back.push_back(r); });
  REQUIRE(back.size() == 1);
  CHECK(back[0].ecs == "198.51.100.0/24");
  CHECK(back[0].ecs_scope == 20);
  CHECK(back[0].cname_ttls == std::vector<int64_t>{30});
  CHECK(back[0].detail == "answered after one retry");
  CHECK(back[0].answers.at(0).ip == "192.0.2.12");

  // The shell view shows the new columns for old and new rows alike.
  int64_t view_rows = 0;
  Statement(store.database(), "SELECT count(*) FROM resolutions_readable WHERE cname_ttls <> ''")
      .each([&](Statement& s) { view_rows = s.int64(0); });
  CHECK(view_rows == 3);
}
