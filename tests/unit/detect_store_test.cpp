// Detections in the store (db schema version 6): a version 1 database migrates and takes them,
// a second write of a day replaces the first, and prune removes old days.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "db/check.h"
#include "db/prune.h"
#include "db/schema.h"
#include "db/store.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap::db;
using iotmap::test::TempDir;

namespace {

DetectionRow row(const std::string& subscriber, const std::string& service) {
  DetectionRow r;
  r.period = "day";
  r.subscriber = subscriber;
  r.service = service;
  r.level = "manufacturer";
  r.rule = "haystack";
  r.d = 0.4;
  r.matched = 2;
  r.primary_matched = 1;
  r.n = 5;
  r.threshold = 2;
  r.domains = {"a.example.", "b.example."};
  return r;
}

}  // namespace

TEST_CASE("a version 1 database migrates and stores detections", "[detect][db]") {
  TempDir dir;
  std::string path = dir.file("v1.db");
  {
    Database db(path);
    db.exec(iotmap::test::schema_v1_sql());
    db.exec("PRAGMA user_version = 1");
    db.exec(
        "INSERT INTO hitlist (date, provider, domain, ip, port, protocol, infrastructure, level, "
        "domain_class, sources) VALUES ('2026-03-01', 'tplink', 'devs.tplinkcloud.com.', "
        "'198.51.100.50', 443, 'https', 'dedicated', 'manufacturer', 'primary', 'active_dns')");
  }
  Store store(path);
  CHECK(stored_version(store.database()) == latest_version());
  CHECK(check(store.database()).ok());
  CHECK(store.hitlist("2026-03-01").size() == 1);  // the old day's hitlist is still there
  // Version 8's column: no catalogue entry stored for it, so readers fall back and say so.
  CHECK(store.hitlist("2026-03-01").at(0).entry.empty());
  CHECK(store.detections("2026-03-01").empty());
  CHECK_FALSE(store.detection_day("2026-03-01"));

  DetectionTrafficRow t{"tplink", 1, 3, 300, 4000, R"({"443":4300})"};
  DetectionDayRow day{10, 3, 1, "haystack", 0.4, "hash", 1772366400};
  auto hour = row("h:00112233aabbccdd", "tplink");
  hour.period = "2026-03-01T12";
  store.replace_detections("2026-03-01",
                           std::vector<DetectionRow>{row("h:00112233aabbccdd", "tplink"), hour},
                           std::vector<DetectionTrafficRow>{t}, day);
  auto back = store.detections("2026-03-01");
  REQUIRE(back.size() == 2);
  CHECK(back[0].period == "day");  // the day first, then the hours
  CHECK(back[0].domains == std::vector<std::string>{"a.example.", "b.example."});
  CHECK(back[0].d == 0.4);
  CHECK(back[1].period == "2026-03-01T12");
  CHECK(store.detections("2026-03-01", "day").size() == 1);
  CHECK(store.detection_traffic("2026-03-01").at(0).ports == R"({"443":4300})");
  CHECK(store.detection_day("2026-03-01")->scanners == 1);

  // A second run of the day replaces the first.
  store.replace_detections("2026-03-01", std::vector<DetectionRow>{row("h:ffff", "samsung")}, {},
                           day);
  back = store.detections("2026-03-01");
  REQUIRE(back.size() == 1);
  CHECK(back[0].service == "samsung");
  CHECK(store.detection_traffic("2026-03-01").empty());

  // prune drops detections with the other daily results.
  auto report = prune(store.database(), 1772366400 + 86400, false);
  CHECK(store.detections("2026-03-01").empty());
  CHECK_FALSE(store.detection_day("2026-03-01"));
  CHECK(report.total() >= 3);
}
