// The store (db/store.h): round trips, idempotent writes, constraints, batching.
#include <catch2/catch.hpp>
#include <cstdio>
#include <ctime>

#include "db/store.h"
#include "lib/date.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap::db;
using iotmap::parse_date;
using iotmap::test::TempDir;

namespace {

int64_t count(Store& store, const std::string& table) {
  int64_t n = -1;
  Statement(store.database(), "SELECT count(*) FROM " + table).each([&](Statement& s) {
    n = s.int64(0);
  });
  return n;
}

std::string foreign_keys(Store& store) {
  std::string on;
  Statement(store.database(), "PRAGMA foreign_keys").each([&](Statement& s) { on = s.text(0); });
  return on;
}

RunInfo run_of(const std::string& kind, const std::string& shard = "") {
  RunInfo info;
  info.kind = kind;
  info.shard = shard;
  return info;
}

constexpr int64_t kHour = 1714568400;  // 2024-05-01T13:00:00Z

std::vector<ResolutionRow> sample_hour(int64_t run_id) {
  ResolutionRow a;
  a.hour = kHour;
  a.name = "Mqtt.Example.COM";
  a.qtype = "A";
  a.vantage = "local";
  a.status = "NOERROR";
  a.rcode = 0;
  a.cname_chain = {"edge.example.net", "lb.example.net."};
  a.answers = {{"192.0.2.10", 60}, {"192.0.2.11", 60}};
  a.min_ttl = 60;
  a.resolver = "127.0.0.1:53";
  a.rtt_ms = 12.5;
  a.resolved_at = kHour + 5;
  a.run_id = run_id;
  ResolutionRow b = a;
  b.qtype = "AAAA";
  b.answers = {{"2001:DB8::1", 30}};
  b.min_ttl = 30;
  ResolutionRow c = a;
  c.name = "gone.example.com.";
  c.status = "NXDOMAIN";
  c.rcode = 3;
  c.cname_chain.clear();
  c.answers.clear();
  c.min_ttl.reset();
  ResolutionRow d = c;
  d.status = "TIMEOUT";
  d.rcode.reset();
  d.vantage = "far";
  return {a, b, c, d};
}

CertificateRow sample_cert(char fill) {
  CertificateRow c;
  c.sha256 = std::string(64, fill);
  c.subject_dn = "CN=*.iot.example.com";
  c.issuer_dn = "CN=Example CA";
  c.common_name = "*.iot.example.com";
  c.dns_sans = {"*.iot.example.com", "iot.example.com"};
  c.not_before = 1700000000;
  c.not_after = 1800000000;
  c.key_type = "ec";
  c.key_bits = 256;
  c.signature_algorithm = "ecdsa-with-SHA256";
  c.der = {0x30, 0x82, 0x01, 0x00};
  c.first_seen = kHour;
  return c;
}

}  // namespace

TEST_CASE("runs are begun and finished with their counts", "[db]") {
  TempDir dir;
  Store store(dir.file("runs.db"));
  RunInfo info;
  info.kind = "scan";
  info.covers = "2024-05-01";
  info.shard = "1/4";
  info.seed = 42;
  info.target_count = 1000;
  info.rate = 100;
  info.config = "ports=8883,443";
  int64_t id = store.begin_run(info);
  auto running = store.run(id);
  REQUIRE(running);
  CHECK(running->status == "running");
  CHECK_FALSE(running->finished_at);
  CHECK_FALSE(running->info.host.empty());  // filled with this host's name
  CHECK(running->info.started_at > 0);
  store.finish_run(id, "ok", {{"targets", 1000}, {"ok", 640}}, "done");
  auto finished = store.run(id);
  REQUIRE(finished);
  CHECK(finished->status == "ok");
  CHECK(finished->finished_at);
  CHECK(finished->counts == std::map<std::string, int64_t>{{"ok", 640}, {"targets", 1000}});
  CHECK(finished->info.message == "done");
  CHECK(*finished->info.seed == 42);
  CHECK(*finished->info.rate == 100.0);
  CHECK_FALSE(store.run(id + 1));
  CHECK_THROWS_WITH(store.finish_run(id + 1, "ok"), Catch::Contains("no such run"));
}

