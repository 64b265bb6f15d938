#include <catch2/catch.hpp>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "lib/clock.h"
#include "lib/net.h"

using iotmap::IpAddress;
using iotmap::Prefix;

TEST_CASE("IP addresses parse in both families and reject junk", "[net]") {
  auto v4 = IpAddress::parse("192.0.2.7");
  REQUIRE(v4);
  CHECK_FALSE(v4->v6);
  CHECK(v4->str() == "192.0.2.7");
  CHECK(v4->v4_value() == 0xC0000207u);
  auto v6 = IpAddress::parse("2001:db8::1");
  REQUIRE(v6);
  CHECK(v6->v6);
  CHECK(v6->str() == "2001:db8::1");
  for (const char* bad : {"", "192.0.2", "192.0.2.256", "example.com", "2001:db8:::1", "1.2.3.4 "})
    CHECK_FALSE(IpAddress::parse(bad));
}

TEST_CASE("prefixes clear host bits and contain only their family", "[net]") {
  auto p = Prefix::parse("198.51.100.77/24");
  REQUIRE(p);
  CHECK(p->str() == "198.51.100.0/24");
  CHECK(p->contains(*IpAddress::parse("198.51.100.1")));
  CHECK_FALSE(p->contains(*IpAddress::parse("198.51.101.1")));
  auto p6 = Prefix::parse("2001:db8:1::/48");
  REQUIRE(p6);
  CHECK(p6->contains(*IpAddress::parse("2001:db8:1:ffff::1")));
  CHECK_FALSE(p6->contains(*IpAddress::parse("2001:db8:2::1")));
  CHECK_FALSE(p6->contains(*IpAddress::parse("198.51.100.1")));
  CHECK(Prefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("203.0.113.9")));
  CHECK(Prefix::parse("203.0.113.9")->length == 32);
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/a", "::/129", "x/8"})
    CHECK_FALSE(Prefix::parse(bad));
}

#include <sys/wait.h>
#include <unistd.h>

#include "lib/lockfile.h"

TEST_CASE("a lock file admits one holder and frees on exit", "[lib]") {
  std::string path = "/tmp/iotmap-lock-test-" + std::to_string(getpid());
  {
    auto first = iotmap::LockFile::try_acquire(path);
    REQUIRE(first);
    // flock locks belong to the open file description, so a second open in another process
    // must fail while the first is held.
    pid_t child = fork();
    if (child == 0) _exit(iotmap::LockFile::try_acquire(path) ? 1 : 0);
    int status = 0;
    waitpid(child, &status, 0);
    CHECK(WEXITSTATUS(status) == 0);
  }
  CHECK(iotmap::LockFile::try_acquire(path));
  unlink(path.c_str());
}

#include "lib/text.h"

TEST_CASE("html_escape makes text safe in element text and quoted attributes", "[lib][text]") {
  CHECK(iotmap::html_escape("") == "");
  CHECK(iotmap::html_escape("plain text 123") == "plain text 123");
  CHECK(iotmap::html_escape("<a href=\"x\">Tom's & Jerry's</a>") ==
        "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&#39;s&lt;/a&gt;");
  // An entity already in the text is escaped again: the input is text, never markup.
  CHECK(iotmap::html_escape("&amp;") == "&amp;amp;");
  CHECK(iotmap::html_escape("Z\xc3\xbcrich") == "Z\xc3\xbcrich");  // UTF-8 passes unchanged
}

TEST_CASE("trim drops only the given blanks at both ends", "[lib][text]") {
  CHECK(iotmap::trim("  a b \t\r\n") == "a b");
  CHECK(iotmap::trim(" \t\r\n").empty());
  CHECK(iotmap::trim("").empty());
  CHECK(iotmap::trim("x") == "x");
  CHECK(iotmap::trim("\ta\t", " \t") == "a");
  CHECK(iotmap::trim("\ra\n", " \t") == "\ra\n");  // '\r' is data where the caller says so
}

TEST_CASE("the clock reads Unix seconds and UTC times, and nothing else", "[lib][clock]") {
  using iotmap::parse_clock_time;
  const int64_t t = 1772330700;  // 2026-03-01 02:05:00 UTC
  CHECK(parse_clock_time("1772330700") == t);
  CHECK(parse_clock_time("2026-03-01T02:05:00Z") == t);
  CHECK(parse_clock_time("2026-03-01T02:05:00") == t);
  CHECK(parse_clock_time("2026-03-01 02:05:00") == t);
  CHECK(parse_clock_time("2026-03-01T02:05Z") == t);
  CHECK(parse_clock_time("2026-03-01") == t - 2 * 3600 - 5 * 60);
  CHECK(parse_clock_time("2024-02-29T23:59:59Z") == 1709251199);
  for (const char* bad : {"", "now", "2026-02-30", "2026-13-01", "2026-03-01T24:00",
                          "2026-03-01T02:60", "2026-03-01T02:05:61", "2026-03-01T02",
                          "2026-03-01T02:05:00+01:00", "2026-3-1", " 1772330700", "17723307OO"})
    CHECK_FALSE(parse_clock_time(bad));
  CHECK(iotmap::utc_time_text(t) == "2026-03-01 02:05:00 UTC");
}

TEST_CASE("IOTMAP_NOW sets the clock's start and names itself when unreadable", "[lib][clock]") {
  ::setenv(iotmap::kClockVariable, "2026-03-01T02:05:00Z", 1);
  CHECK(iotmap::clock_start_override() == 1772330700);
  ::setenv(iotmap::kClockVariable, "", 1);
  CHECK_FALSE(iotmap::clock_start_override());
  ::setenv(iotmap::kClockVariable, "tomorrow", 1);
  try {
    iotmap::clock_start_override();
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("IOTMAP_NOW='tomorrow'") != std::string::npos);
  }
  ::unsetenv(iotmap::kClockVariable);
  CHECK_FALSE(iotmap::clock_start_override());
}
