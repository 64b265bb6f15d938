// Reading the JSON data sets (zgrab2, censys) without exceptions: a missing or mistyped member is
// a null pointer or an empty text, which the parsers turn into a malformed-line message.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace iotmap::certs::dataset {

inline const nlohmann::json* member(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

inline std::string text(const nlohmann::json* j) {
  return j != nullptr && j->is_string() ? j->get<std::string>() : std::string();
}

// The line as a JSON object; false with `error` set when it is not one.
inline bool parse_object(std::string_view line, nlohmann::json& j, std::string& error) {
  j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (!j.is_discarded() && j.is_object()) return true;
  error = "not a JSON object (a truncated line?)";
  return false;
}

// A port number 1-65535, else 0.
inline int port_number(const nlohmann::json* j) {
  if (j == nullptr || !j->is_number_unsigned()) return 0;
  auto v = j->get<uint64_t>();
  return v >= 1 && v <= 65535 ? static_cast<int>(v) : 0;
}

}  // namespace iotmap::certs::dataset
