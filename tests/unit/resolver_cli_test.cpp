// `iotmap resolve`, `export resolutions` and `merge` driven as a user would, against a fake
// DNS server on 127.0.0.1 run by this test process.
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "db/store.h"
#include "resolver/rows.h"
#include "resolver/wire.h"
#include "tests/unit/resolver_fake_dns.h"

using iotmap::testing::fake_reply;
using iotmap::testing::FakeAction;
using iotmap::testing::FakeDns;
using iotmap::testing::FakeQuery;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/iotmap-resolver-cli-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string operator/(const std::string& f) const { return (path / f).string(); }
};

std::string slurp(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs the binary with a shell command line; returns its exit code.
int run_iotmap(const std::string& args, const std::string& out = "/dev/null",
               const std::string& err = "/dev/null") {
  std::string cmd = std::string(IOTMAP_BINARY) + " " + args + " >" + out + " 2>" + err;
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

FakeAction lab(const FakeQuery& q) {
  if (q.qname == "a.example" && q.qtype == iotmap::resolver::kTypeA)
    return {false, fake_reply(q, 0, {"a.example. 300 IN A 192.0.2.1"})};
  if (q.qname.find("amazonaws.com") != std::string::npos && q.qtype == iotmap::resolver::kTypeA)
    return {false, fake_reply(q, 0, {q.qname + ". 60 IN A 198.51.100.7"})};
  if (q.qname == "a.example" || q.qname.find("amazonaws.com") != std::string::npos)
    return {false, fake_reply(q, 0, {}, false, true)};
  return {false, fake_reply(q, 3, {}, false, true)};
}

void write_config(const std::string& file, const FakeDns& dns, const std::string& vp) {
  std::ofstream(file) << "[[vantage_point]]\nname = \"" << vp
                      << "\"\nlocation = \"test\"\nresolvers = [\"" << dns.endpoint()
                      << "\"]\n[resolver]\ntimeout_ms = 300\nretries = 1\n";
}

// Tests that run resolve twice and expect the same hour both times start no later than
// `margin` seconds before the hour ends; otherwise they wait for the next hour to begin.
void stay_within_one_hour(int margin) {
  int64_t now = time(nullptr);
  int64_t left = iotmap::resolver::hour_start(now) + 3600 - now;
  if (left <= margin) ::sleep(static_cast<unsigned>(left + 1));
}

}  // namespace

TEST_CASE("cli: resolve files one row per name x type x vantage point, once per hour",
          "[resolver]") {
  stay_within_one_hour(60);
  TempDir dir;
  FakeDns dns(lab);
  write_config(dir / "cfg.toml", dns, "vp1");
  std::ofstream(dir / "names.txt") << "a.example\n# a comment\nmissing.example\nbad..name\n";
  std::string base = "--config " + dir / "cfg.toml" + " --db " + dir / "a.db";
  // A bad name on stdin makes the run partial (exit 7), the others are resolved.
  CHECK(run_iotmap(base + " resolve --once --no-catalogue - <" + dir / "names.txt", "/dev/null",
                   dir / "err1") == 7);
  CHECK(slurp(dir / "err1").find("stdin:4: 'bad..name'") != std::string::npos);
  int queries = dns.udp_queries();
  CHECK(queries == 4);
  // The same hour again: nothing is asked, nothing is added.
  CHECK(run_iotmap(base + " resolve --once a.example missing.example", "/dev/null", dir / "err2") ==
        0);
  CHECK(dns.udp_queries() == queries);
  CHECK(slurp(dir / "err2").find("2 of 2 names already resolved") != std::string::npos);

  std::string hour = iotmap::resolver::hour_label(iotmap::resolver::hour_start(time(nullptr)));
  CHECK(
      run_iotmap("--db " + dir / "a.db" + " export resolutions --hour " + hour + " --format jsonl",
                 dir / "out.jsonl") == 0);
  std::istringstream lines(slurp(dir / "out.jsonl"));
  std::map<std::string, std::string> status;
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    status[j["name"].get<std::string>() + " " + j["qtype"].get<std::string>()] = j["status"];
    CHECK(j["vantage"] == "vp1");
    CHECK(j["hour"] == hour);
  }
  CHECK(status == std::map<std::string, std::string>{{"a.example. A", "NOERROR"},
                                                     {"a.example. AAAA", "NODATA"},
                                                     {"missing.example. A", "NXDOMAIN"},
                                                     {"missing.example. AAAA", "NXDOMAIN"}});
  CHECK(run_iotmap("--db " + dir / "a.db" + " export resolutions --hour " + hour + " --format csv",
                   dir / "out.csv") == 0);
  auto csv = slurp(dir / "out.csv");
  CHECK(csv.rfind("hour,name,qtype,vantage,status", 0) == 0);
  CHECK(csv.find(hour + ",a.example.,A,vp1,NOERROR,0,,192.0.2.1,300,300,") != std::string::npos);
  CHECK(run_iotmap("--db " + dir / "a.db" + " export resolutions --hour 2026-13-01T00") == 2);
  CHECK(run_iotmap("--db " + dir / "a.db" + " export bogus") == 2);
}

