#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.h"
#include "ethics/blocklist.h"
#include "ethics/optout.h"
#include "ethics/policy.h"

using iotmap::IpAddress;
using iotmap::Prefix;
using iotmap::ethics::Blocklist;

namespace {
IpAddress ip(const char* s) { return *IpAddress::parse(s); }

std::string temp_file(const std::string& text) {
  char path[] = "/tmp/iotmap-ethics-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}
}  // namespace

TEST_CASE("blocklist covers exactly its prefixes, both families", "[ethics]") {
  Blocklist b;
  b.add_text("198.51.100.0/25  # lab\n\n  # comment only\n2001:db8:1::/48\n203.0.113.7\n", "t");
  CHECK(b.size() == 3);
  CHECK(b.contains(ip("198.51.100.0")));
  CHECK(b.contains(ip("198.51.100.127")));
  CHECK_FALSE(b.contains(ip("198.51.100.128")));
  CHECK_FALSE(b.contains(ip("198.51.99.255")));
  CHECK(b.contains(ip("203.0.113.7")));
  CHECK_FALSE(b.contains(ip("203.0.113.8")));
  CHECK(b.contains(ip("2001:db8:1:ffff:ffff:ffff:ffff:ffff")));
  CHECK_FALSE(b.contains(ip("2001:db8:2::")));
  // An IPv4 entry never blocks the IPv6 address with the same leading bytes, nor the reverse.
  CHECK_FALSE(b.contains(ip("c633:6400::")));
  CHECK(b.why(ip("203.0.113.7")) == "t:5 (203.0.113.7/32)");
  CHECK(b.why(ip("203.0.113.8")).empty());
}

TEST_CASE("blocklist merges overlapping and adjacent prefixes correctly", "[ethics]") {
  Blocklist b;
  b.add(*Prefix::parse("10.0.0.0/8"), "a");
  b.add(*Prefix::parse("10.1.0.0/16"), "inner");
  b.add(*Prefix::parse("11.0.0.0/8"), "adjacent");
  b.add(*Prefix::parse("255.255.255.255/32"), "last");
  b.add(*Prefix::parse("::/0"), "all v6");
  CHECK(b.contains(ip("10.255.255.255")));
  CHECK(b.contains(ip("11.128.0.1")));
  CHECK_FALSE(b.contains(ip("12.0.0.0")));
  CHECK_FALSE(b.contains(ip("9.255.255.255")));
  CHECK(b.contains(ip("255.255.255.255")));
  CHECK(b.contains(ip("2a00::1")));
  CHECK(b.contains(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
}

TEST_CASE("a malformed blocklist line is an error naming file and line", "[ethics]") {
  auto path = temp_file("192.0.2.0/24\n300.1.1.1/8\n");
  Blocklist b;
  try {
    b.add_file(path);
    FAIL("no error");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == path + ":2: '300.1.1.1/8' is not an address or CIDR prefix");
  }
  std::remove(path.c_str());
  CHECK_THROWS_WITH(b.add_file("/nonexistent/block.txt"), "/nonexistent/block.txt: does not exist");
}

TEST_CASE("the IANA special-purpose ranges are blocked by default", "[ethics]") {
  Blocklist b;
  b.add_special_purpose();
  for (const char* s : {"10.1.2.3", "127.0.0.1", "192.168.1.1", "192.0.2.1", "224.0.0.1", "::1",
                        "fe80::1", "2001:db8::1", "fd00::2", "100.64.0.1"})
    CHECK(b.contains(ip(s)));
  // IPv6 outside the global unicast 2000::/3 is reserved: site-local, IPv4-compatible, 4000::/2
  for (const char* s : {"fec0::1", "4000::1", "::127.0.0.1", "::8.8.8.8", "::ffff:8.8.8.8", "1::1",
                        "1fff:ffff::1", "4000::", "7fff::1", "8000::1", "c000::1", "feff::1"})
    CHECK(b.contains(ip(s)));
  for (const char* s :
       {"8.8.8.8", "52.94.0.1", "2a05:d018::1", "2600:1f18::1", "2000::1", "3ffe::1"})
    CHECK_FALSE(b.contains(ip(s)));
  CHECK(b.why(ip("fec0::1")) == "IANA special-purpose 8000::/1 (8000::/1)");
  CHECK(b.why(ip("fe80::1")) == "IANA special-purpose fe80::/10 (fe80::/10)");
}

TEST_CASE("IPv4-mapped IPv6 addresses meet the IPv4 entries", "[ethics]") {
  // With default_blocklist = false, ::ffff:20.0.0.2 got past the entry 20.0.0.0/24.
  Blocklist b;
  b.add_text("20.0.0.0/24\n20.0.1.7\n", "list");
  for (const char* s : {"::ffff:20.0.0.2", "::ffff:20.0.1.7", "::ffff:1400:2"}) {
    CHECK(b.contains(ip(s)));
    CHECK(b.why(ip(s)).rfind("list:", 0) == 0);
  }
  CHECK_FALSE(b.contains(ip("::ffff:20.0.1.8")));
  CHECK_FALSE(b.contains(ip("::20.0.0.2")));  // IPv4-compatible: only the default ranges hold it
  CHECK_FALSE(b.contains(ip("64:ff9b::20.0.0.2")));
  CHECK(iotmap::ethics::mapped_v4(ip("::ffff:20.0.0.2")) == ip("20.0.0.2"));
  CHECK_FALSE(iotmap::ethics::mapped_v4(ip("20.0.0.2")));
}

TEST_CASE("zmap's -b file holds the IPv4 entries, excluding the same IPv4 addresses", "[ethics]") {
  Blocklist b;
  b.add_text("198.51.100.11  # one lab host\n2001:db8:1::/48\n203.0.113.64/26\n", "bl.txt");
  b.add_special_purpose();
  size_t ipv6 = 99;
  std::string text = iotmap::ethics::zmap_blocklist(b, ipv6);
  // zmap 2.1 reads "a.b.c.d/n" and a '#' comment per line; it stops on an IPv6 line.
  CHECK(text.rfind("198.51.100.11/32  # bl.txt:1\n203.0.113.64/26  # bl.txt:3\n0.0.0.0/8  # IANA "
                   "special-purpose 0.0.0.0/8\n",
                   0) == 0);
  std::istringstream lines(text);
  size_t v4_lines = 0;
  for (std::string line; std::getline(lines, line); ++v4_lines)
    CHECK(line.substr(0, line.find("  #")).find(':') == std::string::npos);  // no IPv6 prefix
  CHECK(v4_lines == b.size() - ipv6);
  size_t v6_special = 0;
  for (auto p : iotmap::ethics::special_purpose_prefixes())
    v6_special += p.find(':') != std::string_view::npos;
  CHECK(ipv6 == 1 + v6_special);
  // Read back, the file excludes exactly the IPv4 addresses the blocklist excludes.
  Blocklist back;
  back.add_text(text, "zmap");
  for (const char* s : {"198.51.100.11", "198.51.100.10", "198.51.100.12", "203.0.113.63",
                        "203.0.113.64", "203.0.113.127", "203.0.113.128", "8.8.8.8", "10.0.0.1",
                        "192.0.2.1", "255.255.255.255", "100.63.255.255", "100.64.0.0"})
    CHECK(back.contains(ip(s)) == b.contains(ip(s)));
  Blocklist empty;
  CHECK(iotmap::ethics::zmap_blocklist(empty, ipv6).empty());
  CHECK(ipv6 == 0);
}

TEST_CASE("ethics list files must be regular readable files", "[ethics]") {
  using iotmap::ethics::list_file_problem;
  char dir[] = "/tmp/iotmap-ethics-dir-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string d = dir;
  { std::ofstream(d + "/blocklist.txt") << "20.0.0.0/24\n"; }
  CHECK(list_file_problem(d + "/blocklist.txt").empty());
  CHECK(list_file_problem(d) == "is a directory, not a file");
  CHECK(list_file_problem(d + "/none") == "does not exist");
  CHECK(list_file_problem("/dev/null") == "is not a regular file");
  // A directory used to read as an empty list; now neither list reads it.
  Blocklist b;
  CHECK_THROWS_WITH(b.add_file(d), d + ": is a directory, not a file");
  CHECK_THROWS_WITH(iotmap::ethics::read_optouts(d), d + ": is a directory, not a file");
  if (geteuid() != 0) {  // root reads anything
    ::chmod((d + "/blocklist.txt").c_str(), 0);
    CHECK(list_file_problem(d + "/blocklist.txt") == "cannot be read: Permission denied");
  }
  std::filesystem::remove_all(d);
}

TEST_CASE("a scan is refused on a bad ethics file or contact, naming file:line:key", "[ethics]") {
  char dir[] = "/tmp/iotmap-ethics-cfg-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string d = dir;
  { std::ofstream(d + "/blocklist.txt") << "20.0.0.0/24\n"; }
  auto problems_with = [&](const std::string& ethics) {
    std::ofstream(d + "/c.toml") << "[ethics]\ncontact = \"scan@example.org\"\n" << ethics;
    return iotmap::ethics::scan_preconditions(iotmap::config::load(d + "/c.toml"));
  };
  CHECK(problems_with("blocklist_file = \"blocklist.txt\"\n").empty());
  CHECK(problems_with("blocklist_file = \".\"\n") ==
        std::vector<std::string>{d + "/c.toml:3: ethics.blocklist_file: " + d +
                                 "/ is a directory, not a file"});
  CHECK(problems_with("blocklist_file = \"blocklist.txt\"\noptout_file = \"optout.txt\"\n") ==
        std::vector<std::string>{d + "/c.toml:4: ethics.optout_file: " + d +
                                 "/optout.txt does not exist (create it empty when nobody has "
                                 "opted out yet)"});
  std::filesystem::create_directory(d + "/optout.txt");
  CHECK(problems_with("blocklist_file = \"blocklist.txt\"\noptout_file = \"optout.txt\"\n") ==
        std::vector<std::string>{d + "/c.toml:4: ethics.optout_file: " + d +
                                 "/optout.txt is a directory, not a file"});
  std::filesystem::remove_all(d);
}

TEST_CASE("a scan is refused without blocklist file and contact", "[ethics]") {
  auto c = iotmap::config::load_text("", "<test>");
  auto problems = iotmap::ethics::scan_preconditions(c);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].find("blocklist_file") != std::string::npos);
  CHECK(problems[1].find("contact") != std::string::npos);
  CHECK_THROWS_AS(iotmap::ethics::scan_policy(c), iotmap::ethics::PolicyError);

