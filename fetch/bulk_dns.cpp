#include "fetch/bulk_dns.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fetch/lines.h"
#include "lib/date.h"
#include "lib/net.h"
#include "resolver/wire.h"

namespace iotmap::fetch {
namespace {

using nlohmann::json;

// Sonar's keys, each with the quotes around it and the quote that opens its value.
constexpr std::array<std::string_view, 4> kSonarKeys = {"\"timestamp\":\"", "\"name\":\"",
                                                        "\"type\":\"", "\"value\":\""};

// The value that starts at `begin` and ends at the next quote; nullopt when it does not end or
// holds an escape (the caller then parses the line as JSON).
std::optional<std::string_view> plain_value(std::string_view line, size_t begin) {
  auto end = line.find('"', begin);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view v = line.substr(begin, end - begin);
  if (v.find('\\') != std::string_view::npos) return std::nullopt;
  return v;
}

// Sonar's own layout, {"timestamp":"T","name":"N","type":"Y","value":"V"..., read in one go
// when the line starts so and no value holds an escape. The fields are then those the search
// below finds: a value holds no quote, and every other quote before V's end is followed by ':'
// or ',', so no key starts anywhere but where the layout puts it.
std::optional<std::array<std::optional<std::string_view>, 4>> sonar_layout(std::string_view line) {
  std::array<std::optional<std::string_view>, 4> out;
  size_t at = 0;
  for (size_t k = 0; k < kSonarKeys.size(); ++k) {
    if (line.substr(at).substr(0, 1) != (k == 0 ? "{" : ",") ||
        !line.substr(at + 1).starts_with(kSonarKeys[k]))
      return std::nullopt;
    at += 1 + kSonarKeys[k].size();
    out[k] = plain_value(line, at);
    if (!out[k]) return std::nullopt;
    at += out[k]->size() + 1;
  }
  return out;
}

// For each of kSonarKeys, the value after its first "key":" in the line, as above. Sonar's
// lines need nothing more, and this costs far less than building a JSON document per line.
// One pass over the line's quotes: every key starts with a quote, so the first quote at which
// a key starts is where a search for that key alone would find it.
std::array<std::optional<std::string_view>, 4> sonar_fields(std::string_view line) {
  if (auto fields = sonar_layout(line)) return *fields;
  std::array<std::optional<std::string_view>, 4> out;
  std::array<bool, 4> seen{};
  size_t left = kSonarKeys.size();
  for (size_t q = line.find('"'); q != std::string_view::npos && left > 0;
       q = line.find('"', q + 1)) {
    const char next = q + 1 < line.size() ? line[q + 1] : '"';
    for (size_t k = 0; k < kSonarKeys.size(); ++k) {
      if (seen[k] || next != kSonarKeys[k][1] ||
          line.compare(q, kSonarKeys[k].size(), kSonarKeys[k]) != 0)
        continue;
      seen[k] = true;
      --left;
      out[k] = plain_value(line, q + kSonarKeys[k].size());
    }
  }
  return out;
}

// "1597190444" (Sonar) or "2020-08-12T00:00:00Z" (zdns); default_time otherwise.
int64_t timestamp_of(std::string_view text, int64_t default_time) {
  return parse_time(text, Zone::utc_if_absent).value_or(default_time);
}

// One record from a name, a type and a value; false (and no record) for other types.
bool add_record(std::string_view name, std::string_view type, std::string_view value, int64_t t,
                std::vector<resolver::PdnsRecord>& out, std::string& error) {
  std::string upper(type);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper != "A" && upper != "AAAA" && upper != "CNAME") return true;
  auto owner = resolver::dns_data_name(name);
  if (!owner) {
    error = "\"" + std::string(name) + "\" is not a domain name";
    return false;
  }
  resolver::PdnsRecord r{std::move(*owner), upper, "", t, t};
  if (upper == "CNAME") {
    auto target = resolver::dns_data_name(value);
    if (!target) {
      error = "CNAME value \"" + std::string(value) + "\" is not a domain name";
      return false;
    }
    r.rdata = std::move(*target);
  } else {
    auto ip = IpAddress::parse(value);
    if (!ip || ip->v6 != (upper == "AAAA")) {
      error = upper + " value \"" + std::string(value) + "\" is not an address of that family";
      return false;
    }
    r.rdata = ip->str();
  }
  out.push_back(std::move(r));
  return true;
}

// zdns / massdns: data.answers[] with type, name and answer (zdns) or data (massdns).
bool parse_answers(const json& doc, int64_t default_time, std::vector<resolver::PdnsRecord>& out,
                   std::string& error) {
  int64_t t = default_time;
  if (auto ts = doc.find("timestamp"); ts != doc.end() && ts->is_string())
    t = timestamp_of(ts->get<std::string>(), default_time);
  auto data = doc.find("data");
  if (data == doc.end() || !data->is_object()) return true;  // an error status: no answers
  auto answers = data->find("answers");
  if (answers == data->end() || !answers->is_array()) return true;
  for (const auto& a : *answers) {
    if (!a.is_object()) continue;
    auto type = a.find("type"), name = a.find("name");
    auto value = a.find("answer");
    if (value == a.end()) value = a.find("data");
    if (type == a.end() || name == a.end() || value == a.end() || !type->is_string() ||
        !name->is_string() || !value->is_string())
      continue;
    if (!add_record(name->get<std::string>(), type->get<std::string>(), value->get<std::string>(),
                    t, out, error))
      return false;
  }
  return true;
}

}  // namespace