namespace {

// The fake server's answers (lab) with each asked name counted, for tests that check what a run
// asked.
struct AskedNames {
  std::mutex m;
  std::multiset<std::string> names;  // as asked: lower case, no trailing dot
  FakeAction operator()(const FakeQuery& q) {
    std::lock_guard<std::mutex> l(m);
    names.insert(q.qname);
    return lab(q);
  }
  // What was asked since the last call: each name and how often.
  std::map<std::string, size_t> take() {
    std::lock_guard<std::mutex> l(m);
    std::map<std::string, size_t> out;
    for (const auto& n : names) ++out[n + "."];
    names.clear();
    return out;
  }
};

// Every row of the current hour in `db`: "name qtype vantage" -> status.
std::map<std::string, std::string> hour_rows(const std::string& db) {
  iotmap::db::Store store(db);
  const int64_t hour = iotmap::resolver::hour_start(time(nullptr));
  std::map<std::string, std::string> rows;
  store.for_each_resolution(hour, hour + 3600, [&](const iotmap::db::ResolutionRow& r) {
    rows[r.name + " " + r.qtype + " " + r.vantage] = r.status;
  });
  return rows;
}

// Each of `names` asked twice (A and AAAA) and nothing else.
std::map<std::string, size_t> twice_each(const std::vector<std::string>& names) {
  std::map<std::string, size_t> out;
  for (const auto& n : names) out[n] = 2;
  return out;
}

}  // namespace

// Two resolves in one hour, as cron and the daily job run them: whatever the first stored is
// not asked again, every other name is asked and stored whole, wherever the done names stand
// in the list and whether the names come from stdin or from the catalogue.
TEST_CASE("cli: two resolves in one hour ask each missing name once and lose none", "[resolver]") {
  stay_within_one_hour(120);
  TempDir dir;
  AskedNames asked;
  FakeDns dns([&](const FakeQuery& q) { return asked(q); });
  write_config(dir / "cfg.toml", dns, "vp1");
  auto base = [&](const std::string& db) {
    return "--config " + dir / "cfg.toml" + " --db " + dir / db + " resolve --once";
  };

  // The catalogue first, then new names on stdin among catalogue names already done.
  REQUIRE(run_iotmap(base("a.db")) == 0);
  std::vector<std::string> catalogue;
  for (const auto& n : iotmap::db::Store(dir / "a.db").candidate_names())
    catalogue.push_back(n.name);
  REQUIRE(catalogue.size() > 10);
  CHECK(asked.take() == twice_each(catalogue));
  const std::string first = catalogue.front(), middle = catalogue[catalogue.size() / 2],
                    last = catalogue.back();
  std::ofstream(dir / "stdin") << "new0.example\n"
                               << first << "\nnew1.example\n"
                               << middle << "\nnew2.example\n"
                               << last << "\n";
  CHECK(run_iotmap(base("a.db") + " - <" + dir / "stdin", "/dev/null", dir / "err_a") == 0);
  CHECK(slurp(dir / "err_a").find("3 of 6 names already resolved") != std::string::npos);
  CHECK(asked.take() == twice_each({"new0.example.", "new1.example.", "new2.example."}));
  auto rows = hour_rows(dir / "a.db");
  CHECK(rows.size() == 2 * (catalogue.size() + 3));
  for (const char* n : {"new0.example.", "new1.example.", "new2.example."})
    for (const char* t : {" A vp1", " AAAA vp1"}) CHECK(rows[n + std::string(t)] == "NXDOMAIN");

  // Names on stdin first, then the catalogue: done names at its start, middle or end.
  for (const std::string& done : {first, middle, last}) {
    INFO("done first: " << done);
    fs::remove(dir / "b.db");
    std::ofstream(dir / "stdin") << done << "\n";
    REQUIRE(run_iotmap(base("b.db") + " - <" + dir / "stdin") == 0);
    CHECK(asked.take() == twice_each({done}));
    CHECK(run_iotmap(base("b.db"), "/dev/null", dir / "err_b") == 0);
    CHECK(slurp(dir / "err_b")
              .find("1 of " + std::to_string(catalogue.size()) + " names already resolved") !=
          std::string::npos);
    auto rest = catalogue;
    rest.erase(std::find(rest.begin(), rest.end(), done));
    CHECK(asked.take() == twice_each(rest));
    auto b_rows = hour_rows(dir / "b.db");
    CHECK(b_rows.size() == 2 * catalogue.size());
    for (const auto& [key, status] : b_rows) {
      INFO(key);
      CHECK(status != "INVALID_NAME");
    }
  }
}

