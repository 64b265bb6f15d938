// What the hourly resolve imports again and what not (resolver/incremental.h), and the store's
// reads and writes behind it (db/store_imports.cpp).
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "db/store.h"
#include "resolver/incremental.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap;
using iotmap::test::TempDir;

namespace {

config::Catalogue catalogue() { return config::Catalogue::embedded(); }

// One scan run with one observation per (chain, time); returns the run id.
int64_t observe(db::Store& store,
                const std::vector<std::pair<std::vector<std::string>, int64_t>>& seen) {
  db::RunInfo info;
  info.kind = "scan";
  int64_t run = store.begin_run(info);
  std::vector<db::TlsObservationRow> rows;
  std::vector<db::CertificateRow> certs;
  int port = 1;
  for (const auto& [chain, t] : seen) {
    db::TlsObservationRow o;
    o.run_id = run;
    o.ip = "192.0.2.1";
    o.port = port++;
    o.observed_at = t;
    o.status = "ok";
    o.leaf_sha256 = chain.front();
    o.chain = chain;
    rows.push_back(o);
    for (const auto& sha : chain) {
      db::CertificateRow c;
      c.sha256 = sha;
      c.der = {1};
      certs.push_back(c);
    }
  }
  store.add_tls_observations(rows, certs);
  store.finish_run(run, "ok");
  return run;
}

std::vector<std::string> read_names(db::Store& store, int64_t after_id, int64_t since,
                                    int64_t* last_id = nullptr) {
  std::vector<std::string> out;
  int64_t id =
      store.for_each_observed_cert_name(after_id, since, [&](const db::ObservedCertName& n) {
        out.push_back(n.name + " " + std::to_string(n.first_seen) + " " +
                      std::to_string(n.last_seen));
      });
  if (last_id) *last_id = id;
  return out;
}

}  // namespace

TEST_CASE("incremental: cert name rows carry the observation times, wildcards give the parent",
          "[resolver]") {
  auto cat = catalogue();
  std::vector<db::ObservedCertName> seen = {
      {"a1-ats.iot.eu-west-1.amazonaws.com.", 100, 100},
      {"*.b2-ats.iot.eu-west-1.amazonaws.com.", 200, 300},
      {"b2-ats.iot.eu-west-1.amazonaws.com.", 150, 250},  // as the wildcard: one span 150..300
      {"www.example.org.", 100, 100},
      {"*.amazonaws.com.", 100, 100},  // "amazonaws.com." matches no pattern
  };
  auto rows = resolver::cert_name_rows(cat, seen);
  std::vector<std::string> got;
  for (const auto& r : rows)
    got.push_back(r.name + " " + r.provider + " " + r.source + " " + std::to_string(r.seen_at));
  CHECK(got == std::vector<std::string>{"a1-ats.iot.eu-west-1.amazonaws.com. aws cert 100",
                                        "b2-ats.iot.eu-west-1.amazonaws.com. aws cert 150",
                                        "b2-ats.iot.eu-west-1.amazonaws.com. aws cert 300"});

  // Through the store: the rows make first_seen/last_seen the span, not the import's time.
  TempDir dir;
  db::Store store(dir.file("n.db"));
  store.upsert_names(rows);
  std::vector<std::string> spans;
  store.database()
      .cached(
          "SELECT n.name, s.first_seen, s.last_seen, n.first_seen, n.last_seen FROM names n "
          "JOIN name_sources s ON s.name_id = n.id ORDER BY n.name")
      .each([&](db::Statement& s) {
        spans.push_back(s.text(0) + " " + std::to_string(s.int64(1)) + " " +
                        std::to_string(s.int64(2)) + " " + std::to_string(s.int64(3)) + " " +
                        std::to_string(s.int64(4)));
      });
  CHECK(spans == std::vector<std::string>{"a1-ats.iot.eu-west-1.amazonaws.com. 100 100 100 100",
                                          "b2-ats.iot.eu-west-1.amazonaws.com. 150 300 150 300"});
}

TEST_CASE("incremental: the cert cursor starts after the previous run's observations",
          "[resolver]") {
  auto first = resolver::cert_cursor(std::nullopt);
  CHECK(first.after_id == 0);
  CHECK(first.since == INT64_MAX);
  db::RunRecord prev;
  prev.info.started_at = 1795305600;
  prev.counts = {{resolver::kCertObservationCount, 42}, {"names_cert", 3}};
  auto next = resolver::cert_cursor(prev);
  CHECK(next.after_id == 42);
  CHECK(next.since == 1795305600);
}

