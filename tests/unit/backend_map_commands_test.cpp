// `iotmap classify` and `iotmap report footprint` end to end on a small store: the CDN address
// is shared, the provider's own address dedicated, and the report renders.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "db/store.h"
#include "lib/date.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap;

using iotmap::test::a_resolution;
using iotmap::test::read_text;

TEST_CASE("classify and report footprint from a store", "[backend_map]") {
  auto dir = std::filesystem::temp_directory_path() / ("iotmap-bm-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string db_path = (dir / "iotmap.db").string();
  const int64_t day = int64_t{*iotmap::parse_date("2022-02-28")} * 86400;
  {
    db::Store store(db_path);
    std::vector<db::ResolutionRow> rows = {
        a_resolution(day, "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.", "198.51.100.10"),
        a_resolution(day + 3600, "d3cdnabc-ats.iot.eu-west-1.amazonaws.com.", "203.0.113.200",
                     {"edge.cdn.example."}),
        a_resolution(day + 86400, "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.",
                     "198.51.100.10"),
    };
    store.add_resolutions(rows);
    std::vector<db::PdnsRow> pdns = {
        {"www.shop-alpha.test.", "CNAME", "edge.cdn.example.", day, day + 86400, "test"},
        {"edge.cdn.example.", "A", "203.0.113.200", day, day + 86400, "test"},
    };
    store.upsert_pdns(pdns);
    db::RunInfo scan;
    scan.kind = "scan";
    scan.covers = "2022-02-28";
    scan.started_at = day + 7200;
    int64_t run = store.begin_run(scan);
    db::CertificateRow cert;
    cert.sha256 = std::string(64, 'a');
    cert.common_name = "*.iot.us-east-1.amazonaws.com";
    cert.dns_sans = {"*.iot.us-east-1.amazonaws.com", "iot.us-east-1.amazonaws.com"};
    cert.der = {1, 2, 3};
    cert.first_seen = day + 7200;
    db::TlsObservationRow obs;
    obs.run_id = run;
    obs.ip = "198.51.100.10";
    obs.port = 8883;
    obs.observed_at = day + 7200;
    obs.status = "ok";
    obs.tls_version = "TLSv1.3";
    obs.leaf_sha256 = cert.sha256;
    obs.chain = {cert.sha256};
    obs.protocol = "mqtt";
    store.add_tls_observations(std::vector<db::TlsObservationRow>{obs},
                               std::vector<db::CertificateRow>{cert});
    store.finish_run(run, "ok");
  }
  const std::string iotmap = IOTMAP_BINARY;
  const std::string base = iotmap + " --db " + db_path + " ";
  REQUIRE(
      std::system((base + "classify --date 2022-03-01 --window 2 > " + (dir / "out.txt").string())
                      .c_str()) == 0);
  INFO(read_text((dir / "out.txt").string()));

  db::Store store(db_path);
  auto hitlist = store.hitlist("2022-03-01");
  // The dedicated name on the port that answered; the CDN name with AWS's documented ports.
  REQUIRE(hitlist.size() >= 2);
  size_t own_rows = 0;
  bool own = false, cdn = false;
  for (const auto& r : hitlist) {
    if (r.ip == "198.51.100.10") {
      own = true;
      ++own_rows;
      CHECK(r.provider == "aws");
      CHECK(r.domain == "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.");
      CHECK(r.port == 8883);
      CHECK(r.protocol == "mqtt");
      CHECK(r.infrastructure == "dedicated");
      CHECK(r.sources == "active_dns");  // the wildcard certificate does not name the domain
      CHECK(r.first_seen == day);
      CHECK(r.last_seen == day + 86400);
    } else {
      cdn = true;
      CHECK(r.ip == "203.0.113.200");
      CHECK(r.infrastructure == "shared");
    }
  }
  CHECK(own);
  CHECK(own_rows == 1);
  CHECK(cdn);
  auto footprint = store.footprint("2022-03-01");
  REQUIRE(footprint.size() == 1);
  CHECK(footprint[0].provider == "aws");
  CHECK(footprint[0].ipv4 == 2);

  const std::string html = (dir / "footprint.html").string();
  REQUIRE(
      std::system(
          (base + "report footprint --date 2022-03-01 --window 2 --format html --output " + html)
              .c_str()) == 0);
  std::string page = read_text(html);
  CHECK(page.find("<svg") != std::string::npos);
  CHECK(page.find("Amazon") != std::string::npos);
  CHECK(std::system((base + "classify --date 2022-13-01 2>/dev/null").c_str()) != 0);
  std::filesystem::remove_all(dir);
}
