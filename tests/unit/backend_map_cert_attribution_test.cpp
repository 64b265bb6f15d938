// Certificate names as attribution evidence (issue #12, item 6): the authors' certificate
// post-filters (config/cert_filters.h) decide whether a certificate name alone puts a provider
// on an address, through the catalogue view the commands use. One case per filter.
#include <catch2/catch.hpp>
#include <set>

#include "backend_map/catalogue_view.h"
#include "backend_map/classify.h"
#include "config/cert_filters.h"
#include "lib/date.h"

using namespace iotmap;
using namespace iotmap::backend_map;

namespace {

const Day kDay = *parse_date("2022-02-28");
const IpAddress kIp = *IpAddress::parse("192.0.2.77");

// The provider ids a certificate with `names`, seen on kIp, puts there (the only evidence).
std::set<std::string> attributed(const CatalogueView& view, const std::vector<std::string>& names) {
  Dataset d;
  d.certificate(kDay, kIp, 8883, "fp", names);
  ClassifyOptions o;
  o.providers = &view.providers;
  auto c = classify(d, view.lookup, kDay, kDay, o);
  std::set<std::string> ids;
  const IpDay* r = c.find(d.find_ip(kIp), kDay);
  REQUIRE(r != nullptr);
  for (uint32_t i = r->providers_begin; i < r->providers_end; ++i)
    ids.insert(view.providers[size_t(c.ip_providers[i].provider)].id);
  for (const auto& di : c.domain_ips)
    CHECK(ids.count(view.providers[size_t(c.name_provider[di.domain])].id));
  return ids;
}

const CatalogueView& embedded() {
  static const CatalogueView view = view_of(config::Catalogue::embedded());
  return view;
}

using Ids = std::set<std::string>;

}  // namespace

TEST_CASE("cert filters: the one place gives each filter of the authors",
          "[backend_map][cert_filters]") {
  using config::passes_cert_filters;
  CHECK_FALSE(passes_cert_filters("sap", "x.sapns2.eu10.cp.iot.sap"));
  CHECK(passes_cert_filters("sap", "x.eu10.cp.iot.sap"));
  CHECK_FALSE(passes_cert_filters("aws", "a1b2-ats.iot.eu-west-1.amazonaws.com"));
  CHECK(passes_cert_filters("aws", "*.iot.eu-west-1.amazonaws.com"));
  CHECK_FALSE(passes_cert_filters("bosch", "mqtt.bosch-iot-suite.com"));
  CHECK(passes_cert_filters("bosch", "mqtt.bosch-iot-hub.com"));
  CHECK_FALSE(passes_cert_filters("siemens", "gateway.us1.mindsphere.io"));
  for (const char* kept : {"a.cn1.mindsphere-in.cn", "a.eu1.mindsphere.io", "a.eu2.mindsphere.io"})
    CHECK(passes_cert_filters("siemens", kept));
  CHECK(passes_cert_filters("microsoft", "hub.azure-devices.net"));  // no filter: kept
}

TEST_CASE("cert filters: AWS, only '*.iot' names attribute an address",
          "[backend_map][cert_filters]") {
  CHECK(attributed(embedded(), {"a1b2c3-ats.iot.eu-west-1.amazonaws.com"}).empty());
  CHECK(attributed(embedded(), {"*.iot.eu-west-1.amazonaws.com"}) == Ids{"aws"});
}

TEST_CASE("cert filters: Bosch, only bosch-iot-hub.com names attribute an address",
          "[backend_map][cert_filters]") {
  CHECK(attributed(embedded(), {"things.bosch-iot-suite.com"}).empty());
  CHECK(attributed(embedded(), {"mqtt.bosch-iot-hub.com"}) == Ids{"bosch"});
}

TEST_CASE("cert filters: Siemens, only its three gateway domains attribute an address",
          "[backend_map][cert_filters]") {
  CHECK(attributed(embedded(), {"gateway.us1.mindsphere.io"}).empty());
  CHECK(attributed(embedded(), {"gateway.eu1.mindsphere.io"}) == Ids{"siemens"});
  CHECK(attributed(embedded(), {"gateway.eu2.mindsphere.io"}) == Ids{"siemens"});
  CHECK(attributed(embedded(), {"gateway.cn1.mindsphere-in.cn"}) == Ids{"siemens"});
}

TEST_CASE("cert filters: SAP, sapns2 names attribute nothing even where a pattern matches them",
          "[backend_map][cert_filters]") {
  // The embedded SAP pattern already drops sapns2 names; a catalogue whose pattern does not
  // still gets the certificate filter.
  auto cat = config::Catalogue::from_text(R"(
[[provider]]
id = "sap"
name = "SAP IoT"
patterns = ['(?:[a-z0-9_-]+\.)*iot\.sap\.']
registrable_domains = ["iot.sap"]
fixed_names = ["iot.sap."]
docs = ["https://help.sap.com/"]
ports = [{ port = 8883, protocol = "mqtt", tls = true }]
)",
                                          "sap.toml");
  auto view = view_of(cat);
  CHECK(attributed(view, {"x.sapns2.eu10.cp.iot.sap"}).empty());
  CHECK(attributed(view, {"x.eu10.cp.iot.sap"}) == Ids{"sap"});
}

TEST_CASE("cert filters: a name DNS links to the address keeps its provider",
          "[backend_map][cert_filters]") {
  const auto& view = embedded();
  Dataset d;
  const char* name = "a1b2c3-ats.iot.eu-west-1.amazonaws.com";
  d.observe(kDay, kIp, name, kActiveDns);
  d.certificate(kDay, kIp, 8883, "fp", {name});
  ClassifyOptions o;
  o.providers = &view.providers;
  auto c = classify(d, view.lookup, kDay, kDay, o);
  const IpDay* r = c.find(d.find_ip(kIp), kDay);
  REQUIRE(r != nullptr);
  REQUIRE(r->providers_end - r->providers_begin == 1);
  CHECK(c.ip_providers[r->providers_begin].provider == view.index("aws"));
  CHECK(c.ip_providers[r->providers_begin].not_matching == 0);  // still AWS's own name
}

TEST_CASE("cert filters: the certificate fallback needs a certificate the filters keep",
          "[backend_map][cert_filters]") {
  const auto& view = embedded();
  Dataset d;
  d.domain("mqtt.bosch-iot-suite.com");
  d.domain("mqtt.bosch-iot-hub.com");
  d.certificate(kDay, kIp, 8883, "suite", {"*.bosch-iot-suite.com"});
  d.certificate(kDay, *IpAddress::parse("192.0.2.78"), 8883, "hub", {"*.bosch-iot-hub.com"});
  ClassifyOptions o;
  o.providers = &view.providers;
  auto c = classify(d, view.lookup, kDay, kDay, o);
  const DomainVerdict* suite = c.domain(d.find_name("mqtt.bosch-iot-suite.com"));
  const DomainVerdict* hub = c.domain(d.find_name("mqtt.bosch-iot-hub.com"));
  REQUIRE(suite != nullptr);
  REQUIRE(hub != nullptr);
  CHECK(suite->exclusive_reason == Reason::kNoData);
  CHECK(suite->ips_total == 0);
  CHECK(hub->exclusive_reason == Reason::kCertificateFallback);
  CHECK(hub->ips_total == 1);
}
