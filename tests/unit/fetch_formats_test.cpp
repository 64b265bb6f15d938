// The crawler's file handling without a server: format checks, streaming decompression,
// atomic replacement, API keys (fetch/formats.h, decode.h, sha256.h, lib/atomic_file.h,
// secret.h).
#include <lzma.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "fetch/decode.h"
#include "fetch/formats.h"
#include "fetch/secret.h"
#include "fetch/sha256.h"
#include "lib/atomic_file.h"

using namespace iotmap::fetch;
using iotmap::TempFile;

namespace {

FormatCheck check(Format f, const std::string& text) {
  std::istringstream in(text);
  return check_stream(f, in, "https://example.test/x");
}

std::string gzip(const std::string& s) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, s.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string xz(const std::string& s) {
  std::string out(lzma_stream_buffer_bound(s.size()), '\0');
  size_t pos = 0;
  lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const uint8_t*>(s.data()),
                          s.size(), reinterpret_cast<uint8_t*>(out.data()), &pos, out.size());
  out.resize(pos);
  return out;
}

// Feeds `in` to a decoder in pieces of `step` bytes; returns what came out.
std::string decode(Compression c, const std::string& in, size_t step) {
  std::string out;
  auto d = make_decoder(c, [&](const char* p, size_t n) { out.append(p, n); });
  for (size_t i = 0; i < in.size(); i += step)
    d->write(in.data() + i, std::min(step, in.size() - i));
  d->finish();
  return out;
}

struct TempDir {
  std::string path;
  TempDir() {
    char t[] = "/tmp/iotmap-fetch-test-XXXXXX";
    path = ::mkdtemp(t);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string read(const std::string& name) const {
    std::ifstream in(path + "/" + name);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  size_t entries() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(path)) ++n;
    return n;
  }
};

}  // namespace

TEST_CASE("fetch formats: pfx2as and as2org are read by the backend map's readers", "[fetch]") {
  auto ok =
      check(Format::pfx2as,
            "192.0.2.0\t24\t64496\n2001:db8::\t32\t64500_64501\n198.51.100.0\t26\t64497,64498\n");
  CHECK(ok.ok());
  CHECK(ok.records == 3);
  auto bad = check(Format::pfx2as, "<html><body>Not found</body></html>\n");
  CHECK_FALSE(bad.ok());
  CHECK(bad.error.find("https://example.test/x:1") != std::string::npos);
  CHECK_FALSE(check(Format::pfx2as, "").ok());  // empty: no record
  auto as2org = check(Format::as2org,
                      "# format:org_id|changed|org_name|country|source\n"
                      "LAB-1|20240101|Lab Org|DE|RIPE\n"
                      "# format:aut|changed|aut_name|org_id|opaque_id|source\n"
                      "64496|20240101|LAB-INFRA|LAB-1||RIPE\n");
  CHECK(as2org.ok());
  CHECK(as2org.records == 1);
  CHECK_FALSE(check(Format::as2org, "garbage|x\n").ok());
}

