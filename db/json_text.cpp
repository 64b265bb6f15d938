#include "db/json_text.h"

#include <nlohmann/json.hpp>

#include "lib/json.h"

namespace iotmap::db {

std::string json_array(const std::vector<std::string>& items) {
  if (items.empty()) return "[]";  // most rows: no CNAME chain; skip building a json value
  return json_text(nlohmann::json(items));
}

std::vector<std::string> parse_json_array(const std::string& text) {
  std::vector<std::string> out;
  if (text == "[]") return out;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return out;
  for (const auto& item : j)
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

std::string json_int_array(const std::vector<int64_t>& items) {
  if (items.empty()) return "[]";
  std::string out = "[";
  for (int64_t v : items) out += (out.size() > 1 ? "," : "") + std::to_string(v);
  return out + "]";
}

std::vector<int64_t> parse_json_int_array(const std::string& text) {
  std::vector<int64_t> out;
  if (text == "[]") return out;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return out;
  for (const auto& item : j)
    if (item.is_number_integer()) out.push_back(item.get<int64_t>());
  return out;
}

std::string json_counts(const std::map<std::string, int64_t>& counts) {
  return json_text(nlohmann::json(counts));
}

std::map<std::string, int64_t> parse_json_counts(const std::string& text) {
  std::map<std::string, int64_t> out;
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return out;
  for (const auto& [key, value] : j.items())
    if (value.is_number_integer()) out[key] = value.get<int64_t>();
  return out;
}

}  // namespace iotmap::db
