// The source list (fetch/sources.toml + --sources FILE): defaults, overlays, and errors that
// name file:line:key.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "fetch/sources.h"

using namespace iotmap;
using namespace iotmap::fetch;

TEST_CASE("fetch sources: the built-in list covers every source of the issue", "[fetch]") {
  auto fs = load_sources(std::nullopt);
  for (const char* n :
       {"pfx2as-v4", "pfx2as-v6", "as2org", "aws-ranges", "azure-tags", "google-ranges",
        "ipv6-hitlist", "firehol-level1", "dnsdb", "crtsh", "atlas"})
    CHECK(fs.find(n) != nullptr);
  const Source* hl = fs.find("ipv6-hitlist");
  CHECK(hl->format == Format::hitlist);
  CHECK(hl->url.rfind("https://", 0) == 0);
  CHECK(fs.find("pfx2as-v4")->index.find("pfx2as-creation.log") != std::string::npos);
  CHECK_FALSE(fs.find("atlas")->enabled);  // costs credits: only when asked for
  CHECK(fs.find("atlas")->probe_groups.size() == 2);
  CHECK(fs.find("dnsdb")->key_env == "IOTMAP_DNSDB_KEY");
  for (const auto& s : fs.sources) {
    INFO(s.name);
    CHECK((s.url.rfind("https://", 0) == 0 || s.index.rfind("https://", 0) == 0));
  }
  CHECK(fs.http.retry.retries == 4);
}

TEST_CASE("fetch sources: a file changes keys, adds sources, or replaces the list", "[fetch]") {
  auto fs = load_sources_text(R"(
[fetch]
retries = 1
backoff_ms = 10
ca_file = "/tmp/ca.pem"
[source.aws-ranges]
url = "https://127.0.0.1:8443/ip-ranges.json"
[source.extra]
kind = "file"
format = "netset"
url = "https://127.0.0.1:8443/other.netset"
file = "other.netset"
)",
                              "test.toml");
  CHECK(fs.http.retry.retries == 1);
  CHECK(fs.http.retry.backoff_ms == 10);
  CHECK(fs.http.ca_file == "/tmp/ca.pem");
  CHECK(fs.find("aws-ranges")->url == "https://127.0.0.1:8443/ip-ranges.json");
  CHECK(fs.find("aws-ranges")->file == "aws-ip-ranges.json");  // kept from the default
  CHECK(fs.find("extra")->format == Format::netset);
  CHECK(fs.find("pfx2as-v4") != nullptr);

  auto only = load_sources_text(R"(
[fetch]
defaults = false
[source.atlas]
kind = "atlas"
url = "https://127.0.0.1:8443/api/v2"
file = "atlas"
rrtypes = ["A"]
poll_interval_s = 0.1
probe_groups = [{ name = "atlas-lab", type = "country", value = "ZZ", requested = 2 }]
)",
                                "only.toml");
  REQUIRE(only.sources.size() == 1);
  CHECK(only.sources[0].kind == Kind::atlas);
  CHECK(only.sources[0].poll_interval_s == Approx(0.1));
  CHECK(only.sources[0].probe_groups[0].requested == 2);
}

TEST_CASE("fetch sources: errors name file, line and key", "[fetch]") {
  auto fails = [](const std::string& text, const std::string& expect) {
    INFO(text);
    CHECK_THROWS_WITH(load_sources_text(text, "s.toml"), Catch::Contains(expect));
  };
  fails("[fetch]\nretrys = 3\n", "s.toml:2: fetch.retrys: unknown key");
  fails("[source.aws-ranges]\nformt = \"x\"\n", "s.toml:2: source.aws-ranges.formt: unknown key");
  fails("[source.new]\nurl = \"https://x/\"\n", "source.new.kind: missing");
  fails("[source.new]\nkind = \"file\"\nurl = \"https://x/\"\nfile = \"x\"\n",
        "source.new.format: missing");
  fails("[source.new]\nkind = \"ftp\"\nurl = \"https://x/\"\nfile = \"x\"\n",
        "s.toml:2: source.new.kind: must be file, dnsdb, crtsh or atlas");
  fails("[source.aws-ranges]\nformat = \"csv\"\n", "s.toml:2: source.aws-ranges.format: must be");
  fails("[source.aws-ranges]\nfile = \"../etc/passwd\"\n", "s.toml:2: source.aws-ranges.file");
  fails("[source.pfx2as-v4]\npick = \"no group\"\n", "s.toml:2: source.pfx2as-v4.pick");
  fails("[source.atlas]\nrrtypes = [\"CNAME\"]\n",
        "source.atlas.rrtypes: Atlas measures A and AAAA");
  fails("[fetch]\nretries = -1\n", "s.toml:2: fetch.retries: must be between 0 and 50");
  fails("[source.atlas]\nprobe_groups = [{ name = \"x\" }]\n",
        "a probe group needs name, type and value");
  fails("[fetch\n", "s.toml:1:");
  CHECK_THROWS_WITH(load_sources(std::string("/nonexistent/sources.toml")),
                    Catch::Contains("/nonexistent/sources.toml: cannot open"));
}