TEST_CASE("names are normalised and widened, once per name and source", "[db]") {
  TempDir dir;
  Store store(dir.file("names.db"));
  store.upsert_names(std::vector<NameRow>{{"A.Example.com", "aws", "us-east-1", "pdns", 200},
                                          {"a.example.com.", "", "", "cert", 100},
                                          {"a.example.com", "", "", "pdns", 300}});
  store.upsert_names(std::vector<NameRow>{{"a.example.com", "", "", "pdns", 250}});
  auto names = store.candidate_names();
  REQUIRE(names.size() == 1);
  CHECK(names[0].name == "a.example.com.");
  CHECK(names[0].provider == "aws");  // an empty provider keeps the stored one
  CHECK(names[0].region == "us-east-1");
  CHECK(names[0].seen_at == 300);
  CHECK(count(store, "name_sources") == 2);
  int64_t first = 0, last = 0;
  Statement(store.database(),
            "SELECT first_seen, last_seen FROM name_sources WHERE source = 'pdns'")
      .each([&](Statement& s) {
        first = s.int64(0);
        last = s.int64(1);
      });
  CHECK(first == 200);
  CHECK(last == 300);
  // The name itself: its earliest and latest sighting over every source, in any order.
  Statement(store.database(), "SELECT first_seen, last_seen FROM names").each([&](Statement& s) {
    first = s.int64(0);
    last = s.int64(1);
  });
  CHECK(first == 100);
  CHECK(last == 300);
  CHECK_THROWS_AS(store.upsert_names(std::vector<NameRow>{{"", "", "", "cli", 1}}), Error);
  // Another process (no ids cached): an existing name's new source hangs off its own id.
  Store other(dir.file("names.db"));
  other.upsert_names(std::vector<NameRow>{{"b.example.com", "", "", "cli", 400},
                                          {"a.example.com", "", "", "cli", 400}});
  CHECK(count(other, "names") == 2);
  auto sources_of_a = [&] {
    int64_t n = 0;
    Statement(other.database(),
              "SELECT count(*) FROM name_sources s JOIN names n "
              "ON n.id = s.name_id WHERE n.name = 'a.example.com.'")
        .each([&](Statement& s) { n = s.int64(0); });
    return n;
  };
  CHECK(sources_of_a() == 3);
}

TEST_CASE("the store refuses text that is no name, and keeps DNS data's names", "[db]") {
  // db/store's own normaliser took any text but "" and "." (lib/dns_name.h now).
  TempDir dir;
  Store store(dir.file("names.db"));
  const std::string long_label = std::string(64, 'x') + ".example";
  for (const std::string& bad :
       {std::string("a b.example"), std::string("a.example.."), std::string("-"), long_label}) {
    INFO(bad);
    CHECK_THROWS_AS(store.upsert_names(std::vector<NameRow>{{bad, "", "", "cli", 1}}), Error);
  }
  CHECK(count(store, "names") == 0);
  // A DNS reply's escaped byte and a '+' are DNS data, not host names: stored as they are.
  CHECK(normalize_name("A\\032b+c.Example") == "a\\032b+c.example.");
  CHECK(is_normalized_name("a\\032b+c.example."));
  CHECK_FALSE(is_normalized_name("a\\032b+c.example"));
}

