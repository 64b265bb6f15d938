// Schema versions and migrations (db/schema.h), through Database and Store.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>

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
  for (const char* table :
       {"runs", "vantage_points", "names", "name_sources", "resolutions", "resolution_answers",
        "pdns", "certificates", "cert_names", "tls_observations", "scan_checkpoints", "ip_verdicts",
        "domain_verdicts", "hitlist", "footprint", "fetches", "optout"})
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
