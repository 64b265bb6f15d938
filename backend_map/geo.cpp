#include "backend_map/geo.h"

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

namespace iotmap::backend_map {

struct MaxMindGeo::Db {
  MMDB_s mmdb{};
  bool open = false;
  ~Db() {
    if (open) MMDB_close(&mmdb);
  }
};

MaxMindGeo::MaxMindGeo(const std::string& path) : db_(std::make_unique<Db>()) {
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db_->mmdb);
  if (status != MMDB_SUCCESS)
    throw std::runtime_error(path + ": cannot open MaxMind database: " + MMDB_strerror(status));
  db_->open = true;
}

MaxMindGeo::~MaxMindGeo() = default;

namespace {

std::string string_at(MMDB_lookup_result_s& result, const char* const* path) {
  MMDB_entry_data_s data{};
  if (MMDB_aget_value(&result.entry, &data, path) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING)
    return {};
  return std::string(data.utf8_string, data.data_size);
}

}  // namespace

std::optional<Location> MaxMindGeo::lookup(const IpAddress& ip) const {
  sockaddr_storage ss{};
  if (ip.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    std::memcpy(&s6->sin6_addr, ip.bytes.data(), 16);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    std::memcpy(&s4->sin_addr, ip.bytes.data(), 4);
  }
  int error = 0;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(&db_->mmdb, reinterpret_cast<sockaddr*>(&ss), &error);
  if (error != MMDB_SUCCESS || !result.found_entry) return std::nullopt;
  static const char* const kCountry[] = {"country", "iso_code", nullptr};
  static const char* const kRegistered[] = {"registered_country", "iso_code", nullptr};
  static const char* const kCity[] = {"city", "names", "en", nullptr};
  Location loc;
  loc.country = string_at(result, kCountry);
  if (loc.country.empty()) loc.country = string_at(result, kRegistered);
  if (loc.country.empty()) return std::nullopt;
  loc.city = string_at(result, kCity);
  return loc;
}

}  // namespace iotmap::backend_map