// A resolver that was down comes back within the hour: the rerun asks only the jobs that got
// no reply, and each ends with one row, the answered one.
TEST_CASE("cli: a rerun in the hour asks again only what got no reply", "[resolver]") {
  stay_within_one_hour(120);
  TempDir dir;
  std::atomic<bool> down{true};
  FakeDns up(lab);
  FakeDns flaky([&](const FakeQuery& q) { return down ? FakeAction::dropped() : lab(q); });
  std::ofstream(dir / "cfg.toml") << "[[vantage_point]]\nname = \"vp1\"\nlocation = \"t\"\n"
                                  << "resolvers = [\"" << up.endpoint() << "\"]\n"
                                  << "[[vantage_point]]\nname = \"vp2\"\nlocation = \"t\"\n"
                                  << "resolvers = [\"" << flaky.endpoint() << "\"]\n"
                                  << "[resolver]\ntimeout_ms = 200\nretries = 1\n";
  const std::string resolve = "--config " + dir / "cfg.toml" + " --db " + dir / "o.db" +
                              " resolve --once a.example missing.example";
  auto statuses = [&](const std::string& vantage) {
    std::set<std::string> out;
    for (const auto& [key, status] : hour_rows(dir / "o.db"))
      if (key.ends_with(" " + vantage)) out.insert(status);
    return out;
  };
  // vp2 silent: its four jobs end without a reply, and the run fails.
  CHECK(run_iotmap(resolve, "/dev/null", dir / "err1") == 1);
  CHECK(statuses("vp1") == std::set<std::string>{"NOERROR", "NODATA", "NXDOMAIN"});
  for (const auto& st : statuses("vp2")) CHECK((st == "TIMEOUT" || st == "NO_RESOLVER"));
  const int vp1_queries = up.udp_queries(), vp2_queries = flaky.udp_queries();
  CHECK(vp1_queries == 4);

  // Back within the hour: no name is complete, only vp2's jobs are asked, once each.
  down = false;
  CHECK(run_iotmap(resolve, "/dev/null", dir / "err2") == 0);
  auto err2 = slurp(dir / "err2");
  CHECK(err2.find("already resolved") == std::string::npos);
  CHECK(
      err2.find("2 names x 2 types x 2 vantage points less 4 answered earlier = 4 rows (4 new)") !=
      std::string::npos);
  CHECK(up.udp_queries() == vp1_queries);
  CHECK(flaky.udp_queries() == vp2_queries + 4);
  CHECK(statuses("vp2") == std::set<std::string>{"NOERROR", "NODATA", "NXDOMAIN"});
  auto rows = hour_rows(dir / "o.db");
  CHECK(rows.size() == 8);
  CHECK(rows["a.example. A vp2"] == "NOERROR");
  {
    iotmap::db::Store store(dir / "o.db");
    int64_t per_key = 0;
    store.database()
        .cached(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM resolutions "
            "GROUP BY hour, name_id, qtype, vantage_id)")
        .each([&](iotmap::db::Statement& s) { per_key = s.int64(0); });
    CHECK(per_key == 1);
  }

  // Everything answered: a third run asks nothing.
  CHECK(run_iotmap(resolve, "/dev/null", dir / "err3") == 0);
  CHECK(slurp(dir / "err3").find("2 of 2 names already resolved") != std::string::npos);
  CHECK(flaky.udp_queries() == vp2_queries + 4);
  CHECK(up.udp_queries() == vp1_queries);
}

