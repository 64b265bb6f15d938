// lib/dns_name.h: the one DNS-name normaliser. Five copies existed (backend_map/dataset,
// config/catalogue, db/store, resolver/wire, scanner/targets); each case below is a place where
// they differed, with what the copy did and what the one helper does.
#include "lib/dns_name.h"

#include <catch2/catch.hpp>
#include <string>

using iotmap::DnsNameChars;
using iotmap::is_normal_dns_name;
using iotmap::normalise_dns_name;
using iotmap::RootDot;

namespace {

std::string why_not(std::string_view text, DnsNameChars chars = DnsNameChars::host) {
  std::string why;
  auto n = normalise_dns_name(text, &why, chars);
  return n ? "accepted as " + *n : why;
}

}  // namespace

TEST_CASE("dns_name: lower case with the root dot, one trailing dot accepted", "[lib][dns_name]") {
  CHECK(normalise_dns_name("MQTT.GoogleApis.com") == "mqtt.googleapis.com.");
  CHECK(normalise_dns_name("mqtt.googleapis.com.") == "mqtt.googleapis.com.");
  // resolver/wire, scanner/targets and backend_map/dataset spelt names without the dot.
  CHECK(normalise_dns_name("MQTT.googleapis.com.", nullptr, DnsNameChars::host, RootDot::without) ==
        "mqtt.googleapis.com");
}

TEST_CASE("dns_name: two trailing dots are an empty label, not a name", "[lib][dns_name]") {
  // backend_map/dataset took off every trailing dot ("a.example.." became "a.example").
  CHECK(why_not("a.example..") == "empty label");
  CHECK(why_not("a..example") == "empty label");
  CHECK(why_not(".a.example") == "empty label");
}

TEST_CASE("dns_name: lengths are checked everywhere", "[lib][dns_name]") {
  // backend_map/dataset and db/store checked nothing.
  const std::string l63(63, 'a'), l64(64, 'a');
  CHECK(normalise_dns_name(l63 + ".example") == l63 + ".example.");
  CHECK(why_not(l64 + ".example") == "label longer than 63 characters");
  std::string n253;
  while (n253.size() < 253) n253 += n253.empty() ? "a" : ".a";
  REQUIRE(n253.size() == 253);
  CHECK(normalise_dns_name(n253) == n253 + ".");
  CHECK(normalise_dns_name(n253 + ".") == n253 + ".");  // the root dot does not count
  CHECK(why_not(n253 + "a") == "longer than 253 characters");
  // The whole length is checked first, as config/catalogue did (iotmap match says so).
  CHECK(why_not(std::string(254, 'a')) == "longer than 253 characters");
}

TEST_CASE("dns_name: empty names and the placeholder \"-\" are no names", "[lib][dns_name]") {
  // db/store threw on "" and "."; scanner/targets took "-" for a one-label host name.
  CHECK(why_not("") == "empty name");
  CHECK(why_not(".") == "empty name");
  CHECK(why_not("-") == "\"-\" is a placeholder, not a name");
  CHECK(why_not("-.") == "\"-\" is a placeholder, not a name");
  CHECK(normalise_dns_name("a-b.example") == "a-b.example.");
  CHECK(normalise_dns_name("_dmarc.example") == "_dmarc.example.");
}

TEST_CASE("dns_name: host names hold letters, digits, '-' and '_', DNS data any printable",
          "[lib][dns_name]") {
  // db/store and backend_map/dataset took any byte ("a b.example" was a name); db/store
  // lower-cased with the locale's tolower. resolver/wire took printable ASCII but what zone text
  // escapes; catalogue and scanner letters, digits, '-' and '_'. Both sets stay: DNS data names
  // that are no host names still point at addresses (DnsNameChars).
  CHECK(why_not("a b.example") == "bad character \\x20");
  CHECK(why_not("a b.example", DnsNameChars::data) == "bad character \\x20");
  CHECK(why_not("\xc4.example", DnsNameChars::data) == "bad character \\xc4");
  CHECK(why_not("a/b.example") == "bad character '/'");
  CHECK(normalise_dns_name("A+B/c.Example", nullptr, DnsNameChars::data) == "a+b/c.example.");
  for (const char* zone :
       {"a;b.example", "a\"b.example", "a(b.example", "a)b.example", "a@b.example", "a$b.example"})
    CHECK_FALSE(normalise_dns_name(zone, nullptr, DnsNameChars::data));
}