bool parse_bulk_line(std::string_view line, int64_t default_time,
                     std::vector<resolver::PdnsRecord>& out, std::string& error) {
  out.clear();
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return true;
  // Sonar FDNS, the common case, without a JSON document.
  const auto [ts, name, type, value] = sonar_fields(line);
  if (name && type && value)
    return add_record(*name, *type, *value, ts ? timestamp_of(*ts, default_time) : default_time,
                      out, error);
  json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    error = "not a JSON object";
    return false;
  }
  if (doc.contains("value")) {  // Sonar with escapes
    auto n = doc.find("name"), t = doc.find("type"), v = doc.find("value");
    if (n == doc.end() || t == doc.end() || !n->is_string() || !t->is_string() || !v->is_string()) {
      error = "Sonar line without string name, type and value";
      return false;
    }
    int64_t ts = default_time;
    if (auto s = doc.find("timestamp"); s != doc.end() && s->is_string())
      ts = timestamp_of(s->get<std::string>(), default_time);
    return add_record(n->get<std::string>(), t->get<std::string>(), v->get<std::string>(), ts, out,
                      error);
  }
  if (!doc.contains("name")) {
    error = "neither Sonar FDNS (name, type, value) nor zdns/massdns (name, data.answers)";
    return false;
  }
  return parse_answers(doc, default_time, out, error);
}

BulkStats read_bulk(const std::string& path, int64_t default_time, int64_t from, int64_t to,
                    const std::function<void(const resolver::PdnsRecord&)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read");
  BulkStats st;
  std::string error;
  std::vector<resolver::PdnsRecord> records;
  for_each_line(in, path, [&](std::string_view line, uint64_t number) {
    st.lines = number;
    if (!parse_bulk_line(line, default_time, records, error)) {
      ++st.malformed;
      if (st.errors.size() < BulkStats::kMaxErrors)
        st.errors.push_back(path + ":" + std::to_string(number) + ": " + error);
      return;
    }
    for (const auto& r : records) {
      if (r.time_last < from || r.time_first >= to) continue;
      ++st.records;
      fn(r);
    }
  });
  return st;
}

resolver::RecordReader bulk_reader(const std::string& path, int64_t default_time, int64_t from,
                                   int64_t to, BulkStats& stats) {
  return [path, default_time, from, to,
          &stats](const std::function<void(const resolver::PdnsRecord&)>& fn) {
    stats = read_bulk(path, default_time, from, to, fn);
  };
}

}  // namespace iotmap::fetch