TEST_CASE("cli: merge brings vantage-point databases together without duplicates", "[resolver]") {
  TempDir dir;
  FakeDns one(lab), two(lab);
  write_config(dir / "one.toml", one, "vp1");
  write_config(dir / "two.toml", two, "vp2");
  CHECK(run_iotmap("--config " + dir / "one.toml" + " --db " + dir / "one.db" +
                   " resolve --no-catalogue a.example x.example") == 0);
  CHECK(run_iotmap("--config " + dir / "two.toml" + " --db " + dir / "two.db" +
                   " resolve --no-catalogue a.example") == 0);
  std::string merge =
      "merge " + dir / "one.db" + " " + dir / "two.db" + " --into " + dir / "main.db";
  CHECK(run_iotmap(merge) == 0);
  CHECK(run_iotmap(merge, "/dev/null", dir / "err") == 0);  // again: nothing new
  CHECK(slurp(dir / "err").find("(0 new)") != std::string::npos);
  iotmap::db::Store main(dir / "main.db");
  std::map<std::string, int> per_vantage;
  main.for_each_resolution(0, INT64_MAX, [&](const iotmap::db::ResolutionRow& r) {
    ++per_vantage[r.vantage];
    CHECK_FALSE(r.run_id);
  });
  CHECK(per_vantage == std::map<std::string, int>{{"vp1", 4}, {"vp2", 2}});
  CHECK(run_iotmap("merge " + dir / "nothing.db" + " --into " + dir / "main.db") == 1);
  CHECK(run_iotmap("merge " + dir / "one.db") == 2);
}

TEST_CASE("cli: passive DNS and catalogue names become candidates with their sources",
          "[resolver]") {
  TempDir dir;
  FakeDns dns(lab);
  write_config(dir / "cfg.toml", dns, "vp1");
  std::ofstream(dir / "pdns.jsonl")
      << R"({"time_first":1700000000,"time_last":1700000500,"rrname":"abc123-ats.iot.eu-west-1.amazonaws.com.","rrtype":"A","rdata":["198.51.100.7"]})"
      << "\n{broken\n"
      << R"({"time_first":1700000000,"time_last":1700000500,"rrname":"www.example.org.","rrtype":"A","rdata":["192.0.2.80"]})"
      << "\n";
  std::string base = "--config " + dir / "cfg.toml" + " --db " + dir / "p.db";
  CHECK(run_iotmap(base + " resolve --pdns " + dir / "pdns.jsonl", "/dev/null", dir / "err") == 7);
  auto err = slurp(dir / "err");
  CHECK(err.find(dir / "pdns.jsonl" + ":2: not valid JSON") != std::string::npos);
  iotmap::db::Store store(dir / "p.db");
  std::map<std::string, std::string> sources;
  store.database()
      .cached(
          "SELECT n.name, group_concat(s.source) FROM names n JOIN name_sources s ON "
          "s.name_id = n.id GROUP BY n.name")
      .each([&](iotmap::db::Statement& s) { sources[s.text(0)] = s.text(1); });
  CHECK(sources["abc123-ats.iot.eu-west-1.amazonaws.com."] == "pdns");
  CHECK(sources.count("www.example.org.") == 0);
  size_t catalogue = 0;
  for (const auto& [n, s] : sources) catalogue += s.find("catalogue") != std::string::npos;
  CHECK(catalogue > 10);
  size_t pdns_rows = 0;
  store.for_each_pdns(0, INT64_MAX, [&](const iotmap::db::PdnsRow&) { ++pdns_rows; });
  CHECK(pdns_rows == 1);
  // Every candidate name was resolved: A and AAAA each.
  size_t rows = 0;
  store.for_each_resolution(0, INT64_MAX, [&](const iotmap::db::ResolutionRow&) { ++rows; });
  CHECK(rows == 2 * store.candidate_names().size());
}