TEST_CASE("fetch formats: published ranges, cloud.json, netsets and hitlists", "[fetch]") {
  auto aws = check(
      Format::aws_ranges,
      R"({"syncToken":"1","createDate":"2024-01-01-00-00-00","prefixes":[{"ip_prefix":"198.51.100.0/26","region":"us-east-1","service":"AMAZON","network_border_group":"us-east-1"}],"ipv6_prefixes":[{"ipv6_prefix":"2001:db8:a5::/48","region":"us-east-1","service":"AMAZON","network_border_group":"us-east-1"}]})");
  CHECK(aws.ok());
  CHECK(aws.records == 2);
  auto azure = check(
      Format::azure_tags,
      R"({"changeNumber":1,"cloud":"Public","values":[{"name":"AzureIoTHub","id":"AzureIoTHub","properties":{"changeNumber":1,"region":"","platform":"Azure","systemService":"AzureIoTHub","addressPrefixes":["203.0.113.64/26","2001:db8:a2::/48"]}},{"name":"Storage","id":"Storage","properties":{"addressPrefixes":["192.0.2.0/24"]}}]})");
  CHECK(azure.ok());
  CHECK(azure.records == 2);  // only the AzureIoTHub tags count
  CHECK_FALSE(check(Format::azure_tags, R"({"prefixes":[{"ip_prefix":"198.51.100.0/26"}]})").ok());
  auto google = check(
      Format::google_ranges,
      R"({"syncToken":"1","creationTime":"2024","prefixes":[{"ipv4Prefix":"198.51.100.192/26","service":"Google Cloud","scope":"us-east1"},{"ipv6Prefix":"2001:db8:a9::/48","service":"Google Cloud","scope":"us-east1"}]})");
  CHECK(google.ok());
  CHECK(google.records == 2);
  CHECK_FALSE(check(Format::google_ranges, R"({"prefixes":[{"ipv4Prefix":"not-a-prefix"}]})").ok());
  CHECK_FALSE(check(Format::aws_ranges, R"({"prefixes": [)").ok());  // truncated JSON
  auto netset = check(Format::netset, "# FireHOL level 1\n192.0.2.0/24\n198.51.100.7\n");
  CHECK(netset.ok());
  CHECK(netset.records == 2);
  auto bad_netset = check(Format::netset, "192.0.2.0/24\nthis is not a prefix\n");
  CHECK_FALSE(bad_netset.ok());
  CHECK(bad_netset.error.find("https://example.test/x:2") != std::string::npos);
  auto hitlist = check(Format::hitlist, "# responsive\n2001:db8::1\n2001:db8::2\n");
  CHECK(hitlist.ok());
  CHECK(hitlist.records == 2);
  CHECK_FALSE(check(Format::hitlist, "2001:db8::1\nfoo\n").ok());
}

TEST_CASE("fetch formats: DNSDB lines and crt.sh names", "[fetch]") {
  auto dnsdb = check(
      Format::dnsdb,
      "{\"cond\":\"begin\"}\n"
      R"({"obj":{"rrname":"a.iot.us-east-1.amazonaws.com.","rrtype":"A","rdata":["198.51.100.10"],"time_first":1700000000,"time_last":1700003600}})"
      "\n{\"cond\":\"succeeded\"}\n");
  CHECK(dnsdb.ok());
  CHECK(dnsdb.records == 1);
  CHECK_FALSE(check(Format::dnsdb, "{\"obj\":{\"rrname\":\"x.\"}}\n").ok());

  std::istringstream crt(
      R"([{"issuer_ca_id":1,"common_name":"*.azure-devices.net","name_value":"*.azure-devices.net\nhub1.azure-devices.net","id":5},{"common_name":"hub2.azure-devices.net","name_value":"hub2.azure-devices.net"}])");
  std::vector<std::string> names;
  auto c = read_crtsh(crt, "crt.sh", [&](std::string_view n) { names.emplace_back(n); });
  CHECK(c.ok());
  CHECK(c.records == 2);
  CHECK(names == std::vector<std::string>{"*.azure-devices.net", "*.azure-devices.net",
                                          "hub1.azure-devices.net", "hub2.azure-devices.net",
                                          "hub2.azure-devices.net"});
  CHECK(check(Format::crtsh, "[]").ok());  // a domain without certificates
  CHECK_FALSE(check(Format::crtsh, R"({"error":"rate limited"})").ok());
  CHECK_FALSE(check(Format::crtsh, R"([{"common_name":"x")").ok());
}

TEST_CASE("fetch decode: gzip and xz stream in small pieces, sniffing finds them", "[fetch]") {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "2001:db8::" + std::to_string(i) + "\n";
  std::string gz = gzip(text), x = xz(text);
  for (size_t step : {1u, 7u, 4096u, 1u << 20}) {
    CHECK(decode(Compression::gzip, gz, step) == text);
    CHECK(decode(Compression::xz, x, step) == text);
    CHECK(decode(Compression::sniff, gz, step) == text);
    CHECK(decode(Compression::sniff, x, step) == text);
    CHECK(decode(Compression::sniff, text, step) == text);
  }
  CHECK(decode(Compression::gzip, gz + gz, 100) == text + text);  // concatenated members
  CHECK(decode(Compression::sniff, "ab", 1) == "ab");             // shorter than any magic
  CHECK_THROWS_WITH(decode(Compression::gzip, gz.substr(0, gz.size() / 2), 100),
                    Catch::Contains("truncated"));
  CHECK_THROWS_WITH(decode(Compression::xz, x.substr(0, x.size() / 2), 100),
                    Catch::Contains("truncated"));
  CHECK_THROWS(decode(Compression::xz, "not xz at all, really", 5));
}