TEST_CASE("writing the same hour twice adds nothing twice", "[db]") {
  TempDir dir;
  Store store(dir.file("hour.db"));
  int64_t run = store.begin_run(run_of("hourly"));
  auto rows = sample_hour(run);
  CHECK(store.add_resolutions(rows) == 4);
  CHECK(store.add_resolutions(rows) == 0);
  // A later, different result for the same key does not replace the first.
  auto retry = sample_hour(run);
  retry[2].status = "NOERROR";
  CHECK(store.add_resolutions(retry) == 0);
  CHECK(count(store, "resolutions") == 4);
  CHECK(count(store, "resolution_answers") == 3);
  CHECK(count(store, "names") == 2);
  CHECK(count(store, "vantage_points") == 2);
  // The next hour is new.
  for (auto& r : rows) r.hour += 3600;
  CHECK(store.add_resolutions(rows) == 4);

  std::vector<ResolutionRow> back;
  store.for_each_resolution(kHour, kHour + 3600,
                            [&](const ResolutionRow& r) { back.push_back(r); });
  REQUIRE(back.size() == 4);
  const ResolutionRow& a = back[0];
  CHECK(a.name == "mqtt.example.com.");
  CHECK(a.qtype == "A");
  CHECK(a.cname_chain == std::vector<std::string>{"edge.example.net.", "lb.example.net."});
  REQUIRE(a.answers.size() == 2);
  CHECK(a.answers[0].ip == "192.0.2.10");
  CHECK(a.answers[1].ttl == 60);
  CHECK(*a.rtt_ms == 12.5);
  CHECK(*a.run_id == run);
  CHECK(back[1].answers.at(0).ip == "2001:db8::1");  // canonical form
  CHECK(back[2].status == "NXDOMAIN");
  CHECK(back[2].answers.empty());
  CHECK_FALSE(back[3].rcode);

  std::vector<std::string> pairs;
  store.for_each_ip_name(kHour, kHour + 2 * 3600, [&](const IpNameRow& r) {
    pairs.push_back(r.ip + " " + r.name + " " + std::to_string(r.cname_chain.size()));
  });
  CHECK(pairs == std::vector<std::string>{"192.0.2.10 mqtt.example.com. 2",
                                          "192.0.2.11 mqtt.example.com. 2",
                                          "2001:db8::1 mqtt.example.com. 2"});
}

TEST_CASE("a reply replaces a stored row that got none, and nothing else does", "[db]") {
  TempDir dir;
  Store store(dir.file("retry.db"));
  int64_t first = store.begin_run(run_of("hourly"));
  auto rows = sample_hour(first);  // rows[3]: gone.example.com. A from "far", TIMEOUT
  CHECK(store.add_resolutions(rows) == 4);
  auto status_of_far = [&] {
    std::vector<std::string> out;
    store.for_each_resolution(kHour, kHour + 3600, [&](const ResolutionRow& r) {
      if (r.vantage == "far")
        out.push_back(r.status + " " + std::to_string(r.answers.size()) + " " +
                      std::to_string(r.run_id.value_or(0)));
    });
    return out;
  };
  int64_t second = store.begin_run(run_of("hourly"));
  // Another try without a reply: the first failure stays (same rows twice add nothing).
  for (const char* failed : {"TIMEOUT", "NETWORK_ERROR", "NO_RESOLVER"}) {
    auto again = rows[3];
    again.status = failed;
    again.run_id = second;
    CHECK(store.add_resolutions(std::vector<ResolutionRow>{again}) == 0);
  }
  CHECK(status_of_far() == std::vector<std::string>{"TIMEOUT 0 " + std::to_string(first)});
  // The reply replaces it, answers and run included, in the same row.
  auto answered = rows[3];
  answered.status = "NOERROR";
  answered.rcode = 0;
  answered.answers = {{"192.0.2.77", 60}};
  answered.run_id = second;
  CHECK(store.add_resolutions(std::vector<ResolutionRow>{answered}) == 1);
  CHECK(status_of_far() == std::vector<std::string>{"NOERROR 1 " + std::to_string(second)});
  CHECK(count(store, "resolutions") == 4);
  // A reply stands: neither a failure nor another reply replaces it.
  auto later = answered;
  later.answers = {{"192.0.2.78", 60}};
  CHECK(store.add_resolutions(std::vector<ResolutionRow>{later}) == 0);
  later.status = "TIMEOUT";
  later.answers.clear();
  CHECK(store.add_resolutions(std::vector<ResolutionRow>{later}) == 0);
  CHECK(status_of_far() == std::vector<std::string>{"NOERROR 1 " + std::to_string(second)});
  CHECK(count(store, "resolution_answers") == 4);
}