TEST_CASE("cli: merge carries scan shards' certificates and TLS observations once", "[resolver]") {
  TempDir dir;
  std::string sha(64, 'a');
  for (int shard = 0; shard < 2; ++shard) {
    iotmap::db::Store s(dir / ("shard" + std::to_string(shard) + ".db"));
    iotmap::db::RunInfo info;
    info.kind = "scan";
    info.shard = std::to_string(shard) + "/2";
    info.seed = 42;
    info.started_at = 1795305600;
    int64_t run = s.begin_run(info);
    iotmap::db::CertificateRow cert;
    cert.sha256 = sha;
    cert.common_name = "*.iot.eu-west-1.amazonaws.com";
    cert.der = {1, 2, 3};
    cert.first_seen = 1795305600;
    iotmap::db::TlsObservationRow o;
    o.run_id = run;
    o.ip = shard == 0 ? "198.51.100.20" : "198.51.100.21";
    o.port = 8883;
    o.observed_at = 1795305700;
    o.status = "ok";
    o.leaf_sha256 = sha;
    o.chain = {sha};
    std::vector<iotmap::db::TlsObservationRow> rows{o};
    std::vector<iotmap::db::CertificateRow> certs{cert};
    s.add_tls_observations(rows, certs);
    std::vector<iotmap::db::CertNameRow> names{{sha, "iot.eu-west-1.amazonaws.com.", "aws"}};
    s.add_cert_names(names);
    s.finish_run(run, "ok");
  }
  std::string merge =
      "merge " + dir / "shard0.db" + " " + dir / "shard1.db" + " --into " + dir / "main.db";
  CHECK(run_iotmap(merge) == 0);
  CHECK(run_iotmap(merge) == 0);
  iotmap::db::Store main(dir / "main.db");
  std::vector<std::string> ips;
  main.for_each_tls_observation(
      0, INT64_MAX, [&](const iotmap::db::TlsObservationRow& o) { ips.push_back(o.ip); });
  CHECK(ips == std::vector<std::string>{"198.51.100.20", "198.51.100.21"});
  REQUIRE(main.certificate(sha));
  CHECK(main.certificate(sha)->common_name == "*.iot.eu-west-1.amazonaws.com");
  int scan_runs = 0, cert_names = 0;
  main.database()
      .cached("SELECT count(*) FROM runs WHERE kind = 'scan'")
      .each([&](iotmap::db::Statement& s) { scan_runs = static_cast<int>(s.int64(0)); });
  main.database().cached("SELECT count(*) FROM cert_names").each([&](iotmap::db::Statement& s) {
    cert_names = static_cast<int>(s.int64(0));
  });
  CHECK(scan_runs == 2);  // one per shard, not one more per merge
  CHECK(cert_names == 1);
}

TEST_CASE("cli: the hourly run does not import an unchanged passive DNS file again", "[resolver]") {
  TempDir dir;
  FakeDns dns(lab);
  write_config(dir / "cfg.toml", dns, "vp1");
  auto line = [](const std::string& name) {
    return R"({"time_first":1700000000,"time_last":1700000500,"rrname":")" + name +
           R"(","rrtype":"A","rdata":["198.51.100.7"]})"
           "\n";
  };
  std::ofstream(dir / "pdns.jsonl") << line("abc123-ats.iot.eu-west-1.amazonaws.com.");
  std::string resolve = "--config " + dir / "cfg.toml" + " --db " + dir / "p.db" +
                        " resolve --no-catalogue --types A --pdns " + dir / "pdns.jsonl";
  auto pdns_rows = [&] {
    iotmap::db::Store store(dir / "p.db");
    size_t n = 0;
    store.for_each_pdns(0, INT64_MAX, [&](const iotmap::db::PdnsRow&) { ++n; });
    return n;
  };
  REQUIRE(run_iotmap(resolve, "/dev/null", dir / "err1") == 0);
  CHECK(slurp(dir / "err1").find("1 records kept") != std::string::npos);
  CHECK(pdns_rows() == 1);
  // Rows an import would bring back show whether the second run imported the file.
  {
    iotmap::db::Store store(dir / "p.db");
    store.database().exec("DELETE FROM pdns");
  }
  REQUIRE(run_iotmap(resolve, "/dev/null", dir / "err2") == 0);
  auto err = slurp(dir / "err2");
  CHECK(err.find("passive DNS " + dir / "pdns.jsonl" + ": unchanged since ") != std::string::npos);
  CHECK(err.find("; not imported again") != std::string::npos);
  CHECK(err.find("records kept") == std::string::npos);
  CHECK(pdns_rows() == 0);
  // A changed file is imported again, whole.
  std::ofstream(dir / "pdns.jsonl", std::ios::app)
      << line("def456-ats.iot.eu-west-1.amazonaws.com.");
  REQUIRE(run_iotmap(resolve, "/dev/null", dir / "err3") == 0);
  CHECK(slurp(dir / "err3").find("2 records kept") != std::string::npos);
  CHECK(pdns_rows() == 2);
  iotmap::db::Store store(dir / "p.db");
  int64_t records = -1;
  std::string path;
  store.database()
      .cached("SELECT path, records FROM pdns_files")
      .each([&](iotmap::db::Statement& s) {
        path = s.text(0);
        records = s.int64(1);
      });
  CHECK(path == dir / "pdns.jsonl");
  CHECK(records == 2);
}

