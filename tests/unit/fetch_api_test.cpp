// The API sources without a server: DNSDB's regex form of the catalogue patterns, RIPE Atlas
// requests and results (fetch/crawler.h, fetch/atlas.h).
#include <openssl/evp.h>
#include <re2/re2.h>

#include <catch2/catch.hpp>

#include "config/catalogue.h"
#include "fetch/atlas.h"
#include "fetch/crawler.h"
#include "fetch/sources.h"
#include "resolver/wire.h"
#include "resolver_fake_dns.h"

using namespace iotmap;
using namespace iotmap::fetch;
using nlohmann::json;

namespace {

std::string b64(const std::vector<uint8_t>& v) {
  std::string out(4 * ((v.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), v.data(),
                          static_cast<int>(v.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// A DNS reply for `name`/`qtype` with rcode and answers in zone syntax, base64 as Atlas has it.
std::string abuf(const std::string& name, uint16_t qtype, int rcode,
                 const std::vector<std::string>& answers) {
  testing::FakeQuery q;
  q.wire = *resolver::build_query(name, qtype, 4711, std::nullopt);
  return b64(testing::fake_reply(q, rcode, answers));
}

}  // namespace

TEST_CASE("fetch dnsdb: every catalogue pattern becomes an anchored POSIX regex", "[fetch]") {
  auto cat = config::Catalogue::embedded();
  size_t n = 0;
  for (const auto& p : cat.providers()) {
    for (const auto& pattern : p.patterns) {
      std::string ere = dnsdb_regex(pattern);
      INFO(pattern << " -> " << ere);
      CHECK(ere.front() == '^');
      CHECK(ere.back() == '$');
      CHECK(ere.find("(?") == std::string::npos);
      CHECK(ere.find("\\d") == std::string::npos);
      // The same names match (RE2 reads the POSIX form too).
      RE2 re(ere);
      CHECK(re.ok());
      ++n;
    }
  }
  CHECK(n > 16);
  CHECK(dnsdb_regex(R"([a-z0-9_-]+\.iot\.(?P<region>[a-z]{2}-[a-z]+-\d+)\.amazonaws\.com\.)") ==
        R"(^[a-z0-9_-]+\.iot\.([a-z]{2}-[a-z]+-[0-9]+)\.amazonaws\.com\.$)");
  RE2 aws(dnsdb_regex(cat.provider("aws")->patterns[0]));
  CHECK(RE2::FullMatch("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.", aws));
  CHECK_FALSE(RE2::FullMatch("x.a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com.", aws));
}

TEST_CASE("fetch atlas: one-off DNS definitions from the group's probes", "[fetch]") {
  Source s;
  s.af = 6;
  ProbeGroup g{"atlas-de", "country", "DE", 3};
  json body =
      atlas_request(s, g, {{"mqtt.googleapis.com.", "A"}, {"mqtt.googleapis.com.", "AAAA"}});
  REQUIRE(body["definitions"].size() == 2);
  CHECK(body["definitions"][0]["type"] == "dns");
  CHECK(body["definitions"][0]["query_argument"] == "mqtt.googleapis.com");
  CHECK(body["definitions"][1]["query_type"] == "AAAA");
  CHECK(body["definitions"][0]["af"] == 6);
  CHECK(body["definitions"][0]["use_probe_resolver"].get<bool>());
  CHECK(body["probes"][0] == json({{"type", "country"}, {"value", "DE"}, {"requested", 3}}));
  CHECK(body["is_oneoff"].get<bool>());
  std::string st;
  CHECK_FALSE(atlas_final(json::parse(R"({"status":{"id":2,"name":"Ongoing"}})"), &st));
  CHECK(atlas_final(json::parse(R"({"status":{"id":4,"name":"Stopped"}})"), &st));
  CHECK(st == "Stopped");
  CHECK(atlas_final(json::parse(R"({"status":{"id":6,"name":"No suitable probes"}})"), &st));
}

TEST_CASE("fetch atlas: a group's probe answers merge into one resolution", "[fetch]") {
  const std::string n = "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com";
  json results = json::array();
  // Probe 1: its resolver answers .10; probe 2: .11 and .10 again; probe 3: a timeout.
  results.push_back(
      {{"prb_id", 1},
       {"msm_id", 1001},
       {"timestamp", 1700003700},
       {"resultset",
        json::array(
            {{{"time", 1700003700},
              {"dst_addr", "192.0.2.11"},
              {"result",
               {{"rt", 12.5},
                {"abuf", abuf(n, resolver::kTypeA, 0, {n + ". 60 IN A 198.51.100.10"})}}}}})}});
  results.push_back(
      {{"prb_id", 2},
       {"msm_id", 1001},
       {"timestamp", 1700003650},
       {"resultset", json::array({{{"time", 1700003650},
                                   {"result",
                                    {{"abuf", abuf(n, resolver::kTypeA, 0,
                                                   {n + ". 30 IN A 198.51.100.11",
                                                    n + ". 20 IN A 198.51.100.10"})}}}}})}});
  results.push_back({{"prb_id", 3},
                     {"msm_id", 1001},
                     {"timestamp", 1700003600},
                     {"resultset", json::array({{{"error", {{"timeout", 5000}}}}})}});
  std::string note;
  auto row = atlas_row(results, {1001, n + ".", "A", "atlas-de"}, 7, &note);
  REQUIRE(row);
  CHECK(row->status == "NOERROR");
  CHECK(row->vantage == "atlas-de");
  CHECK(row->qtype == "A");
  REQUIRE(row->answers.size() == 2);
  CHECK(row->answers[0].ip == "198.51.100.10");
  CHECK(row->answers[0].ttl == 20);
  CHECK(row->answers[1].ip == "198.51.100.11");
  CHECK(row->hour == 1700002800);  // the earliest reply's hour
  CHECK(row->resolver == "atlas:1001");
  CHECK(row->run_id == 7);
  CHECK(note == "3 probes, 1 without a reply");

  // A CNAME chain, and NXDOMAIN / timeouts only.
  const std::string hub = "iotlab-hub.azure-devices.net";
  json chain =
      json::array({{{"prb_id", 9},
                    {"timestamp", 1700000000},
                    {"result",
                     {{"abuf", abuf(hub, resolver::kTypeA, 0,
                                    {hub + ". 60 IN CNAME ihsu-prod-am-001.cloudapp.net.",
                                     "ihsu-prod-am-001.cloudapp.net. 60 IN A 203.0.113.70"})}}}}});
  row = atlas_row(chain, {1002, hub + ".", "A", "atlas-us"}, std::nullopt, &note);
  REQUIRE(row);
  CHECK(row->cname_chain == std::vector<std::string>{"ihsu-prod-am-001.cloudapp.net."});
  REQUIRE(row->answers.size() == 1);
  CHECK(row->answers[0].ip == "203.0.113.70");
  json nx = json::array(
      {{{"prb_id", 9},
        {"timestamp", 1700000000},
        {"result", {{"abuf", abuf("doesnotexist.azure-devices.net", resolver::kTypeA, 3, {})}}}}});
  row = atlas_row(nx, {1003, "doesnotexist.azure-devices.net.", "A", "atlas-us"}, std::nullopt,
                  &note);
  REQUIRE(row);
  CHECK(row->status == "NXDOMAIN");
  json lost =
      json::array({{{"prb_id", 9}, {"timestamp", 1700000000}, {"error", {{"timeout", 5000}}}}});
  row = atlas_row(lost, {1004, hub + ".", "AAAA", "atlas-us"}, std::nullopt, &note);
  REQUIRE(row);
  CHECK(row->status == "TIMEOUT");
  CHECK_FALSE(atlas_row(json::array(), {1005, hub + ".", "A", "x"}, std::nullopt, &note));
}

TEST_CASE("fetch index: the greatest release in an index, resolved against it", "[fetch]") {
  std::string log =
      "# seqnum\ttimestamp\tpath\n"
      "1\t1115107200\t2005/05/routeviews-rv2-20050503-1200.pfx2as.gz\n"
      "7000\t1700000000\t2023/11/routeviews-rv2-20231114-1200.pfx2as.gz\n"
      "6999\t1699900000\t2023/11/routeviews-rv2-20231113-1200.pfx2as.gz\n";
  std::string err;
  CHECK(
      pick_latest(
          "https://publicdata.caida.org/datasets/routing/routeviews-prefix2as/pfx2as-creation.log",
          log, R"(([0-9]{4}/[0-9]{2}/routeviews-rv2-[0-9]{8}-[0-9]{4}\.pfx2as\.gz))", &err) ==
      "https://publicdata.caida.org/datasets/routing/routeviews-prefix2as/2023/11/"
      "routeviews-rv2-20231114-1200.pfx2as.gz");
  std::string html =
      R"(<a href="20240101.as-org2info.txt.gz">x</a> <a href="20240401.as-org2info.txt.gz">)";
  CHECK(pick_latest("https://publicdata.caida.org/datasets/as-organizations/", html,
                    R"re(href="([0-9]{8}\.as-org2info\.txt\.gz)")re", &err) ==
        "https://publicdata.caida.org/datasets/as-organizations/20240401.as-org2info.txt.gz");
  CHECK(pick_latest("https://x.test/a/", "nothing here", "(z+)", &err).empty());
  CHECK(err.find("no release matching") != std::string::npos);
  CHECK(resolve_url("https://127.0.0.1:8443/a/b.log", "/c/d.gz") ==
        "https://127.0.0.1:8443/c/d.gz");
  CHECK(resolve_url("https://127.0.0.1:8443/a/b.log", "https://other.test/x") ==
        "https://other.test/x");
  CHECK(url_escape("%.azure-devices.net") == "%25.azure-devices.net");
  CHECK(url_escape("^a+b$") == "%5Ea%2Bb%24");
}

TEST_CASE("fetch http: https only, and the loopback guard refuses other hosts", "[fetch]") {
  Redactor redact;
  HttpSettings open;
  HttpClient plain(open, redact, [](const std::string&) {});
  CHECK(plain.refuse_reason("https://ip-ranges.amazonaws.com/ip-ranges.json").empty());
  CHECK(plain.refuse_reason("http://127.0.0.1/x") == "only https:// URLs are fetched");
  CHECK(plain.refuse_reason("ftp://127.0.0.1/x") == "only https:// URLs are fetched");
  CHECK(plain.refuse_reason("not a url") == "not a valid URL");
  HttpSettings guarded;
  guarded.loopback_only = true;
  HttpClient guard(guarded, redact, [](const std::string&) {});
  CHECK(guard.refuse_reason("https://127.0.0.1:8443/x").empty());
  CHECK(guard.refuse_reason("https://127.9.9.9/x").empty());
  CHECK(guard.refuse_reason("https://[::1]:8443/x").empty());
  CHECK(guard.refuse_reason("https://localhost/x").empty());
  CHECK(guard.refuse_reason("https://ip-ranges.amazonaws.com/ip-ranges.json") ==
        "IOTMAP_FETCH_LOOPBACK_ONLY is set and ip-ranges.amazonaws.com is not a loopback address");
  CHECK_FALSE(guard.refuse_reason("https://192.0.2.1/x").empty());
  CHECK_FALSE(guard.refuse_reason("https://[2001:db8::1]/x").empty());
  // perform() refuses before any connection: the error says why, the sink never sees a byte.
  StringSink sink;
  Request r;
  r.url = "https://198.51.100.1/never";
  Response resp = guard.perform(r, sink);
  CHECK(resp.error.rfind("refused: IOTMAP_FETCH_LOOPBACK_ONLY", 0) == 0);
  CHECK(resp.attempts == 0);
  CHECK(sink.text.empty());
}
