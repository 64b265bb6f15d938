// Device certificates and certificate imports in the store (db schema version 7): a version 1
// database migrates and takes them, a second sighting widens the day's row, a stream imported
// twice can be taken back, and prune removes old days.
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

const std::string kLeaf(64, 'a');
constexpr int64_t kDay = 1772366400;  // 2026-03-01

DeviceCertificateRow device(int64_t t, std::optional<int64_t> run_id) {
  return {utc_date(t), "2001:DB8::1", 443, kLeaf, "Hikvision", "", "self", "scan", t, t, run_id};
}

int64_t run_of(Store& store, const char* kind) {
  RunInfo info;
  info.kind = kind;
  return store.begin_run(info);
}

}  // namespace

TEST_CASE("a version 1 database migrates and stores device certificates", "[db][devices]") {
  TempDir dir;
  std::string path = dir.file("v1.db");
  {
    Database db(path);
    db.exec(iotmap::test::schema_v1_sql());
    db.exec("PRAGMA user_version = 1");
  }
  Store store(path);
  CHECK(stored_version(store.database()) == latest_version());
  CHECK(check(store.database()).ok());
  int64_t run = run_of(store, "scan");
  store.add_device_certificates(std::vector<DeviceCertificateRow>{device(kDay + 3600, run)});
  // Seen again later that day by an import: one row, widened; the first source and run stay.
  auto again = device(kDay + 7200, std::nullopt);
  again.source = "import";
  store.add_device_certificates(std::vector<DeviceCertificateRow>{again, device(kDay + 60, run)});
  auto rows = store.device_certificates("2026-03-01");
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].ip == "2001:db8::1");  // canonical
  CHECK(rows[0].first_seen == kDay + 60);
  CHECK(rows[0].last_seen == kDay + 7200);
  CHECK(rows[0].source == "scan");
  CHECK(rows[0].run_id == run);
  CHECK(store.device_certificates("2026-03-02").empty());
  // The table checks who signed.
  auto bad = device(kDay, run);
  bad.signer = "someone";
  CHECK_THROWS(store.add_device_certificates(std::vector<DeviceCertificateRow>{bad}));

  auto report = prune(store.database(), kDay + 86400, false);
  CHECK(store.device_certificates("2026-03-01").empty());
  CHECK(report.total() >= 1);
}

TEST_CASE("certificate imports are found by digest and format, and a run's rows can be removed",
          "[db][devices]") {
  TempDir dir;
  Store store(dir.file("imports.db"));
  int64_t run = run_of(store, "import");
  const std::string digest(64, 'f');
  CHECK_FALSE(store.cert_import(digest, "zgrab2"));
  store.record_cert_import(
      {digest, "zgrab2", "/data/scan.json.gz", 1234, kDay, {{"records", 7}}, run});
  auto got = store.cert_import(digest, "zgrab2");
  REQUIRE(got);
  CHECK(got->path == "/data/scan.json.gz");
  CHECK(got->counts.at("records") == 7);
  CHECK(got->run_id == run);
  CHECK_FALSE(store.cert_import(digest, "censys"));

  CertificateRow cert;
  cert.sha256 = kLeaf;
  TlsObservationRow obs;
  obs.run_id = run;
  obs.ip = "192.0.2.7";
  obs.port = 8883;
  obs.observed_at = kDay;
  obs.status = "cert_only";
  obs.leaf_sha256 = kLeaf;
  obs.chain = {kLeaf};
  CHECK(store.add_import_batch(std::vector<TlsObservationRow>{obs},
                               std::vector<CertificateRow>{cert}, {},
                               std::vector<DeviceCertificateRow>{device(kDay, run)}) == 1);
  CHECK(store.remove_run_observations(run) == 2);
  CHECK(store.device_certificates("2026-03-01").empty());
  int n = 0;
  store.for_each_tls_observation(0, kDay + 86400, [&](const TlsObservationRow&) { ++n; });
  CHECK(n == 0);
}

TEST_CASE("imported provider addresses: import runs only, leaf valid on the record's day",
          "[db][devices]") {
  TempDir dir;
  Store store(dir.file("targets.db"));
  const int64_t imported = run_of(store, "import");
  const int64_t scanned = run_of(store, "scan");
  auto cert = [](char c, int64_t not_after) {
    CertificateRow r;
    r.sha256 = std::string(64, c);
    r.not_before = kDay - 86400;
    r.not_after = not_after;
    return r;
  };
  // kDay is 12:00 UTC: 'b' expired at 23:00 the day before, 'd' was issued at 23:00 the day of
  // the records (12:01), which is enough (certs::valid_on_day).
  std::vector<CertificateRow> certs{cert('a', kDay + 86400), cert('b', kDay - 13 * 3600),
                                    cert('c', kDay + 86400), cert('d', kDay + 86400)};
  certs.back().not_before = kDay + 11 * 3600;
  auto obs = [](int64_t run, const char* ip, char leaf) {
    TlsObservationRow o;
    o.run_id = run;
    o.ip = ip;
    o.port = 8883;
    o.observed_at = kDay + 60;
    o.status = "cert_only";
    o.leaf_sha256 = std::string(64, leaf);
    return o;
  };
  store.add_import_batch(
      std::vector<TlsObservationRow>{obs(imported, "192.0.2.1", 'a'),
                                     obs(imported, "192.0.2.2", 'b'),   // expired by then
                                     obs(imported, "192.0.2.3", 'c'),   // no provider name
                                     obs(scanned, "192.0.2.4", 'a'),    // a scan's: has its own
                                     obs(imported, "192.0.2.5", 'd')},  // valid later that day
      certs,
      std::vector<CertNameRow>{{std::string(64, 'a'), "x.iot.eu-west-1.amazonaws.com", "aws"},
                               {std::string(64, 'b'), "y.iot.eu-west-1.amazonaws.com", "aws"},
                               {std::string(64, 'c'), "www.example.org", ""},
                               {std::string(64, 'd'), "z.iot.eu-west-1.amazonaws.com", "aws"}},
      {});
  std::vector<std::string> got;
  store.for_each_imported_provider_address(
      kDay, kDay + 86400, [&](std::string_view ip, std::string_view name) {
        got.push_back(std::string(ip) + " " + std::string(name));
      });
  CHECK(got == std::vector<std::string>{"192.0.2.1 x.iot.eu-west-1.amazonaws.com.",
                                        "192.0.2.5 z.iot.eu-west-1.amazonaws.com."});
  got.clear();
  store.for_each_imported_provider_address(
      kDay + 86400, kDay + 2 * 86400,
      [&](std::string_view ip, std::string_view) { got.emplace_back(ip); });
  CHECK(got.empty());  // outside the window
}