TEST_CASE("cli: certificate names are last seen when observed and read once", "[resolver]") {
  TempDir dir;
  FakeDns dns(lab);
  write_config(dir / "cfg.toml", dns, "vp1");
  const std::string leaf1(64, 'a'), leaf2(64, 'b'), leaf3(64, 'd'), ca(64, 'c');
  const int64_t t1 = 1795305600;  // 2026-11-22 00:00 UTC
  auto observe = [&](const std::string& leaf, int64_t at, const std::string& name) {
    iotmap::db::Store s(dir / "c.db");
    iotmap::db::RunInfo info;
    info.kind = "scan";
    int64_t run = s.begin_run(info);
    std::vector<iotmap::db::CertificateRow> certs(2);
    certs[0].sha256 = leaf;
    certs[1].sha256 = ca;
    iotmap::db::TlsObservationRow o;
    o.run_id = run;
    o.ip = "198.51.100.20";
    o.port = 8883;
    o.observed_at = at;
    o.status = "ok";
    o.leaf_sha256 = leaf;
    o.chain = {leaf, ca};
    s.add_tls_observations(std::vector{o}, certs);
    // The intermediate carries a name that matches the catalogue too; only leaves count.
    s.add_cert_names(std::vector<iotmap::db::CertNameRow>{
        {leaf, name, "aws"}, {ca, "ca.iot.eu-west-1.amazonaws.com.", "aws"}});
    s.finish_run(run, "ok");
  };
  std::map<std::string, std::pair<int64_t, int64_t>> seen;  // cert source: first, last
  auto read = [&] {
    seen.clear();
    iotmap::db::Store s(dir / "c.db");
    s.database()
        .cached(
            "SELECT n.name, s.first_seen, s.last_seen FROM names n JOIN name_sources s ON "
            "s.name_id = n.id WHERE s.source = 'cert'")
        .each([&](iotmap::db::Statement& st) {
          seen[st.text(0)] = {st.int64(1), st.int64(2)};
        });
  };
  const std::string a = "abc123-ats.iot.eu-west-1.amazonaws.com.";
  const std::string b = "def456-ats.iot.eu-west-1.amazonaws.com.";
  const std::string c = "ghi789-ats.iot.eu-west-1.amazonaws.com.";
  observe(leaf1, t1, "*." + a);
  observe(leaf1, t1 + 600, "*." + a);
  std::string resolve = "--config " + dir / "cfg.toml" + " --db " + dir / "c.db" +
                        " resolve --no-catalogue --types A";
  REQUIRE(run_iotmap(resolve) == 0);
  read();
  CHECK(seen == std::map<std::string, std::pair<int64_t, int64_t>>{{a, {t1, t1 + 600}}});
  // The next run reads only observations newer than this one: a's record, gone, stays gone.
  {
    iotmap::db::Store s(dir / "c.db");
    s.database().exec("DELETE FROM name_sources WHERE source = 'cert'");
  }
  const int64_t now = time(nullptr);
  observe(leaf2, now, b);
  // Stored after the run but observed long before it, as a merged scan shard is.
  observe(leaf3, t1 - 3600, c);
  REQUIRE(run_iotmap(resolve) == 0);
  read();
  CHECK(seen == std::map<std::string, std::pair<int64_t, int64_t>>{{b, {now, now}},
                                                                   {c, {t1 - 3600, t1 - 3600}}});
}