TEST_CASE("a failing row rolls back its whole batch", "[db]") {
  TempDir dir;
  Store store(dir.file("rollback.db"));
  auto rows = sample_hour(0);
  for (auto& r : rows) r.run_id.reset();
  rows[3].answers = {{"not-an-ip", 1}};
  rows[3].status = "NOERROR";
  CHECK_THROWS_WITH(store.add_resolutions(rows), Catch::Contains("not an IP address"));
  CHECK(count(store, "resolutions") == 0);
  CHECK(count(store, "resolution_answers") == 0);
  CHECK(count(store, "names") == 0);  // names created for the batch went with it
  CHECK(foreign_keys(store) == "1");
  rows[3].answers.clear();
  CHECK(store.add_resolutions(rows) == 4);  // the store is usable afterwards
}

// add_resolutions turns SQLite's foreign keys off for its batch and checks the references itself.
TEST_CASE("add_resolutions rejects a name id or run that does not exist, foreign keys back on",
          "[db]") {
  TempDir dir;
  Store store(dir.file("refs.db"));
  const int64_t run = store.begin_run(run_of("resolve"));
  auto rows = sample_hour(run);
  CHECK(store.add_resolutions(rows) == 4);
  int64_t known = 0;  // a name id read from the store, as resolve gives them
  Statement(store.database(), "SELECT id FROM names WHERE name = 'gone.example.com.'")
      .each([&](Statement& s) { known = s.int64(0); });
  REQUIRE(known > 0);
  auto next = sample_hour(run);
  for (auto& r : next) r.hour += 3600;
  next[2].name = "not.this.name.";  // the id decides, as the store is told
  next[2].name_id = known;
  next[3].name_id = 12345;  // no names row has it
  CHECK_THROWS_WITH(
      store.add_resolutions(next),
      Catch::Contains("FOREIGN KEY constraint failed: name id 12345 is not in names"));
  CHECK(count(store, "resolutions") == 4);
  CHECK(foreign_keys(store) == "1");
  next[3].name_id = 0;
  CHECK(store.add_resolutions(next) == 4);
  CHECK(count(store, "names") == 2);  // next[2] went to the name of its id, not a new name
  CHECK(foreign_keys(store) == "1");
  int64_t violations = 0;
  Statement(store.database(), "PRAGMA foreign_key_check").each([&](Statement&) { ++violations; });
  CHECK(violations == 0);
  // A run that is not in runs, given on a later row of the batch.
  auto third = sample_hour(run);
  for (auto& r : third) r.hour += 7200;
  third[3].run_id = run + 1;
  CHECK_THROWS_WITH(store.add_resolutions(third),
                    Catch::Contains("FOREIGN KEY constraint failed: run " +
                                    std::to_string(run + 1) + " is not in runs"));
  CHECK(count(store, "resolutions") == 8);
}

TEST_CASE("foreign keys are enforced", "[db]") {
  TempDir dir;
  Store store(dir.file("fk.db"));
  // A resolution naming a run that does not exist.
  auto rows = sample_hour(999);
  CHECK_THROWS_WITH(store.add_resolutions(rows), Catch::Contains("FOREIGN KEY constraint failed"));
  CHECK(count(store, "resolutions") == 0);
  // An observation whose leaf certificate was never stored.
  int64_t run = store.begin_run(run_of("scan"));
  TlsObservationRow o;
  o.run_id = run;
  o.ip = "192.0.2.1";
  o.port = 8883;
  o.status = "ok";
  o.leaf_sha256 = std::string(64, 'a');
  CHECK_THROWS_WITH(store.add_tls_observations(std::vector<TlsObservationRow>{o}),
                    Catch::Contains("FOREIGN KEY constraint failed"));
  CHECK(count(store, "tls_observations") == 0);
  // Given with its certificate, it is accepted.
  CHECK(store.add_tls_observations(std::vector<TlsObservationRow>{o},
                                   std::vector<CertificateRow>{sample_cert('a')}) == 1);
}

