// Bulk forward-DNS data sets (fetch/bulk_dns.h): Sonar FDNS, zdns and massdns lines, gzip
// streaming, the window, bad lines named by file:line, and the address evidence they give.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "fetch/bulk_dns.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap;

namespace {

std::vector<std::string> parsed(const std::string& line, int64_t t = 7) {
  std::vector<resolver::PdnsRecord> out;
  std::string error;
  if (!fetch::parse_bulk_line(line, t, out, error)) return {"error: " + error};
  std::vector<std::string> text;
  for (const auto& r : out)
    text.push_back(r.rrname + " " + r.rrtype + " " + r.rdata + " " + std::to_string(r.time_first));
  return text;
}

}  // namespace

TEST_CASE("bulk DNS: Sonar, zdns and massdns lines", "[fetch][evidence]") {
  CHECK(
      parsed(
          R"({"timestamp":"1597190444","name":"WWW.Example.com","type":"a","value":"192.0.2.1"})") ==
      std::vector<std::string>{"www.example.com A 192.0.2.1 1597190444"});
  CHECK(
      parsed(
          R"({"timestamp":"1597190444","name":"v6.example.com","type":"aaaa","value":"2001:DB8::1"})") ==
      std::vector<std::string>{"v6.example.com AAAA 2001:db8::1 1597190444"});
  CHECK(
      parsed(
          R"({"timestamp":"1597190444","name":"a.example.com","type":"cname","value":"b.cdn.example."})") ==
      std::vector<std::string>{"a.example.com CNAME b.cdn.example 1597190444"});
  CHECK(
      parsed(R"({"timestamp":"1","name":"x.example.com","type":"mx","value":"10 mx.example.com"})")
          .empty());
  // An escaped value goes through the JSON parser.
  CHECK(
      parsed(R"({"timestamp":"5","name":"e\u0078.example.com","type":"a","value":"192.0.2.2"})") ==
      std::vector<std::string>{"ex.example.com A 192.0.2.2 5"});
  // zdns: ISO time, answers with "answer".
  CHECK(
      parsed(
          R"({"name":"a.example.com","status":"NOERROR","timestamp":"2020-08-12T00:00:00Z","data":{"answers":[{"ttl":60,"type":"CNAME","class":"IN","name":"a.example.com","answer":"edge.cdn.example."},{"ttl":60,"type":"A","class":"IN","name":"edge.cdn.example","answer":"192.0.2.3"}]}})") ==
      std::vector<std::string>{"a.example.com CNAME edge.cdn.example 1597190400",
                               "edge.cdn.example A 192.0.2.3 1597190400"});
  // Times through lib/date.h: an offset is applied; a time too large or a day that does not
  // exist falls back to the default, and neither stops the import.
  CHECK(
      parsed(
          R"({"timestamp":"2020-08-12T02:00:00+02:00","name":"o.example.com","type":"a","value":"192.0.2.5"})") ==
      std::vector<std::string>{"o.example.com A 192.0.2.5 1597190400"});
  CHECK(
      parsed(
          R"({"timestamp":"99999999999999999999","name":"o.example.com","type":"a","value":"192.0.2.5"})") ==
      std::vector<std::string>{"o.example.com A 192.0.2.5 7"});
  CHECK(
      parsed(
          R"({"timestamp":"2020-02-30T00:00:00Z","name":"o.example.com","type":"a","value":"192.0.2.5"})") ==
      std::vector<std::string>{"o.example.com A 192.0.2.5 7"});
  // massdns: answers with "data", no time (the default is used); an error status has none.
  CHECK(
      parsed(
          R"({"name":"m.example.com.","type":"A","class":"IN","status":"NOERROR","data":{"answers":[{"ttl":5,"type":"A","class":"IN","name":"m.example.com.","data":"192.0.2.4"}]}})",
          99) == std::vector<std::string>{"m.example.com A 192.0.2.4 99"});
  CHECK(parsed(R"({"name":"n.example.com.","type":"A","class":"IN","status":"NXDOMAIN","data":{}})")
            .empty());
  // Malformed lines say why.
  CHECK(parsed("not json") == std::vector<std::string>{"error: not a JSON object"});
  CHECK(
      parsed(R"({"timestamp":"1","name":"x.example.com","type":"a","value":"2001:db8::1"})") ==
      std::vector<std::string>{"error: A value \"2001:db8::1\" is not an address of that family"});
  CHECK(parsed(R"({"foo":1})")[0].rfind("error: neither Sonar", 0) == 0);
}