TEST_CASE("fetch atomic file: the target changes only on commit", "[fetch]") {
  TempDir dir;
  std::string target = dir.path + "/sub/data.txt";
  {
    TempFile f(target);
    f.write("good\n", 5);
    f.commit();
  }
  CHECK(dir.read("sub/data.txt") == "good\n");
  {
    TempFile f(target);
    f.write("half a fi", 9);
    // destroyed without commit: a failed download
  }
  CHECK(dir.read("sub/data.txt") == "good\n");
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path + "/sub")) ++n;
  CHECK(n == 1);  // no temporary file left behind
  {
    TempFile f(target);
    f.write("first try", 9);
    f.truncate();
    f.write("new\n", 4);
    f.write("more\n", 5);
    f.truncate(4);
    CHECK(f.size() == 4);
    f.flush();
    Sha256 want;
    want.add("new\n", 4);
    CHECK(sha256_file(f.path()) == want.hex());
    f.commit();
  }
  CHECK(dir.read("sub/data.txt") == "new\n");
  Sha256 h;
  h.add("abc", 3);
  CHECK(h.hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A writer killed with SIGKILL before commit (a daily killed in its export or report stage, a
// fetch killed half way through a download) runs no destructor: its temporary file must not
// stay in the directory. The kill sweep of the fortnight's day 9 found
// ".hitlist-2026-03-09.csv.part-OZ8X3B" next to the hitlist after a daily killed in export.
TEST_CASE("fetch atomic file: a writer killed before commit leaves no file", "[fetch]") {
  TempDir dir;
  const std::string target = dir.path + "/hitlist.csv";
  {
    TempFile f(target);
    f.write("old\n", 4);
    f.commit();
  }
  int ready[2];
  REQUIRE(::pipe(ready) == 0);
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    TempFile f(target);
    f.write("half a new file", 15);
    f.flush();
    (void)!::write(ready[1], "x", 1);
    ::raise(SIGKILL);
    ::_exit(1);
  }
  ::close(ready[1]);
  char c = 0;
  CHECK(::read(ready[0], &c, 1) == 1);  // the child wrote before it was killed
  ::close(ready[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  std::set<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir.path))
    left.insert(e.path().filename().string());
  CHECK(left == std::set<std::string>{"hitlist.csv"});
  CHECK(dir.read("hitlist.csv") == "old\n");
}

TEST_CASE("fetch secret: environment first, key files must be private, redaction", "[fetch]") {
  TempDir dir;
  std::string file = dir.path + "/key";
  { std::ofstream(file) << "  file-key-123  \nsecond line\n"; }
  ::chmod(file.c_str(), 0600);
  std::string err;
  ::unsetenv("IOTMAP_TEST_FETCH_KEY");
  auto k = Secret::load("IOTMAP_TEST_FETCH_KEY", file, &err);
  REQUIRE(k);
  CHECK(k->reveal() == "file-key-123");
  ::setenv("IOTMAP_TEST_FETCH_KEY", "env-key/456+", 1);
  k = Secret::load("IOTMAP_TEST_FETCH_KEY", file, &err);
  REQUIRE(k);
  CHECK(k->reveal() == "env-key/456+");
  ::unsetenv("IOTMAP_TEST_FETCH_KEY");
  ::chmod(file.c_str(), 0644);
  CHECK_FALSE(Secret::load("IOTMAP_TEST_FETCH_KEY", file, &err));
  CHECK(err.find("readable by group or others") != std::string::npos);
  CHECK_FALSE(Secret::load("IOTMAP_TEST_FETCH_KEY", "", &err));
  CHECK(err.find("IOTMAP_TEST_FETCH_KEY") != std::string::npos);

  Redactor r;
  r.add(Secret("env-key/456+"));
  CHECK(r("HTTP 403 (bad key env-key/456+ or env-key%2F456%2B)") ==
        "HTTP 403 (bad key [redacted] or [redacted])");
}
