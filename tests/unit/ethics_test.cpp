#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

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
  CHECK_THROWS_WITH(b.add_file("/nonexistent/block.txt"),
                    "/nonexistent/block.txt: cannot read blocklist");
}

TEST_CASE("the IANA special-purpose ranges are blocked by default", "[ethics]") {
  Blocklist b;
  b.add_special_purpose();
  for (const char* s : {"10.1.2.3", "127.0.0.1", "192.168.1.1", "192.0.2.1", "224.0.0.1", "::1",
                        "fe80::1", "2001:db8::1", "fd00::2", "100.64.0.1"})
    CHECK(b.contains(ip(s)));
  for (const char* s : {"8.8.8.8", "52.94.0.1", "2a05:d018::1", "2600:1f18::1"})
    CHECK_FALSE(b.contains(ip(s)));
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
