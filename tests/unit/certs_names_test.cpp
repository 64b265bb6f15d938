// Names from certificates: normalisation, wildcards, candidate names, public domains, validity.
#include <catch2/catch.hpp>

#include "certs/names.h"
#include "certs_fixtures.h"

using namespace iotmap::certs;
using certs_test::make_cert;
using certs_test::Spec;
using Names = std::vector<std::string>;

TEST_CASE("names: CNs then DNS SANs, lowercase, de-duplicated, wildcards kept", "[certs]") {
  Spec s;
  s.subject = {{"CN", "Device.Example.COM."}, {"CN", " second.example.org "}};
  s.sans = "DNS:*.Example.com,DNS:device.example.com,DNS:DEVICE.example.com.,IP:192.0.2.1";
  Certificate c = make_cert(s);
  CHECK(names(c) == Names{"device.example.com", "second.example.org", "*.example.com"});
}

TEST_CASE("candidate names: FQDN form, a wildcard contributes its parent, only domain names",
          "[certs]") {
  Spec s;
  s.subject = {{"CN", "192.168.1.108"}};
  s.sans =
      "DNS:*.iot.eu-west-1.amazonaws.com,DNS:iot.eu-west-1.amazonaws.com,DNS:localhost,"
      "DNS:foo*.example.com,DNS:*.*.example.com,DNS:a..b.example.com,DNS:-bad.example.com,"
      "DNS:under_score.example.com,DNS:xn--bcher-kva.example,DNS:*.example.net,DNS:10.0.0.1";
  Certificate c = make_cert(s);
  CHECK(candidate_names(c) == Names{"iot.eu-west-1.amazonaws.com.", "under_score.example.com.",
                                    "xn--bcher-kva.example.", "example.net."});
  CHECK(names(c).size() == 12);
}

TEST_CASE("candidate names skip non-ASCII and blank names", "[certs]") {
  Spec s;
  s.subject = {{"CN", "日本語.example"}, {"CN", "has space.example.com"}, {"CN", " "}};
  CHECK(candidate_names(make_cert(s)).empty());
}

TEST_CASE("is_domain_name", "[certs]") {
  CHECK(is_domain_name("example.com"));
  CHECK(is_domain_name("Example.COM."));
  CHECK(is_domain_name("a-b.c_d.example"));
  CHECK(is_domain_name(std::string(63, 'a') + ".com"));
  CHECK_FALSE(is_domain_name(std::string(64, 'a') + ".com"));
  std::string long_name;
  for (int i = 0; i < 50; ++i) long_name += "abcd.";
  long_name += "com";  // 253 characters
  CHECK(is_domain_name(long_name));
  CHECK_FALSE(is_domain_name("x" + long_name));
  CHECK_FALSE(is_domain_name("com"));
  CHECK_FALSE(is_domain_name(""));
  CHECK_FALSE(is_domain_name("."));
  CHECK_FALSE(is_domain_name("a..com"));
  CHECK_FALSE(is_domain_name("*.example.com"));
  CHECK_FALSE(is_domain_name("192.168.1.1"));
  CHECK_FALSE(is_domain_name("example-.com"));
  CHECK_FALSE(is_domain_name(std::string("exa\0mple.com", 12)));
}

TEST_CASE("registrable domains come from the public suffix list only", "[certs]") {
  CHECK(registrable_domain("www.amcrest.com") == "amcrest.com");
  CHECK(registrable_domain("a.b.example.co.uk.") == "example.co.uk");
  CHECK(registrable_domain("WWW.Example.ORG") == "example.org");
  CHECK(registrable_domain("device.myfoscam.org") == "myfoscam.org");
  CHECK(registrable_domain("cam.ddns.net") == "cam.ddns.net");  // ddns.net is a listed suffix
  CHECK_FALSE(registrable_domain("co.uk"));
  CHECK_FALSE(registrable_domain("com"));
  CHECK_FALSE(registrable_domain("nas.local"));  // not a listed suffix
  CHECK_FALSE(registrable_domain("router.invalidtld"));
  CHECK_FALSE(registrable_domain("192.168.1.1"));
  CHECK_FALSE(registrable_domain("dahua"));
  CHECK(is_public_domain("iot.eu-west-1.amazonaws.com"));
  CHECK_FALSE(is_public_domain("IPC"));
}

TEST_CASE("valid_in_window: any overlap with the window, ends inclusive", "[certs]") {
  Spec s;
  s.not_before = 1000;
  s.not_after = 2000;
  Certificate c = make_cert(s);
  CHECK(valid_in_window(c, 1500, 1600));
  CHECK(valid_in_window(c, 0, 1000));
  CHECK(valid_in_window(c, 2000, 3000));
  CHECK(valid_in_window(c, 0, 5000));
  CHECK_FALSE(valid_in_window(c, 0, 999));
  CHECK_FALSE(valid_in_window(c, 2001, 3000));

  SECTION("an expired certificate parses and is valid only in the past") {
    Spec old;
    old.not_before = 1262304000;  // 2010-01-01
    old.not_after = 1293840000;   // 2011-01-01
    Certificate e = make_cert(old);
    CHECK(e.not_after == 1293840000);
    CHECK_FALSE(valid_in_window(e, 1700000000, 1700086400));
    CHECK(valid_in_window(e, 1280000000, 1280086400));
  }
}

TEST_CASE("valid_on_day: valid at some moment of the sighting's UTC day", "[certs]") {
  const int64_t day = 1796515200;  // 2026-12-06T00:00:00Z
  // Issued at noon: a record that says only "that day" (Sonar: 00:00) counts.
  CHECK(valid_on_day(day + 43200, day + 400 * 86400, day));
  CHECK(valid_on_day(day + 43200, day + 400 * 86400, day + 86399));
  CHECK_FALSE(valid_on_day(day + 86400, day + 400 * 86400, day + 86399));  // issued next day
  // Expired at 10:00: still that day's, not the next day's.
  CHECK(valid_on_day(day - 86400, day + 36000, day + 54000));
  CHECK(valid_on_day(day - 86400, day, day + 86399));
  CHECK_FALSE(valid_on_day(day - 86400, day - 1, day));  // expired the day before
  CHECK_FALSE(valid_on_day(day - 400 * 86400, day - 180 * 86400, day + 60));
  // Unknown dates bound nothing.
  CHECK(valid_on_day(std::nullopt, std::nullopt, day));
  CHECK(valid_on_day(std::nullopt, day + 1, day + 86000));
  CHECK_FALSE(valid_on_day(std::nullopt, day - 1, day + 10));
  // Before 1970 the day is still the one that holds t.
  CHECK(valid_on_day(-86400, -86400, -1));
  CHECK_FALSE(valid_on_day(-86400, -86400, 0));
}