TEST_CASE("incremental: a pdns file is unchanged only with the same digest and filter key",
          "[resolver]") {
  auto cat = catalogue();
  resolver::PdnsFilter all;
  const std::string key = resolver::pdns_filter_key(all, cat);
  resolver::PdnsFilter window = all;
  window.from = 1700000000;
  CHECK(resolver::pdns_filter_key(window, cat) != key);
  resolver::PdnsFilter types = all;
  types.rrtypes = {"A"};
  CHECK(resolver::pdns_filter_key(types, cat) != key);
  const char* one_provider =
      "[[provider]]\nid = \"p\"\nname = \"P\"\npatterns = ['[a-z]+\\.example\\.net\\.']\n"
      "ports = [{ port = 8883, protocol = \"mqtt\", tls = true }]\n";
  auto key_of = [&](const char* origin) {
    return resolver::pdns_filter_key(all, config::Catalogue::from_text(one_provider, origin));
  };
  CHECK(key_of("p.toml") != key);
  CHECK(key_of("p.toml") == key_of("q.toml"));  // stable: the same catalogue read again

  db::PdnsFileRow stored{"/data/pdns.jsonl", 10, 20, "abc", key, 30, 5, std::nullopt};
  CHECK(resolver::pdns_file_unchanged(stored, "abc", key));
  CHECK_FALSE(resolver::pdns_file_unchanged(stored, "abd", key));
  CHECK_FALSE(resolver::pdns_file_unchanged(stored, "abc", key + "x"));
  CHECK_FALSE(resolver::pdns_file_unchanged(std::nullopt, "abc", key));
}

TEST_CASE("store: pdns files are recorded by path and replaced by the next import", "[db]") {
  TempDir dir;
  db::Store store(dir.file("f.db"));
  CHECK_FALSE(store.pdns_file("/data/pdns.jsonl"));
  db::RunInfo info;
  info.kind = "resolve";
  int64_t run = store.begin_run(info);
  store.record_pdns_file({"/data/pdns.jsonl", 10, 20, "abc", "k", 30, 5, run});
  store.record_pdns_file({"/data/pdns.jsonl", 11, 21, "abd", "k", 31, 6, run});
  auto back = store.pdns_file("/data/pdns.jsonl");
  REQUIRE(back);
  CHECK(back->size == 11);
  CHECK(back->mtime == 21);
  CHECK(back->sha256 == "abd");
  CHECK(back->filter == "k");
  CHECK(back->imported_at == 31);
  CHECK(back->records == 6);
  CHECK(back->run_id == run);
}

TEST_CASE("store: observed cert names are the leaves' names of new observations", "[db]") {
  TempDir dir;
  db::Store store(dir.file("c.db"));
  const std::string leaf1(64, 'a'), leaf2(64, 'b'), ca(64, 'c');
  observe(store, {{{leaf1, ca}, 1000}, {{leaf1, ca}, 3000}, {{leaf2, ca}, 2000}});
  std::vector<db::CertNameRow> names{
      {leaf1, "a.example.com.", "p"}, {leaf2, "b.example.com.", "p"}, {ca, "ca.example.com.", "p"}};
  store.add_cert_names(names);
  int64_t last = 0;
  // Everything, the CA's name not among it: it is never a leaf.
  CHECK(read_names(store, 0, 0, &last) ==
        std::vector<std::string>{"a.example.com. 1000 3000", "b.example.com. 2000 2000"});
  CHECK(last == 3);
  // Observed since 2500, or stored after id 3: nothing of the old ones but a's last.
  CHECK(read_names(store, last, 2500) == std::vector<std::string>{"a.example.com. 3000 3000"});
  // An observation stored later with an old time (a merged shard) counts by its id.
  observe(store, {{{leaf2, ca}, 500}});
  CHECK(read_names(store, last, 2500) ==
        std::vector<std::string>{"a.example.com. 3000 3000", "b.example.com. 500 500"});
  CHECK(read_names(store, 4, INT64_MAX).empty());
}

TEST_CASE("store: the latest ok or partial run with a counter", "[db]") {
  TempDir dir;
  db::Store store(dir.file("r.db"));
  CHECK_FALSE(store.latest_run_with("resolve", "cert_observation_id"));
  auto run = [&](int64_t started, const char* status, std::map<std::string, int64_t> counts) {
    db::RunInfo info;
    info.kind = "resolve";
    info.started_at = started;
    int64_t id = store.begin_run(info);
    store.finish_run(id, status, counts);
    return id;
  };
  int64_t ok = run(100, "ok", {{"cert_observation_id", 7}});
  run(200, "failed", {{"cert_observation_id", 9}});
  run(300, "ok", {{"names_cli", 1}});  // names from the command line: no certificates read
  auto latest = store.latest_run_with("resolve", "cert_observation_id");
  REQUIRE(latest);
  CHECK(latest->id == ok);
  CHECK(latest->counts.at("cert_observation_id") == 7);
  int64_t partial = run(400, "partial", {{"cert_observation_id", 11}});
  CHECK(store.latest_run_with("resolve", "cert_observation_id")->id == partial);
  CHECK_FALSE(store.latest_run_with("scan", "cert_observation_id"));
}

namespace {

db::ResolutionRow stored_row(const std::string& name, const std::string& qtype,
                             const std::string& vantage, const std::string& status = "NOERROR") {
  db::ResolutionRow r;
  r.name = name;
  r.qtype = qtype;
  r.vantage = vantage;
  r.status = status;
  return r;
}

// Names with long text (no small-string buffer) and short, as the catalogue has both.
std::vector<std::string> ten_names() {
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i)
    names.push_back(std::to_string(i) + (i % 2 ? ".a." : ".device-endpoint.iot.provider.example."));
  return names;
}

}  // namespace

