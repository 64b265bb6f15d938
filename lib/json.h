// JSON text of values that may carry bytes from data sources (names from a shard database, AS
// names from as2org, certificate fields): bytes that are not UTF-8 become U+FFFD instead of an
// exception that stops a report or an export half way. Every JSON writer uses this.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace iotmap {

inline std::string json_text(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace iotmap