  auto block = temp_file("203.0.113.0/24\n");
  auto optout = temp_file("");
  iotmap::ethics::add_optout(optout, *Prefix::parse("198.51.100.9"), "asked\nby mail",
                             "2026-11-21");
  auto c2 = iotmap::config::load_text("[ethics]\nblocklist_file = \"" + block +
                                          "\"\noptout_file = \"" + optout +
                                          "\"\ncontact = \"scan@example.org\"\n"
                                          "default_blocklist = false\n",
                                      "<test>");
  CHECK(iotmap::ethics::scan_preconditions(c2).empty());
  auto policy = iotmap::ethics::scan_policy(c2);
  CHECK_FALSE(policy.allowed(ip("203.0.113.200")));
  CHECK_FALSE(policy.allowed(ip("198.51.100.9")));
  CHECK(policy.allowed(ip("198.51.100.10")));
  CHECK(policy.allowed(ip("127.0.0.1")));  // the default ranges were switched off explicitly
  auto entries = iotmap::ethics::read_optouts(optout);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].comment == "asked by mail; added 2026-11-21");
  std::remove(block.c_str());
  std::remove(optout.c_str());
}

TEST_CASE("optout add after a last line without newline keeps both entries", "[ethics][optout]") {
  // A hand-edited list may end without '\n': after a comment the new entry used to land inside
  // the comment (invisible to the scan), after an entry the two prefixes fused.
  for (const std::string& before :
       {std::string("# opt-outs, kept by hand"), std::string("20.0.1.1/32  # by mail")}) {
    auto path = temp_file(before);
    iotmap::ethics::add_optout(path, *Prefix::parse("20.0.0.1"), "asked", "2026-12-06");
    auto entries = iotmap::ethics::read_optouts(path);
    std::vector<std::string> got;
    for (const auto& e : entries) got.push_back(e.prefix.str());
    auto want = before[0] == '#' ? std::vector<std::string>{"20.0.0.1/32"}
                                 : std::vector<std::string>{"20.0.1.1/32", "20.0.0.1/32"};
    CHECK(got == want);
    std::remove(path.c_str());
  }
}

TEST_CASE("a scan at exactly ethics.max_rate is allowed, above it refused", "[ethics][mutation]") {
  auto block = temp_file("203.0.113.0/24\n");
  auto c = iotmap::config::load_text(
      "[scan]\nrate = 500\n[ethics]\nmax_rate = 500\n"
      "blocklist_file = \"" +
          block + "\"\ncontact = \"scan@example.org\"\n",
      "<test>");
  CHECK(iotmap::ethics::scan_preconditions(c).empty());
  CHECK(iotmap::ethics::scan_policy(c).rate == 500);
  c.scan.rate = 500.5;  // a caller that set the rate after loading
  auto problems = iotmap::ethics::scan_preconditions(c);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0] == "scan.rate exceeds ethics.max_rate");
  std::remove(block.c_str());
}
