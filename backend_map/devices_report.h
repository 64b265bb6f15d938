// The device-certificate section of the footprint report (docs/backend-map.md, Device
// certificates): the day's device certificates (certs/devices.h) per manufacturer, per origin AS
// and per country, self-signed against signed by the maker's CA. Pure: rows and lookup tables
// in, text out.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend_map/footprint.h"
#include "backend_map/pfx2as.h"
#include "lib/net.h"

namespace iotmap::backend_map {

struct DeviceSighting {
  IpAddress ip;
  std::string manufacturer;
  std::string signer;  // self|maker_ca
};

struct DeviceGroup {
  std::string name;  // manufacturer, "AS64500 Name" or country code; "unknown" when not known
  uint32_t devices = 0, self = 0, maker_ca = 0;
};

struct DeviceSummary {
  std::string date;
  uint32_t devices = 0;    // rows: (address, port, leaf)
  uint32_t addresses = 0;  // distinct addresses
  uint32_t self = 0, maker_ca = 0;
  std::vector<DeviceGroup> by_manufacturer, by_as, by_country;  // most devices first
};

DeviceSummary summarize_devices(const std::string& date, const std::vector<DeviceSighting>& rows,
                                const PrefixTable* pfx2as,
                                const std::unordered_map<uint32_t, AsOrg>* as2org,
                                const GeoLookup& geo);

std::string devices_markdown(const DeviceSummary& s);
std::string devices_html(const DeviceSummary& s);
nlohmann::ordered_json devices_json(const DeviceSummary& s);

}  // namespace iotmap::backend_map
