#include "resolver/pdns.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "resolver/wire.h"

namespace iotmap::resolver {
namespace {

using nlohmann::json;

// Why a line is malformed; thrown by the readers below and caught by parse_dnsdb_line.
struct BadLine {
  std::string why;
};

int64_t read_time(const json& obj, const char* key, const char* zone_key) {
  for (const char* k : {key, zone_key}) {
    auto it = obj.find(k);
    if (it == obj.end()) continue;
    if (!it->is_number_integer() && !it->is_number_unsigned()) break;
    return it->get<int64_t>();
  }
  throw BadLine{"missing or non-integer time_first/time_last"};
}

// DNSDB times are Unix seconds of this century's data: a time before 1970 or from 2100 on is a
// broken or hostile record, and storing it would put the record in windows it was never in.
constexpr int64_t kTimeEnd = 4102444800;  // 2100-01-01T00:00:00Z

void read_times(const json& doc, PdnsRecord& r) {
  r.time_first = read_time(doc, "time_first", "zone_time_first");
  r.time_last = read_time(doc, "time_last", "zone_time_last");
  for (auto [key, t] : {std::pair{"time_first", r.time_first}, {"time_last", r.time_last}}) {
    if (t < 0 || t >= kTimeEnd)
      throw BadLine{std::string(key) + " " + std::to_string(t) +
                    " is not a time from 1970 to 2099 (Unix seconds)"};
  }
  if (r.time_first > r.time_last) throw BadLine{"time_first is after time_last"};
}

// The record object of a line: the line itself, or its "obj" (DNSDB's SAF wrapper). Null for a
// SAF stream control line (begin, ongoing, succeeded, limited, failed).
json record_object(std::string_view line) {
  json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw BadLine{"not valid JSON"};
  if (!doc.is_object()) throw BadLine{"not a JSON object"};
  if (auto obj = doc.find("obj"); obj != doc.end()) {
    if (!obj->is_object()) throw BadLine{"\"obj\" is not an object"};
    json inner = *obj;
    return inner;
  }
  if (doc.contains("cond") && !doc.contains("rrname")) return nullptr;
  return doc;
}

std::string string_field(const json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end() || !it->is_string())
    throw BadLine{std::string("missing or non-string \"") + key + "\""};
  return it->get<std::string>();
}

std::vector<std::string> rdata_values(const json& doc) {
  auto rdata = doc.find("rdata");
  if (rdata == doc.end() || !(rdata->is_string() || rdata->is_array()))
    throw BadLine{"missing \"rdata\" (a string or an array of strings)"};
  if (rdata->is_string()) return {rdata->get<std::string>()};
  std::vector<std::string> values;
  for (const auto& v : *rdata) {
    if (!v.is_string()) throw BadLine{"\"rdata\" holds a value that is not a string"};
    values.push_back(v.get<std::string>());
  }
  return values;
}

// The record without its rdata (name, upper-case type and times), and its rdata values.
PdnsRecord record_head(const json& doc, std::vector<std::string>& values) {
  PdnsRecord r;
  std::string rrname = string_field(doc, "rrname");
  r.rrtype = string_field(doc, "rrtype");
  values = rdata_values(doc);
  auto name = dns_data_name(rrname);
  if (!name) throw BadLine{"\"rrname\" is not a domain name"};
  r.rrname = *name;
  std::transform(r.rrtype.begin(), r.rrtype.end(), r.rrtype.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  read_times(doc, r);
  return r;
}

// One rdata value in the store's spelling: names normalised, addresses canonical and of the
// type's family, anything else as given.
std::string rdata_of(const std::string& rrtype, std::string v) {
  if (rrtype == "CNAME") {
    auto target = dns_data_name(v);
    if (!target) throw BadLine{"CNAME rdata \"" + v + "\" is not a domain name"};
    return *target;
  }
  if (rrtype == "A" || rrtype == "AAAA") {
    auto ip = IpAddress::parse(v);
    if (!ip || ip->v6 != (rrtype == "AAAA"))
      throw BadLine{rrtype + " rdata \"" + v + "\" is not an address of that family"};
    return ip->str();
  }
  return v;
}

}  // namespace

bool parse_dnsdb_line(std::string_view line, std::vector<PdnsRecord>& out, std::string& error) {
  out.clear();
  if (line.find_first_not_of(" \t\r\n") == std::string_view::npos) return true;
  try {
    const json doc = record_object(line);
    if (doc.is_null()) return true;
    std::vector<std::string> values;
    const PdnsRecord head = record_head(doc, values);
    for (auto& v : values) {
      PdnsRecord r = head;
      r.rdata = rdata_of(r.rrtype, std::move(v));
      out.push_back(std::move(r));
    }
    return true;
  } catch (const BadLine& bad) {
    out.clear();
    error = bad.why;
    return false;
  }
}

PdnsStats read_dnsdb(std::istream& in, const std::string& origin, const PdnsFilter& filter,
                     const std::function<void(const PdnsRecord&)>& on_record) {
  PdnsStats st;
  std::string line, error;
  std::vector<PdnsRecord> records;
  while (std::getline(in, line)) {
    ++st.lines;
    error.clear();
    if (!parse_dnsdb_line(line, records, error)) {
      ++st.malformed;
      if (st.errors.size() < PdnsStats::kMaxErrors)
        st.errors.push_back(origin + ":" + std::to_string(st.lines) + ": " + error);
      continue;
    }
    if (records.empty()) continue;
    ++st.records;
    const PdnsRecord& r = records.front();
    if (r.time_last < filter.from || r.time_first >= filter.to) {
      ++st.outside_window;
      continue;
    }
    bool type_ok = filter.rrtypes.empty() || std::find(filter.rrtypes.begin(), filter.rrtypes.end(),
                                                       r.rrtype) != filter.rrtypes.end();
    if (!type_ok || (filter.name && !filter.name(r.rrname))) {
      ++st.not_matching;
      continue;
    }
    for (const auto& rec : records) {
      ++st.kept;
      on_record(rec);
    }
  }
  return st;
}

db::NameRow catalogue_name_row(const config::Catalogue& cat, const std::string& name,
                               const std::string& source, int64_t seen) {
  db::NameRow row{name, "", "", source, seen};
  if (auto m = cat.match(name)) {
    row.provider = m->id;
    row.region = m->region;
  }
  return row;
}

PdnsImport import_pdns(std::istream& in, const std::string& origin, PdnsFilter filter,
                       const std::string& source, const config::Catalogue& cat, db::Store& store) {
  constexpr size_t kBatch = 10000;
  filter.name = [&](const std::string& n) { return cat.match(n).has_value(); };
  std::vector<db::PdnsRow> rows;
  std::map<std::string, int64_t> last_seen;
  PdnsImport out;
  out.stats = read_dnsdb(in, origin, filter, [&](const PdnsRecord& r) {
    rows.push_back({r.rrname, r.rrtype, r.rdata, r.time_first, r.time_last, source});
    auto& t = last_seen[r.rrname];
    t = std::max(t, r.time_last);
    if (rows.size() >= kBatch) {
      store.upsert_pdns(rows);
      rows.clear();
    }
  });
  store.upsert_pdns(rows);
  std::vector<db::NameRow> names;
  names.reserve(last_seen.size());
  for (const auto& [name, t] : last_seen) names.push_back(catalogue_name_row(cat, name, "pdns", t));
  store.upsert_names(names);
  out.names = names.size();
  return out;
}

}  // namespace iotmap::resolver