TEST_CASE("certificates are stored once and observations once per run, ip, port and sni", "[db]") {
  TempDir dir;
  Store store(dir.file("tls.db"));
  int64_t run = store.begin_run(run_of("scan"));
  std::vector<CertificateRow> certs{sample_cert('a'), sample_cert('b')};
  TlsObservationRow o;
  o.run_id = run;
  o.ip = "192.0.2.1";
  o.port = 8883;
  o.observed_at = kHour;
  o.status = "client_cert_required";
  o.tls_version = "TLSv1.2";
  o.leaf_sha256 = certs[0].sha256;
  o.chain = {certs[0].sha256, certs[1].sha256};
  o.protocol = "mqtt";
  TlsObservationRow with_sni = o;
  with_sni.sni = "iot.example.com";
  std::vector<TlsObservationRow> obs{o, with_sni};
  CHECK(store.add_tls_observations(obs, certs) == 2);
  CHECK(store.add_tls_observations(obs, certs) == 0);
  CHECK(store.add_certificates(certs) == 0);
  CHECK(count(store, "certificates") == 2);
  CHECK(count(store, "tls_observations") == 2);

  store.add_cert_names(std::vector<CertNameRow>{{certs[0].sha256, "*.IOT.example.com", "aws"},
                                                {certs[0].sha256, "*.iot.example.com.", ""}});
  CHECK(count(store, "cert_names") == 1);

  auto back = store.certificate(certs[0].sha256);
  REQUIRE(back);
  CHECK(back->dns_sans == certs[0].dns_sans);
  CHECK(back->der == certs[0].der);
  CHECK(*back->key_bits == 256);
  CHECK_FALSE(store.certificate(std::string(64, 'c')));

  std::vector<TlsObservationRow> seen;
  store.for_each_tls_observation(kHour, kHour + 1,
                                 [&](const TlsObservationRow& r) { seen.push_back(r); });
  REQUIRE(seen.size() == 2);
  CHECK(seen[0].chain == o.chain);
  CHECK(seen[1].sni == "iot.example.com");
  CHECK(seen[0].protocol == "mqtt");

  CertificateRow bad = sample_cert('A');  // uppercase hex is not the stored form
  CHECK_THROWS_WITH(store.add_certificates(std::vector<CertificateRow>{bad}),
                    Catch::Contains("CHECK constraint failed"));
}

TEST_CASE("passive DNS upserts widen the time window", "[db]") {
  TempDir dir;
  Store store(dir.file("pdns.db"));
  std::vector<PdnsRow> rows{{"X.Example.com", "A", "192.0.2.5", 100, 200, "dnsdb"},
                            {"x.example.com.", "CNAME", "Target.Example.net", 100, 200, "dnsdb"}};
  store.upsert_pdns(rows);
  store.upsert_pdns(std::vector<PdnsRow>{{"x.example.com", "A", "192.0.2.5", 50, 150, "dnsdb"},
                                         {"x.example.com", "A", "192.0.2.5", 120, 400, "dnsdb"}});
  std::vector<PdnsRow> back;
  store.for_each_pdns(0, 1000, [&](const PdnsRow& r) { back.push_back(r); });
  REQUIRE(back.size() == 2);
  CHECK(back[0].rrtype == "A");
  CHECK(back[0].time_first == 50);
  CHECK(back[0].time_last == 400);
  CHECK(back[1].rdata == "target.example.net.");
  back.clear();
  store.for_each_pdns(401, 1000, [&](const PdnsRow& r) { back.push_back(r); });
  CHECK(back.empty());
}

