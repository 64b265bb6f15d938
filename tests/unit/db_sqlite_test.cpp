// The RAII SQLite layer (db/sqlite.h): connection settings, statements, transactions, errors.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "db/sqlite.h"
#include "tests/unit/db_test_support.h"

using iotmap::db::Database;
using iotmap::db::Error;
using iotmap::db::Statement;
using iotmap::db::Transaction;
using iotmap::test::TempDir;

namespace {

std::string pragma(Database& db, const char* name) {
  std::string value;
  Statement(db, std::string("PRAGMA ") + name).each([&](Statement& s) { value = s.text(0); });
  return value;
}

int64_t count(Database& db, const std::string& table) {
  int64_t n = -1;
  Statement(db, "SELECT count(*) FROM " + table).each([&](Statement& s) { n = s.int64(0); });
  return n;
}

}  // namespace

TEST_CASE("a database opens with WAL, foreign keys, busy timeout and synchronous=NORMAL", "[db]") {
  TempDir dir;
  Database db(dir.file("a/b/settings.db"));  // parent directories are created
  CHECK(pragma(db, "journal_mode") == "wal");
  CHECK(pragma(db, "foreign_keys") == "1");
  CHECK(pragma(db, "busy_timeout") == "10000");
  CHECK(pragma(db, "synchronous") == "1");  // NORMAL
  CHECK(std::filesystem::exists(dir.file("a/b/settings.db")));
}

TEST_CASE("statements bind by index and name and read every column type", "[db]") {
  TempDir dir;
  Database db(dir.file("stmt.db"));
  db.exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n INTEGER)");
  Statement insert(db, "INSERT INTO t VALUES (:i, :r, :s, :b, :n)");
  const std::vector<uint8_t> blob{0, 1, 2, 255};
  insert.bind(":i", int64_t{1} << 40).bind(":r", 2.5).bind(":s", std::string("x'y"));
  insert.bind(":b", blob).bind(":n", std::optional<int>{});
  insert.run();
  insert.bind_all(7, 0.5, "second", std::vector<uint8_t>{}, std::optional<int>{3}).run();
  CHECK_THROWS_WITH(insert.bind(":missing", 1), Catch::Contains("no parameter named :missing"));

  std::vector<std::string> seen;
  Statement(db, "SELECT i, r, s, b, n FROM t ORDER BY i DESC").each([&](Statement& s) {
    seen.push_back(std::to_string(s.int64(0)) + " " + std::to_string(s.real(1)) + " " + s.text(2) +
                   " " + std::to_string(s.blob(3).size()) + " " +
                   (s.is_null(4) ? "null" : std::to_string(*s.optional_int64(4))));
  });
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "1099511627776 2.500000 x'y 4 null");
  CHECK(seen[1] == "7 0.500000 second 0 3");
}

TEST_CASE("cached statements are prepared once and come back reset", "[db]") {
  TempDir dir;
  Database db(dir.file("cache.db"));
  Statement& a = db.cached("SELECT 1 UNION ALL SELECT 2");
  CHECK(a.step());  // left half-way: the next cached() must start it over
  Statement& b = db.cached("SELECT 1 UNION ALL SELECT 2");
  CHECK(&a == &b);
  int rows = 0;
  b.each([&](Statement&) { ++rows; });
  CHECK(rows == 2);
}

TEST_CASE("a transaction rolls back unless committed, also on exception", "[db]") {
  TempDir dir;
  Database db(dir.file("tx.db"));
  db.exec("CREATE TABLE t (x INTEGER)");
  try {
    Transaction tx(db, "test");
    db.exec("INSERT INTO t VALUES (1)");
    db.exec("INSERT INTO t VALUES (2)");
    throw std::runtime_error("half-way");
  } catch (const std::runtime_error&) {
  }
  CHECK(count(db, "t") == 0);
  {
    Transaction tx(db, "test");
    db.exec("INSERT INTO t VALUES (3)");
    tx.commit();
  }
  CHECK(count(db, "t") == 1);
}