TEST_CASE("bulk DNS: Sonar fields are the first of each key, in any order", "[fetch][evidence]") {
  // The fields are found in one pass over the line's quotes; what counts is still the value
  // after each key's first "key":" anywhere in the line.
  CHECK(parsed(R"({"value":"192.0.2.9","type":"a","name":"Order.example","timestamp":"3"})") ==
        std::vector<std::string>{"order.example A 192.0.2.9 3"});
  CHECK(
      parsed(
          R"({"timestamp":"4","name":"first.example","name":"second.example","type":"a","value":"192.0.2.1"})") ==
      std::vector<std::string>{"first.example A 192.0.2.1 4"});
  // A value that reads like a key is a value.
  CHECK(parsed(R"({"timestamp":"name","name":"v.example","type":"a","value":"192.0.2.2"})") ==
        std::vector<std::string>{"v.example A 192.0.2.2 7"});
  // No timestamp: the default time.
  CHECK(parsed(R"({"name":"t.example","type":"a","value":"192.0.2.3"})", 11) ==
        std::vector<std::string>{"t.example A 192.0.2.3 11"});
  // The first "name" escaped: the JSON parser reads the line (which keeps the first "name"
  // too), not a later plain "name".
  CHECK(
      parsed(
          R"({"timestamp":"5","name":"ex.example","type":"a","value":"192.0.2.4","name":"plain.example"})") ==
      std::vector<std::string>{"ex.example A 192.0.2.4 5"});
  CHECK(parsed(R"({"timestamp":"5","name":"cut.example)") ==
        std::vector<std::string>{"error: not a JSON object"});
}

TEST_CASE("bulk DNS: Sonar's own layout is read in one go, with the same fields",
          "[fetch][evidence]") {
  // Lines in Sonar's layout take the short path; each case below is one where it must give
  // what the search for each key's first occurrence gives.
  // Values that read like keys.
  CHECK(parsed(R"({"timestamp":"name","name":"type.example","type":"a","value":"192.0.2.5"})") ==
        std::vector<std::string>{"type.example A 192.0.2.5 7"});
  // Anything after the four fields: a repeated key there does not count.
  CHECK(
      parsed(
          R"({"timestamp":"6","name":"n.example","type":"a","value":"192.0.2.6","name":"x.example","extra":1})") ==
      std::vector<std::string>{"n.example A 192.0.2.6 6"});
  // An escaped value leaves the layout: the JSON parser reads the line.
  CHECK(parsed(R"({"timestamp":"6","name":"n.example","type":"a","value":"192.0.2.\u0037"})") ==
        std::vector<std::string>{"n.example A 192.0.2.7 6"});
  // Cut inside the layout: no short path, and no record.
  CHECK(parsed(R"({"timestamp":"6","name":"n.example","type":"a","value":"192.0.2.6)") ==
        std::vector<std::string>{"error: not a JSON object"});
  CHECK(parsed(R"({"timestamp":"6",)") == std::vector<std::string>{"error: not a JSON object"});
  CHECK(parsed("{") == std::vector<std::string>{"error: not a JSON object"});
}

TEST_CASE("bulk DNS: a gzip file streams into address evidence", "[fetch][evidence]") {
  test::TempDir dir;
  const std::string path = dir.file("fdns.json.gz");
  {
    gzFile gz = gzopen(path.c_str(), "wb");
    REQUIRE(gz != nullptr);
    auto put = [&](const std::string& name, const char* type, const std::string& value, int64_t t) {
      std::string line = R"({"timestamp":")" + std::to_string(t) + R"(","name":")" + name +
                         R"(","type":")" + type + R"(","value":")" + value + "\"}\n";
      gzwrite(gz, line.data(), static_cast<unsigned>(line.size()));
    };
    // Many lines, so that lines cross the decoder's pieces.
    for (int i = 0; i < 20000; ++i)
      put("host" + std::to_string(i) + ".filler.example", "a",
          "203.0.113." + std::to_string(i % 200), 1700000000);
    put("shop.store.test", "cname", "shop.store.test.cdn.example", 1700000000);
    put("shop.store.test.cdn.example", "a", "198.51.100.7", 1700000000);
    put("dev.iot.example.net", "a", "198.51.100.7", 1700000000);
    put("old.site.test", "a", "198.51.100.7", 1500000000);  // outside the window
    gzputs(gz, "garbage line\n");
    gzclose(gz);
  }
  db::Store store(dir.file("e.db"));
  auto cat = config::Catalogue::from_text(
      "[[provider]]\nid = \"p\"\nname = \"P\"\npatterns = ['[a-z0-9]+\\.iot\\.example\\.net\\.']\n"
      "ports = [{ port = 8883, protocol = \"mqtt\", tls = true }]\n",
      "p.toml");
  fetch::BulkStats st;
  auto ev =
      resolver::import_address_evidence(fetch::bulk_reader(path, 0, 1690000000, 1800000000, st),
                                        1690000000, 1800000000, "bulk", "fdns.json.gz", cat, store);
  CHECK(st.lines == 20005);
  CHECK(st.malformed == 1);
  REQUIRE(st.errors.size() == 1);
  CHECK(st.errors[0].rfind(path + ":20005: ", 0) == 0);
  CHECK(ev.converged);
  CHECK(ev.records == 3);  // the provider's record, the site's A and its CNAME
  std::vector<std::string> kinds;
  store.for_each_address_name(INT64_MIN, INT64_MAX, [&](const db::AddressNameRow& r) {
    kinds.push_back(r.name + " " + r.kind + " " + r.source);
  });
  CHECK(kinds == std::vector<std::string>{"dev.iot.example.net. bulk fdns.json.gz",
                                          "shop.store.test. bulk fdns.json.gz",
                                          "shop.store.test.cdn.example. bulk fdns.json.gz"});
  CHECK_THROWS_WITH(fetch::read_bulk(dir.file("missing.gz"), 0, 0, 1, [](const auto&) {}),
                    Catch::Contains("missing.gz: cannot read"));
}
