#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "lib/clock.h"
#include "lib/date.h"
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
  // A NUL inside is junk, not the end of the address (inet_pton would stop there).
  CHECK_FALSE(IpAddress::parse(std::string_view("192.0.2.1\0junk", 14)));
  CHECK_FALSE(IpAddress::parse(std::string_view("2001:db8::1\0", 12)));
  CHECK_FALSE(iotmap::Prefix::parse(std::string_view("192.0.2.0\0/24", 13)));
}

TEST_CASE("IPv4 addresses print as inet_ntop prints them", "[net]") {
  // Every value of each octet in each position, and a spread of whole addresses.
  auto same = [](uint32_t value) {
    IpAddress ip = IpAddress::from_v4(value);
    char want[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, ip.bytes.data(), want, sizeof want);
    return ip.str() == want;
  };
  for (uint32_t octet = 0; octet < 256; ++octet)
    for (int shift = 0; shift < 32; shift += 8) REQUIRE(same(octet << shift));
  for (uint64_t v = 0; v <= 0xFFFFFFFFu; v += 0x01010101u / 7)
    REQUIRE(same(static_cast<uint32_t>(v)));
  CHECK(IpAddress::from_v4(0xFFFFFFFFu).str() == "255.255.255.255");
  CHECK(IpAddress::from_v4(0).str() == "0.0.0.0");
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

TEST_CASE("times: Unix seconds, dates and RFC 3339, in UTC when no zone is given", "[lib][date]") {
  using iotmap::parse_time;
  const auto utc = iotmap::Zone::utc_if_absent;
  const int64_t t = 1772330700;  // 2026-03-01 02:05:00 UTC
  CHECK(parse_time("1772330700", utc) == t);
  CHECK(parse_time("2026-03-01T02:05:00Z", utc) == t);
  CHECK(parse_time("2026-03-01T02:05:00", utc) == t);
  CHECK(parse_time("2026-03-01 02:05:00", utc) == t);
  CHECK(parse_time("2026-03-01 02:05:00.123", utc) == t);  // nfdump
  CHECK(parse_time("2026-03-01T02:05Z", utc) == t);
  CHECK(parse_time("2026-03-01T03:05:00+01:00", utc) == t);
  CHECK(parse_time("2026-03-01", utc) == t - 2 * 3600 - 5 * 60);
  CHECK(parse_time("2024-02-29T23:59:59Z", utc) == 1709251199);
  CHECK(parse_time("2016-12-31T23:59:60Z", utc) == 1483228800);  // a leap second
  for (const char* bad :
       {"", "now", "2026-02-30", "2026-13-01", "2026-03-01T24:00", "2026-03-01T02:60",
        "2026-03-01T02:05:61", "2026-03-01T02", "2026-03-01T02:05:00+25:00",
        "2026-03-01T02:05:00+0100x", "2026-3-1", " 1772330700", "17723307OO", "1234567890123",
        "2026-03-01T", "2026-03-01T02:05.5Z", "2026-03-01Z", "2026-03-01T2:05"})
    CHECK_FALSE(parse_time(bad, utc));
  CHECK(iotmap::utc_time_text(t) == "2026-03-01 02:05:00 UTC");
}

TEST_CASE("times: where a zone is required, RFC 3339 with offsets and fractions", "[lib][date]") {
  using iotmap::parse_time;
  const auto required = iotmap::Zone::required;
  CHECK(parse_time("2024-05-15T00:02:49-07:00", required) == 1715756569);
  CHECK(parse_time("2024-05-15T07:02:49Z", required) == 1715756569);
  CHECK(parse_time("2024-05-15t07:02:49z", required) == 1715756569);
  CHECK(parse_time("2024-05-15T07:02:49.123456Z", required) == 1715756569);
  CHECK(parse_time("2024-05-15T09:02:49+0200", required) == 1715756569);
  CHECK(parse_time("1715756569", required) == 1715756569);
  CHECK_FALSE(parse_time("2024-02-30T00:00:00Z", required));
  CHECK_FALSE(parse_time("2024-05-15T25:00:00Z", required));
  CHECK_FALSE(parse_time("2024-05-15T07:02:49", required));  // whose 07:02?
  CHECK_FALSE(parse_time("2024-05-15", required));
  CHECK_FALSE(parse_time("2024-05-15T07:02:49.Z", required));
  CHECK_FALSE(parse_time("", required));
  CHECK(iotmap::civil_day(1970, 1, 1) == 0);
  CHECK(iotmap::civil_day(2024, 2, 29) == *iotmap::parse_date("2024-02-29"));
  CHECK_FALSE(iotmap::civil_day(2023, 2, 29));
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

TEST_CASE("dates and hours that do not exist are refused, not moved", "[lib][date]") {
  using iotmap::parse_date;
  using iotmap::parse_hour;
  CHECK(parse_date("1970-01-01") == 0);
  CHECK(parse_date("2024-02-29") == 19782);
  CHECK(*parse_date("2022-03-01") - *parse_date("2022-02-28") == 1);
  for (const char* bad :
       {"2026-02-31", "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-01-00",
        "2026-1-01", "2026-01-1 ", " 2026-01-01", "+026-01-01", "2026/01/01", "2026-01-01T00", ""})
    CHECK_FALSE(parse_date(bad));
  CHECK(parse_hour("2026-11-22T00") == 1795305600);
  CHECK(parse_hour("2026-11-22T23") == 1795305600 + 23 * 3600);
  for (const char* bad : {"2026-11-22", "2026-02-30T01", "2026-02-31T00", "2026-11-22T24",
                          "2026-11-22 00", "2026-11-22T-1", "2026-11-22T+1"})
    CHECK_FALSE(parse_hour(bad));
}

TEST_CASE("utf8_replaced keeps UTF-8 and replaces every other byte", "[lib][text]") {
  using iotmap::is_utf8;
  using iotmap::utf8_replaced;
  CHECK(is_utf8("Telef\xC3\xB3nica \xE2\x82\xAC \xF0\x9F\x98\x80"));
  CHECK(utf8_replaced("Telef\xC3\xB3nica") == "Telef\xC3\xB3nica");
  CHECK_FALSE(is_utf8("Telef\xF3nica"));  // Latin-1
  CHECK(utf8_replaced("Telef\xF3nica") == "Telef\xEF\xBF\xBDnica");
  CHECK(utf8_replaced("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  CHECK_FALSE(is_utf8("\xED\xA0\x80"));                            // a surrogate
  CHECK_FALSE(is_utf8("\xF4\x90\x80\x80"));                        // past U+10FFFF
  CHECK_FALSE(is_utf8("\xE2\x82"));                                // cut short
}

TEST_CASE("shown makes untrusted text safe and short in a message", "[lib][text]") {
  using iotmap::shown;
  CHECK(shown("mqtt.example.com") == "mqtt.example.com");
  CHECK(shown("\x1b]2;pwned\x07\x1b[31mred") == "\\x1B]2;pwned\\x07\\x1B[31mred");
  CHECK(shown("a\r\nb\tc\x7f") == "a\\r\\nb\\tc\\x7F");
  CHECK(shown("it's \"x\"") == "it's \"x\"");
  CHECK(shown("\xC2\x9B"
              "31m") == "\\xC2\\x9B31m");  // C1 CSI
  CHECK(shown("caf\xC3\xA9 \xFF") == "caf\xC3\xA9 \\xFF");
  const std::string line(10'000'000, 'a');
  const std::string s = shown(line);
  CHECK(s.size() < 200);
  CHECK(s == std::string(120, 'a') + "... (9999880 more bytes)");
}

TEST_CASE("csv_cell quotes and neutralises formulas", "[lib][text]") {
  using iotmap::csv_cell;
  CHECK(csv_cell("mqtt.example.com.") == "mqtt.example.com.");
  CHECK(csv_cell("a,b") == "\"a,b\"");
  CHECK(csv_cell("say \"hi\"\n") == "\"say \"\"hi\"\"\n\"");
  for (const char* f : {"=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"})
    CHECK(csv_cell(f) == "\"'" + std::string(f) + "\"");
  CHECK(csv_cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
  CHECK(csv_cell("") == "");
}

TEST_CASE("markdown_escape leaves no tag, link or table break", "[lib][text]") {
  using iotmap::markdown_escape;
  CHECK(markdown_escape("AMAZON-02") == "AMAZON-02");
  CHECK(markdown_escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;");
  CHECK(markdown_escape("[x](javascript:y)") == "\\[x\\](javascript:y)");
  CHECK(markdown_escape("a|b\nc") == "a\\|b c");
  CHECK(markdown_escape("*_`#~\\") == "\\*\\_\\`\\#\\~\\\\");
}
