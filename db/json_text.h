// Internal to db/: lists and counters are stored as JSON text so that one column holds an
// ordered list (a CNAME chain, a certificate chain) and the sqlite3 shell can still read it
// (json_each, json_extract).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace iotmap::db {

std::string json_array(const std::vector<std::string>& items);
// A malformed or non-array text yields an empty list: a bad cell must not stop a long read.
std::vector<std::string> parse_json_array(const std::string& text);

std::string json_int_array(const std::vector<int64_t>& items);
// As parse_json_array: a malformed cell or a non-integer item yields nothing for it.
std::vector<int64_t> parse_json_int_array(const std::string& text);

std::string json_counts(const std::map<std::string, int64_t>& counts);
std::map<std::string, int64_t> parse_json_counts(const std::string& text);

}  // namespace iotmap::db
