// `iotmap detect` and `export hitlist --format rules` on an old day after the catalogue changed
// (docs/detect.md): classify stores each hitlist name's catalogue entry, so that an old day keeps
// its own grouping and N, and a new day gets the new catalogue's. Days classified before entries
// were stored fall back to the current catalogue and say so.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "db/store.h"
#include "lib/date.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap;
using iotmap::test::a_resolution;
using iotmap::test::read_text;
using iotmap::test::TempDir;
using iotmap::test::write_text;

namespace {

// The service as catalogue A has it: three names, three domains of N.
constexpr const char* kCatalogueA = R"(
[[service]]
id = "numbered"
name = "Numbered"
level = "manufacturer"
docs = ["https://numbered.example/"]
ports = [{ port = 443, protocol = "https", tls = true }]
domains = [{ name = "a1.numbered.example" }, { name = "a2.numbered.example" },
           { name = "openapi.numbered.example" }]
)";
// Catalogue B: a1 became the pattern a#, which takes a2 too: two domains of N.
constexpr const char* kCatalogueB = R"(
[[service]]
id = "numbered"
name = "Numbered"
level = "manufacturer"
digit_wildcard = true
docs = ["https://numbered.example/"]
ports = [{ port = 443, protocol = "https", tls = true }]
domains = [{ name = "a1.numbered.example" }, { name = "openapi.numbered.example" }]
)";

// "n|matched|threshold" of the day's detections of the service.
std::string day_counts(const std::string& db_path, const std::string& date) {
  db::Store store(db_path, {.create = false});
  std::string out;
  for (const auto& r : store.detections(date, "day"))
    out += std::to_string(r.n) + '|' + std::to_string(r.matched) + '|' +
           std::to_string(r.threshold) + '\n';
  return out;
}

}  // namespace

TEST_CASE("detect and the rules export count an old day's N with that day's catalogue",
          "[detect]") {
  TempDir dir;
  const std::string db_path = dir.file("t.db");
  const int64_t day1 = int64_t{*parse_date("2026-03-01")} * 86400;
  {
    db::Store store(db_path);
    std::vector<db::ResolutionRow> rows;
    for (int64_t day : {day1, day1 + 86400}) {
      rows.push_back(a_resolution(day, "a1.numbered.example.", "198.51.100.71"));
      rows.push_back(a_resolution(day, "a2.numbered.example.", "198.51.100.72"));
      rows.push_back(a_resolution(day, "openapi.numbered.example.", "198.51.100.80"));
    }
    store.add_resolutions(rows);
  }
  for (const char* c : {"A", "B"}) {
    write_text(dir.file(std::string("catalogue") + c + ".toml"),
               c[0] == 'A' ? kCatalogueA : kCatalogueB);
    write_text(
        dir.file(std::string("config") + c + ".toml"),
        "[catalogue]\nfile = \"" + dir.file(std::string("catalogue") + c + ".toml") + "\"\n");
  }
  const std::string run = "IOTMAP_DETECT_KEY=k3y-of-the-test-0123456789 " +
                          std::string(IOTMAP_BINARY) + " --db " + db_path + " --config ";
  const std::string quiet = " >/dev/null 2>" + dir.file("err.txt");
  // Day 1 classified with catalogue A; then the catalogue changes and day 2 is classified.
  REQUIRE(std::system(
              (run + dir.file("configA.toml") + " classify --date 2026-03-01 --window 1" + quiet)
                  .c_str()) == 0);
  REQUIRE(std::system(
              (run + dir.file("configB.toml") + " classify --date 2026-03-02 --window 1" + quiet)
                  .c_str()) == 0);

  // One line reaches a1 and a2 on each day. D = 0.7: day 1 has N = 3 (threshold 2, matched 2),
  // day 2 N = 2 (a#, openapi: threshold 1, a1 and a2 are one domain: matched 1).
  const std::string hdr = "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt\n";
  std::string flows = hdr;
  for (const char* d : {"2026-03-01", "2026-03-02"})
    for (const char* ip : {"198.51.100.71", "198.51.100.72"})
      flows += std::string(d) + " 10:00:01," + d + " 10:00:02,1.0,10.0.3.2," + ip +
               ",40001,443,TCP,.AP.SF,0,0,10,1500,0,0\n";
  write_text(dir.file("flows.csv"), flows);
  const std::string detect =
      run + dir.file("configB.toml") + " detect --d 0.7 " + dir.file("flows.csv") + quiet;
  REQUIRE(std::system(detect.c_str()) == 0);
  INFO(read_text(dir.file("err.txt")));
  CHECK(day_counts(db_path, "2026-03-01") == "3|2|2\n");
  CHECK(day_counts(db_path, "2026-03-02") == "2|1|1\n");
  CHECK(read_text(dir.file("err.txt")).find("current catalogue") == std::string::npos);

  auto rules = [&](const char* date) {
    const std::string out = dir.file("rules.json");
    REQUIRE(std::system((run + dir.file("configB.toml") + " export hitlist --format rules --date " +
                         date + " --output " + out + quiet)
                            .c_str()) == 0);
    return nlohmann::json::parse(read_text(out)).at("providers").at(0);
  };
  auto p = rules("2026-03-01");
  CHECK(p.at("N") == 3);
  CHECK(p.at("domains").at(1).at("entry") == "a2.numbered.example.");
  p = rules("2026-03-02");
  CHECK(p.at("N") == 2);
  CHECK(p.at("domains").at(1).at("entry") == "a#.numbered.example.");

  SECTION("a day classified before entries were stored: the current catalogue, said once") {
    {
      db::Store store(db_path, {.create = false});
      store.database().exec("UPDATE hitlist SET entry = '' WHERE date = '2026-03-01'");
    }
    REQUIRE(std::system(detect.c_str()) == 0);
    CHECK(day_counts(db_path, "2026-03-01") == "2|1|1\n");
    const std::string err = read_text(dir.file("err.txt"));
    CHECK(err.find("iotmap detect: the hitlist of 2026-03-01 was classified before catalogue "
                   "entries were stored") != std::string::npos);
    CHECK(err.find("2026-03-02 was classified before") == std::string::npos);
    CHECK(rules("2026-03-01").at("N") == 2);
  }
}