TEST_CASE("daily results replace the day, other days stay", "[db]") {
  TempDir dir;
  Store store(dir.file("daily.db"));
  std::vector<HitlistRow> hits{{"aws", "a.iot.example.com", "192.0.2.1", 8883, "mqtt", "dedicated",
                                "backend", "primary", "dns", 1, 2, ""},
                               {"aws", "a.iot.example.com", "192.0.2.1", 443, "https", "dedicated",
                                "backend", "primary", "dns", 1, 2, "*.iot.example.com."}};
  store.replace_hitlist("2024-05-01", hits);
  store.replace_hitlist("2024-05-02", hits);
  store.replace_hitlist("2024-05-01", std::span(hits).first(1));
  CHECK(store.hitlist("2024-05-01").size() == 1);
  CHECK(store.hitlist("2024-05-02").size() == 2);
  CHECK(store.hitlist("2024-05-02")[0].domain == "a.iot.example.com.");
  CHECK(store.hitlist("2024-05-02")[0].entry == "*.iot.example.com.");  // ordered by port
  // A duplicate key inside one day is the caller's bug, and the day keeps its old rows.
  std::vector<HitlistRow> twice{hits[0], hits[0]};
  CHECK_THROWS_WITH(store.replace_hitlist("2024-05-02", twice),
                    Catch::Contains("UNIQUE constraint failed"));
  CHECK(store.hitlist("2024-05-02").size() == 2);
  CHECK_THROWS_WITH(store.replace_hitlist("May 2", hits), Catch::Contains("not a date"));

  store.replace_ip_verdicts(
      "2024-05-01",
      std::vector<IpVerdictRow>{{"192.0.2.1", "aws", "dedicated", "dedicated", "", 3, 0, 1,
                                 kSourceActiveDns | kSourceTls, "dns,tls", std::nullopt}});
  store.replace_domain_verdicts(
      "2024-05-01", std::vector<DomainVerdictRow>{
                        {"aws", "a.iot.example.com", "dedicated", "", 1, 1, std::nullopt}});
  store.replace_footprint("2024-05-01", std::vector<FootprintRow>{
                                            {"aws", 10, 2, 1, 3, 1, "PR", R"({"ases":[16509]})"}});
  CHECK(count(store, "ip_verdicts") == 1);
  CHECK(count(store, "domain_verdicts") == 1);
  auto fp = store.footprint("2024-05-01");
  REQUIRE(fp.size() == 1);
  CHECK(fp[0].strategy == "PR");
  CHECK(fp[0].detail == R"({"ases":[16509]})");
}

TEST_CASE("a killed scan is found again through its checkpoint", "[db]") {
  TempDir dir;
  Store store(dir.file("checkpoint.db"));
  int64_t killed = store.begin_run(run_of("scan", "2/4"));
  store.save_checkpoint({killed, "2/4", 7, "digest-1", 1000, 100, 90, 10});
  store.save_checkpoint({killed, "2/4", 7, "digest-1", 1000, 300, 280, 20});
  int64_t finished = store.begin_run(run_of("scan", "2/4"));
  store.save_checkpoint({finished, "2/4", 8, "digest-1", 1000, 1000, 1000, 30});
  store.finish_run(finished, "ok");
  auto cp = store.resumable_scan("2/4", "digest-1");
  REQUIRE(cp);
  CHECK(cp->run_id == killed);
  CHECK(cp->seed == 7);
  CHECK(cp->next_index == 300);
  CHECK(cp->done_count == 280);
  CHECK_FALSE(store.resumable_scan("2/4", "digest-2"));
  CHECK_FALSE(store.resumable_scan("1/4", "digest-1"));
  CHECK(count(store, "scan_checkpoints") == 2);
}

TEST_CASE("a scan run begins with its checkpoint or not at all", "[db]") {
  // A scan killed after its run row was stored but before its first checkpoint would stay
  // 'running' for ever and never be resumed. Stand-in for the kill: the checkpoint's insert
  // fails, and nothing of the run may remain.
  TempDir dir;
  Store store(dir.file("begin.db"));
  store.database().exec(
      "CREATE TEMP TRIGGER no_checkpoint BEFORE INSERT ON scan_checkpoints "
      "BEGIN SELECT RAISE(ABORT, 'killed'); END");
  CHECK_THROWS(store.begin_scan_run(run_of("scan", "0/1"), {0, "0/1", 7, "d", 10, 0, 0, 0}));
  CHECK(count(store, "runs") == 0);
  store.database().exec("DROP TRIGGER no_checkpoint");
  const int64_t id = store.begin_scan_run(run_of("scan", "0/1"), {0, "0/1", 7, "d", 10, 0, 0, 0});
  auto cp = store.resumable_scan("0/1", "d");
  REQUIRE(cp);
  CHECK(cp->run_id == id);
}

