// Geolocation from a MaxMind-format database (GeoLite2/GeoIP2 City or Country, DB-IP, ...) via
// libmaxminddb. The command opens it and hands `lookup` to the footprint as a GeoLookup.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backend_map/footprint.h"
#include "lib/net.h"

namespace iotmap::backend_map {

class MaxMindGeo {
 public:
  // Opens the database; throws std::runtime_error naming the file when it cannot.
  explicit MaxMindGeo(const std::string& path);
  ~MaxMindGeo();
  MaxMindGeo(const MaxMindGeo&) = delete;
  MaxMindGeo& operator=(const MaxMindGeo&) = delete;

  // city.names.en and country.iso_code (registered_country as a fallback); nullopt when the
  // address is not in the database or has no country.
  std::optional<Location> lookup(const IpAddress& ip) const;
  GeoLookup as_lookup() const {
    return [this](const IpAddress& ip) { return lookup(ip); };
  }

 private:
  struct Db;
  std::unique_ptr<Db> db_;
};

}  // namespace iotmap::backend_map