TEST_CASE(
    "incremental: names done at the start, middle or end of the list are dropped, the rest "
    "kept whole and in order",
    "[resolver]") {
  const auto all = ten_names();
  for (const std::vector<size_t>& done_at :
       {std::vector<size_t>{0}, {5}, {9}, {0, 5, 9}, {}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}) {
    for (bool with_ids : {false, true}) {
      INFO("done at " << done_at.size() << " places, ids " << with_ids);
      resolver::HourJobs jobs({"A", "AAAA"}, {"vp1", "vp2"});
      for (size_t i : done_at)
        for (const char* t : {"A", "AAAA"})
          for (const char* v : {"vp1", "vp2"}) jobs.add(stored_row(all[i], t, v));
      std::vector<std::string> names = all, want_names;
      std::vector<int64_t> ids, want_ids;
      for (size_t i = 0; i < all.size(); ++i) {
        if (with_ids) ids.push_back(static_cast<int64_t>(100 + i));
        if (std::find(done_at.begin(), done_at.end(), i) != done_at.end()) continue;
        want_names.push_back(all[i]);
        if (with_ids) want_ids.push_back(static_cast<int64_t>(100 + i));
      }
      CHECK(resolver::keep_unfinished(jobs, names, ids) == done_at.size());
      CHECK(names == want_names);
      CHECK(ids == want_ids);
    }
  }
}

TEST_CASE("incremental: a name is done only when every type x vantage point of the run is",
          "[resolver]") {
  const std::string name = "thing.iot.provider.example.";
  std::vector<int64_t> no_ids;
  auto kept = [&](resolver::HourJobs& jobs) {
    std::vector<std::string> names{name};
    resolver::keep_unfinished(jobs, names, no_ids);
    return names.size() == 1;
  };
  resolver::HourJobs both({"A", "AAAA"}, {"vp1", "vp2"});
  for (const char* t : {"A", "AAAA"}) both.add(stored_row(name, t, "vp1"));
  both.add(stored_row(name, "A", "vp2"));
  CHECK(kept(both));  // AAAA from vp2 missing
  CHECK(both.done(name, 0, 1));
  CHECK_FALSE(both.done(name, 1, 1));
  both.add(stored_row(name, "AAAA", "vp2"));
  CHECK_FALSE(kept(both));

  // Rows of another vantage point or type are not this run's: they do not make it done.
  resolver::HourJobs a_only({"A"}, {"vp1", "vp2"});
  for (const char* v : {"vp1", "vp2", "vp3"}) a_only.add(stored_row(name, "AAAA", v));
  a_only.add(stored_row(name, "A", "vp3"));
  a_only.add(stored_row(name, "A", "vp1"));
  CHECK(kept(a_only));
  a_only.add(stored_row(name, "A", "vp2"));
  CHECK_FALSE(kept(a_only));
}

TEST_CASE("incremental: a row without a reply leaves its job to do, an answer of any rcode not",
          "[resolver]") {
  const std::string name = "thing.iot.provider.example.";
  resolver::HourJobs jobs({"A", "AAAA"}, {"vp1"});
  jobs.add(stored_row(name, "A", "vp1", "TIMEOUT"));
  jobs.add(stored_row(name, "AAAA", "vp1", "NETWORK_ERROR"));
  CHECK_FALSE(jobs.done(name, 0, 0));
  CHECK_FALSE(jobs.done(name, 1, 0));
  CHECK(jobs.missing({name, "other.example."}) == 4);
  jobs.add(stored_row(name, "AAAA", "vp1", "NO_RESOLVER"));
  CHECK(jobs.missing({name}) == 2);
  jobs.add(stored_row(name, "A", "vp1", "SERVFAIL"));  // the resolver replied
  CHECK(jobs.done(name, 0, 0));
  CHECK(jobs.missing({name}) == 1);
  CHECK_FALSE(jobs.complete(name));
  jobs.add(stored_row(name, "AAAA", "vp1", "NXDOMAIN"));
  CHECK(jobs.complete(name));
  CHECK(jobs.missing({name}) == 0);
}

TEST_CASE("incremental: a cert name's span starts at its earliest sighting in any order",
          "[resolver][mutation]") {
  // The earlier sighting comes first here, so a span that took the last one seen would start
  // at 200.
  std::vector<db::ObservedCertName> seen = {
      {"c3-ats.iot.eu-west-1.amazonaws.com.", 100, 120},
      {"*.c3-ats.iot.eu-west-1.amazonaws.com.", 200, 300},
  };
  std::vector<std::string> got;
  for (const auto& r : resolver::cert_name_rows(catalogue(), seen))
    got.push_back(r.name + " " + std::to_string(r.seen_at));
  CHECK(got == std::vector<std::string>{"c3-ats.iot.eu-west-1.amazonaws.com. 100",
                                        "c3-ats.iot.eu-west-1.amazonaws.com. 300"});
}