TEST_CASE("fetches, opt-outs and vantage points", "[db]") {
  TempDir dir;
  Store store(dir.file("misc.db"));
  store.add_fetch({"pfx2as", "https://example.org/a", 100, "ok", "\"e1\"", "", "ab", 10, "/x"});
  store.add_fetch({"pfx2as", "https://example.org/a", 200, "failed", "", "", "", 0, ""});
  auto f = store.latest_fetch("pfx2as");
  REQUIRE(f);
  CHECK(f->fetched_at == 100);
  CHECK(f->etag == "\"e1\"");
  CHECK_FALSE(store.latest_fetch("geoip"));

  store.add_optout({"198.51.100.77/24", "asked by mail", 5});
  store.add_optout({"198.51.100.0/24", "asked again", 6});
  auto optouts = store.optouts();
  REQUIRE(optouts.size() == 1);
  CHECK(optouts[0].prefix == "198.51.100.0/24");
  CHECK(optouts[0].reason == "asked again");
  CHECK(optouts[0].added_at == 5);
  CHECK_THROWS_AS(store.add_optout({"nonsense", "", 0}), Error);

  int64_t id = store.upsert_vantage_point({"eu", "Frankfurt", "", {"192.0.2.53:53"}});
  CHECK(store.upsert_vantage_point({"eu", "Berlin", "203.0.113.0/24", {}}) == id);
  CHECK(count(store, "vantage_points") == 1);
}

TEST_CASE("a large batch of resolutions is written in one transaction", "[db]") {
  TempDir dir;
  Store store(dir.file("batch.db"));
  std::vector<ResolutionRow> rows;
  rows.reserve(100'000);
  for (int i = 0; i < 50'000; ++i) {
    ResolutionRow r;
    r.hour = kHour;
    r.name = "device-" + std::to_string(i) + ".iot.example.com.";
    r.qtype = "A";
    r.vantage = "local";
    r.status = "NOERROR";
    r.rcode = 0;
    r.answers = {{"10.0." + std::to_string(i % 250) + "." + std::to_string(i % 200), 60}};
    r.min_ttl = 60;
    r.resolved_at = kHour + 1;
    rows.push_back(r);
    r.qtype = "AAAA";
    r.answers = {{"2001:db8::" + std::to_string(i % 9000), 60}};
    rows.push_back(std::move(r));
  }
  int commits = 0;
  sqlite3_commit_hook(
      store.database().handle(),
      [](void* n) {
        ++*static_cast<int*>(n);
        return 0;
      },
      &commits);
  // CPU time rather than wall time: the figure stays meaningful on a busy machine.
  auto timed = [&] {
    std::clock_t start = std::clock();
    CHECK(store.add_resolutions(rows) == rows.size());
    return static_cast<double>(std::clock() - start) / CLOCKS_PER_SEC;
  };
  double first = timed();
  sqlite3_commit_hook(store.database().handle(), nullptr, nullptr);
  CHECK(commits == 1);  // batched: one transaction for the whole span
  // The next hour: the names exist now, as in every hourly run after the first.
  for (auto& r : rows) r.hour += 3600;
  double next = timed();
  CHECK(count(store, "resolution_answers") == 200'000);
  std::printf("db: 100000 resolutions written in %.2f s CPU (new names), %.2f s (known names)\n",
              first, next);
}

TEST_CASE("utc_date and parse_date are inverse on UTC days", "[db]") {
  CHECK(utc_date(0) == "1970-01-01");
  CHECK(utc_date(951782400) == "2000-02-29");          // a leap day
  CHECK(utc_date(951782400 + 86399) == "2000-02-29");  // its last second is still that day
  CHECK(utc_date(951782400 + 86400) == "2000-03-01");
  for (const char* d : {"1999-12-31", "2022-02-28", "2024-02-29", "2038-01-19", "2100-03-01"})
    CHECK(utc_date(int64_t{*parse_date(d)} * 86400) == d);
  CHECK(utc_date(-1) == "1969-12-31");
}
