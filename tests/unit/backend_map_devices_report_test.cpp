// The device-certificate section of the footprint report (backend_map/devices_report.h).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "backend_map/devices_report.h"

using namespace iotmap;
using namespace iotmap::backend_map;

TEST_CASE("devices per manufacturer, AS and country, self-signed against maker CA",
          "[backend_map][devices]") {
  PrefixTable pfx;
  const uint32_t asn[] = {64500};
  pfx.add(*Prefix::parse("192.0.2.0/24"), asn);
  std::unordered_map<uint32_t, AsOrg> orgs{{64500, AsOrg{"EXAMPLE-AS", "O1", "Example Net", "DE"}}};
  GeoLookup geo = [](const IpAddress& ip) -> std::optional<Location> {
    if (ip.str().starts_with("192.0.2.")) return Location{"", "DE"};
    return std::nullopt;
  };
  auto ip = [](const char* t) { return *IpAddress::parse(t); };
  std::vector<DeviceSighting> rows{{ip("192.0.2.1"), "Dahua", "maker_ca"},
                                   {ip("192.0.2.1"), "Dahua", "maker_ca"},  // a second port
                                   {ip("192.0.2.2"), "Hikvision", "self"},
                                   {ip("198.51.100.9"), "Dahua", "self"}};
  auto s = summarize_devices("2026-03-01", rows, &pfx, &orgs, geo);
  CHECK(s.devices == 4);
  CHECK(s.addresses == 3);
  CHECK(s.self == 2);
  CHECK(s.maker_ca == 2);
  REQUIRE(s.by_manufacturer.size() == 2);
  CHECK(s.by_manufacturer[0].name == "Dahua");
  CHECK(s.by_manufacturer[0].devices == 3);
  CHECK(s.by_manufacturer[0].self == 1);
  CHECK(s.by_manufacturer[0].maker_ca == 2);
  REQUIRE(s.by_as.size() == 2);
  CHECK(s.by_as[0].name == "AS64500 Example Net");
  CHECK(s.by_as[0].devices == 3);
  CHECK(s.by_as[1].name == "unknown");
  CHECK(s.by_country[0].name == "DE");
  CHECK(s.by_country[1].name == "unknown");
  auto md = devices_markdown(s);
  CHECK_THAT(md, Catch::Contains("| Dahua | 3 | 1 | 2 |"));
  CHECK_THAT(md, Catch::Contains("4 device certificates at 3 addresses on 2026-03-01"));
  CHECK_THAT(devices_html(s), Catch::Contains("<td>AS64500 Example Net</td><td>3</td>"));
  CHECK(devices_json(s)["by_country"][0]["devices"] == 3);
}

TEST_CASE("a day without device certificates still has its section", "[backend_map][devices]") {
  auto s = summarize_devices("2026-03-01", {}, nullptr, nullptr, nullptr);
  CHECK(s.devices == 0);
  CHECK_THAT(devices_markdown(s), Catch::Contains("| (none) | | | |"));
}
