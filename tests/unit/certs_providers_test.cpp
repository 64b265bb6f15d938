// Certificate names attributed to providers, with the authors' certificate post-filters.
#include <catch2/catch.hpp>
#include <map>

#include "certs/providers.h"
#include "certs_fixtures.h"
#include "config/catalogue.h"

using namespace iotmap::certs;
using namespace certs_test;

namespace {

// Stands in for the catalogue: suffix -> (provider, region).
NameMatcher suffix_matcher(std::vector<std::string>* seen = nullptr) {
  return [seen](std::string_view fqdn) -> std::optional<ProviderHit> {
    if (seen != nullptr) seen->emplace_back(fqdn);
    static const std::vector<std::pair<std::string, ProviderHit>> table{
        {".iot.eu-west-1.amazonaws.com.", {"aws", "eu-west-1", false}},
        {"iot.sap.", {"sap", "", false}},
        {"bosch-iot-hub.com.", {"bosch", "", false}},
        {"bosch-iot-suite.com.", {"bosch", "", false}},
        {"mindsphere.io.", {"siemens", "", false}},
        {"azure-devices.net.", {"microsoft", "", false}},
        {"myfoscam.org.", {"foscam", "", true}},
    };
    for (const auto& [suffix, hit] : table)
      if (fqdn.ends_with(suffix)) return hit;
    return std::nullopt;
  };
}

Certificate with_names(const std::string& cn, const std::string& sans) {
  Spec s;
  s.subject = {{"CN", cn}};
  s.sans = sans;
  return make_cert(s);
}

}  // namespace

TEST_CASE("names go to the matcher in FQDN form, wildcard kept, non-names skipped", "[certs]") {
  std::vector<std::string> seen;
  Certificate c =
      with_names("Hub.Azure-Devices.NET", "DNS:*.azure-devices.net,DNS:not a name,IP:192.0.2.1");
  auto m = match_names(c, suffix_matcher(&seen));
  CHECK(seen == std::vector<std::string>{"hub.azure-devices.net.", "*.azure-devices.net."});
  REQUIRE(m.size() == 2);
  CHECK(m[0].name == "hub.azure-devices.net");
  CHECK(m[0].provider == "microsoft");
  CHECK(m[1].name == "*.azure-devices.net");
}

TEST_CASE("AWS: only '*.iot' names count", "[certs]") {
  Certificate c =
      with_names("*.iot.eu-west-1.amazonaws.com",
                 "DNS:a1b2c3-ats.iot.eu-west-1.amazonaws.com,DNS:*.iot.eu-west-1.amazonaws.com");
  auto m = match_names(c, suffix_matcher());
  REQUIRE(m.size() == 1);
  CHECK(m[0].name == "*.iot.eu-west-1.amazonaws.com");
  CHECK(m[0].provider == "aws");
  CHECK(m[0].region == "eu-west-1");
}

TEST_CASE("SAP drops sapns2, Bosch keeps bosch-iot-hub.com, Siemens keeps three names", "[certs]") {
  auto sap = match_names(with_names("x.eu10.cp.iot.sap", "DNS:y.sapns2.iot.sap"), suffix_matcher());
  REQUIRE(sap.size() == 1);
  CHECK(sap[0].name == "x.eu10.cp.iot.sap");

  auto bosch = match_names(with_names("mqtt.bosch-iot-hub.com", "DNS:things.bosch-iot-suite.com"),
                           suffix_matcher());
  REQUIRE(bosch.size() == 1);
  CHECK(bosch[0].name == "mqtt.bosch-iot-hub.com");

  auto siemens = match_names(
      with_names("gateway.eu1.mindsphere.io", "DNS:*.eu2.mindsphere.io,DNS:www.mindsphere.io"),
      suffix_matcher());
  REQUIRE(siemens.size() == 2);
  CHECK(siemens[0].name == "gateway.eu1.mindsphere.io");
  CHECK(siemens[1].name == "*.eu2.mindsphere.io");
}

TEST_CASE("device-service matches are not filtered, custom filters apply", "[certs]") {
  Certificate c = with_names("*.myfoscam.org", "DNS:hub.azure-devices.net");
  auto m = match_names(c, suffix_matcher());
  REQUIRE(m.size() == 2);
  CHECK(m[0].provider == "foscam");
  CHECK(m[0].device);
  std::vector<CertNameFilter> none_for_microsoft{{"microsoft", {}, {"hub."}}};
  CHECK(match_names(c, suffix_matcher(), none_for_microsoft).size() == 1);
  CHECK(passes_cert_filters("aws", "*.iot.x", default_cert_name_filters()));
  CHECK_FALSE(passes_cert_filters("aws", "data.iot.x", default_cert_name_filters()));
  CHECK(passes_cert_filters("other", "anything", default_cert_name_filters()));
}

TEST_CASE("with the embedded catalogue", "[certs]") {
  auto catalogue = iotmap::config::Catalogue::embedded();
  SECTION("AWS IoT's server certificate: the wildcard, with its region") {
    auto m =
        match_names(with_names("*.iot.eu-west-1.amazonaws.com",
                               "DNS:iot.eu-west-1.amazonaws.com,DNS:*.iot.eu-west-1.amazonaws.com"),
                    catalogue);
    REQUIRE(m.size() == 1);
    CHECK(m[0].name == "*.iot.eu-west-1.amazonaws.com");
    CHECK(m[0].provider == "aws");
    CHECK(m[0].region == "eu-west-1");
    CHECK_FALSE(m[0].device);
  }
  SECTION("an account endpoint in a certificate is dropped by the AWS filter") {
    CHECK(match_names(with_names("a1b2c3-ats.iot.eu-west-1.amazonaws.com", ""), catalogue).empty());
    CHECK(match_names(with_names("a1b2c3-ats.iot.eu-west-1.amazonaws.com", ""), catalogue, {})
              .size() == 1);
  }
  SECTION("Azure, a look-alike, and a name of no one") {
    auto m = match_names(
        with_names("*.azure-devices.net",
                   "DNS:xazure-devices.net,DNS:azure-devices.net.evil,DNS:www.example.com"),
        catalogue);
    REQUIRE(m.size() == 1);
    CHECK(m[0].provider == "microsoft");
  }
  SECTION("device services") {
    auto m = match_names(with_names("devs.tplinkcloud.com", ""), catalogue);
    REQUIRE(m.size() == 1);
    CHECK(m[0].provider == "tplink");
    CHECK(m[0].device);
  }
  SECTION("the matcher form agrees") {
    auto hit = catalogue_matcher(catalogue)("*.iot.us-east-1.amazonaws.com.");
    REQUIRE(hit);
    CHECK(hit->id == "aws");
    CHECK(hit->region == "us-east-1");
  }
}