TEST_CASE("dns_name: a wildcard is the whole first label of a host name", "[lib][dns_name]") {
  // config/catalogue took "*.example" (certificate names); scanner/targets took no '*'.
  CHECK(normalise_dns_name("*.Example.com") == "*.example.com.");
  CHECK(why_not("*") == "a wildcard alone is not a name");
  CHECK(why_not("a.*.example") == "bad character '*'");
  CHECK(why_not("*a.example") == "bad character '*'");
  CHECK(normalise_dns_name("a.*.example", nullptr, DnsNameChars::data) == "a.*.example.");
}

TEST_CASE("dns_name: is_normal_dns_name says when no copy is needed", "[lib][dns_name]") {
  CHECK(is_normal_dns_name("a.example."));
  CHECK_FALSE(is_normal_dns_name("A.example."));
  CHECK_FALSE(is_normal_dns_name("a.example"));
  CHECK(is_normal_dns_name("a.example", DnsNameChars::host, RootDot::without));
  CHECK_FALSE(is_normal_dns_name("a.example.", DnsNameChars::host, RootDot::without));
  CHECK_FALSE(is_normal_dns_name("a..example."));
  CHECK_FALSE(is_normal_dns_name("."));
  CHECK_FALSE(is_normal_dns_name("a+b.example."));
  CHECK(is_normal_dns_name("a+b.example.", DnsNameChars::data));
}

TEST_CASE("dns_name: DNS data may hold the escapes DNS replies are shown with", "[lib][dns_name]") {
  // resolver/wire shows a reply's odd bytes as \DDD and a dot inside a label as "\."; db/store
  // stored such names as they came, resolver/wire's input check refused every backslash.
  const auto data = [](std::string_view t) {
    return normalise_dns_name(t, nullptr, DnsNameChars::data);
  };
  CHECK(data("a\\032b.Example") == "a\\032b.example.");
  CHECK(data("a\\.b.example.") == "a\\.b.example.");
  CHECK(data("a\\.") == "a\\..");  // one label "a." (the dot escaped), then the root's
  CHECK(data("a\\\\.example.") == "a\\\\.example.");
  CHECK(data("a\\256.example") == std::nullopt);  // no byte
  CHECK(data("a\\12.example") == std::nullopt);   // three digits or none
  CHECK(data("a\\") == std::nullopt);
  CHECK_FALSE(normalise_dns_name("a\\032b.example"));  // host names have no escapes
  // An escape is one character of the label's 63.
  std::string label;
  for (int i = 0; i < 63; ++i) label += "\\032";
  CHECK(data(label + ".example"));
  CHECK_FALSE(data(label + "a.example"));
}

TEST_CASE("dns_name: every byte in a label, in both character sets", "[lib][dns_name]") {
  // The sets are one lookup table (bulk data sets normalise every owner name); each byte is
  // checked here against the rule as the header states it.
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const bool host = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_';
    const bool data = host || (b > 0x20 && b < 0x7f &&
                               std::string_view("\"();@$\\").find(c) == std::string_view::npos);
    const std::string name = std::string("a") + c + "b.example";
    INFO("byte " << b);
    if (c == '.') {
      CHECK(normalise_dns_name(name) == "a.b.example.");
      continue;
    }
    if (c == '\\') {  // in DNS data an escape ("\b" is b)
      CHECK_FALSE(normalise_dns_name(name));
      CHECK(normalise_dns_name(name, nullptr, DnsNameChars::data) == "a\\b.example.");
      continue;
    }
    CHECK(normalise_dns_name(name).has_value() == host);
    CHECK(normalise_dns_name(name, nullptr, DnsNameChars::data).has_value() == data);
  }
}

TEST_CASE("dns_name: normalise_dns_name_into replaces what the buffer held", "[lib][dns_name]") {
  std::string out = "a-much-longer-name-from-the-record-before.example.";
  REQUIRE(iotmap::normalise_dns_name_into("WWW.Example.com", out));
  CHECK(out == "www.example.com.");
  REQUIRE(iotmap::normalise_dns_name_into("b.example.", out, nullptr, DnsNameChars::host,
                                          RootDot::without));
  CHECK(out == "b.example");
  std::string why;
  CHECK_FALSE(iotmap::normalise_dns_name_into("a..b", out, &why));
  CHECK(why == "empty label");
}