TEST_CASE("errors name the file, the statement and SQLite's message", "[db]") {
  TempDir dir;
  std::string path = dir.file("errors.db");
  Database db(path);
  db.exec("CREATE TABLE t (x INTEGER NOT NULL UNIQUE)");
  CHECK_THROWS_WITH(Statement(db, "SELECT nope FROM t"),
                    Catch::Contains(path) && Catch::Contains("no such column: nope"));
  Statement insert(db, "INSERT INTO t(x) VALUES (?)");
  insert.bind(1, 1).run();
  CHECK_THROWS_WITH(insert.bind(1, 1).run(),
                    Catch::StartsWith(path + ": INSERT INTO t: UNIQUE constraint failed: t.x"));
  // The statement is usable again after a failure.
  insert.bind(1, 2).run();
  CHECK(count(db, "t") == 2);
}

TEST_CASE("a file that is not SQLite, or a missing one, is an error naming the file", "[db]") {
  TempDir dir;
  std::string garbage = dir.file("garbage.db");
  std::ofstream(garbage) << std::string(5000, 'x');
  CHECK_THROWS_WITH(Database(garbage),
                    Catch::StartsWith(garbage + ": ") && Catch::Contains("file is not a database"));
  std::string missing = dir.file("missing.db");
  CHECK_THROWS_WITH(Database(missing, {.create = false}),
                    Catch::StartsWith(missing + ": ") && Catch::Contains("no such database"));
  CHECK_FALSE(std::filesystem::exists(missing));
  // A directory where the file should be.
  std::filesystem::create_directory(dir.file("dir.db"));
  CHECK_THROWS_WITH(Database(dir.file("dir.db")), Catch::StartsWith(dir.file("dir.db") + ": "));
}

TEST_CASE("an SQLite file of another program is refused and left unchanged", "[db]") {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "CREATE TABLE notes(x); INSERT INTO notes VALUES ('mine')", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  auto bytes = [&] {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  const std::string before = bytes();
  CHECK_THROWS_WITH(Database(path), Catch::StartsWith(path + ": ") &&
                                        Catch::Contains("not an iotmap one") &&
                                        Catch::Contains("left unchanged"));
  CHECK_THROWS_WITH(Database(path, {.read_only = true}), Catch::Contains("not an iotmap one"));
  CHECK(bytes() == before);  // not switched to WAL: the header's version bytes are as they were
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_CASE("a read-only open neither creates a file nor changes the journal mode", "[db]") {
  TempDir dir;
  const std::string path = dir.file("ro.db");
  CHECK_THROWS_WITH(Database(path, {.read_only = true}), Catch::Contains("no such database file"));
  CHECK_FALSE(std::filesystem::exists(path));
  {
    Database db(path);
    db.exec("PRAGMA journal_mode = DELETE; PRAGMA user_version = 1; CREATE TABLE t(x)");
  }
  Database db(path, {.read_only = true});
  CHECK(pragma(db, "journal_mode") == "delete");
  CHECK_THROWS_WITH(db.exec("INSERT INTO t VALUES (1)"), Catch::Contains("readonly"));
}

TEST_CASE("an open never sees tables without their schema version while another process commits",
          "[db]") {
  // A cron job that opens the database while another one creates it must see either the empty
  // file or the tables with their version, never the tables of a step whose version it read
  // before the commit (the scan cli's SIGKILL case met this as "not an iotmap one").
  TempDir dir;
  const std::string path = dir.file("racing.db");
  Database(path).exec("PRAGMA user_version = 0");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    Database db(path);
    while (!stop) {
      db.exec("BEGIN IMMEDIATE; CREATE TABLE t(x); PRAGMA user_version = 1; COMMIT");
      db.exec("BEGIN IMMEDIATE; DROP TABLE t; PRAGMA user_version = 0; COMMIT");
    }
  });
  int refused = 0, opened = 0;
  std::string first_error;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (std::chrono::steady_clock::now() < until) {
    try {
      Database reader(path, {.read_only = true});
      ++opened;
    } catch (const Error& e) {
      if (refused++ == 0) first_error = e.what();
    }
  }
  stop = true;
  writer.join();
  INFO("opened " << opened << "; first refusal: " << first_error);
  CHECK(opened > 100);
  CHECK(refused == 0);
}
