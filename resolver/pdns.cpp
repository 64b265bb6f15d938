#include "resolver/pdns.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "resolver/wire.h"

namespace iotmap::resolver {
namespace {

using nlohmann::json;

bool read_time(const json& obj, const char* key, const char* zone_key, int64_t& out) {
  for (const char* k : {key, zone_key}) {
    auto it = obj.find(k);
    if (it == obj.end()) continue;
    if (it->is_number_integer() || it->is_number_unsigned()) {
      out = it->get<int64_t>();
      return true;
    }
    return false;
  }
  return false;
}

// DNSDB times are Unix seconds of this century's data: a time before 1970 or from 2100 on is a
// broken or hostile record, and storing it would put the record in windows it was never in.
constexpr int64_t kTimeEnd = 4102444800;  // 2100-01-01T00:00:00Z

}  // namespace

bool parse_dnsdb_line(std::string_view line, std::vector<PdnsRecord>& out, std::string& error) {
  out.clear();
  auto first = line.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return true;
  json doc = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    error = "not valid JSON";
    return false;
  }
  if (!doc.is_object()) {
    error = "not a JSON object";
    return false;
  }
  if (auto obj = doc.find("obj"); obj != doc.end()) {
    if (!obj->is_object()) {
      error = "\"obj\" is not an object";
      return false;
    }
    json inner = *obj;
    doc = std::move(inner);
  } else if (doc.contains("cond") && !doc.contains("rrname")) {
    return true;  // SAF stream control: begin, ongoing, succeeded, limited, failed
  }
  auto rrname = doc.find("rrname");
  auto rrtype = doc.find("rrtype");
  auto rdata = doc.find("rdata");
  if (rrname == doc.end() || !rrname->is_string()) {
    error = "missing or non-string \"rrname\"";
    return false;
  }
  if (rrtype == doc.end() || !rrtype->is_string()) {
    error = "missing or non-string \"rrtype\"";
    return false;
  }
  if (rdata == doc.end() || !(rdata->is_string() || rdata->is_array())) {
    error = "missing \"rdata\" (a string or an array of strings)";
    return false;
  }
  PdnsRecord base;
  auto name = dns_data_name(rrname->get<std::string>());
  if (!name) {
    error = "\"rrname\" is not a domain name";
    return false;
  }
  base.rrname = *name;
  base.rrtype = rrtype->get<std::string>();
  std::transform(base.rrtype.begin(), base.rrtype.end(), base.rrtype.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!read_time(doc, "time_first", "zone_time_first", base.time_first) ||
      !read_time(doc, "time_last", "zone_time_last", base.time_last)) {
    error = "missing or non-integer time_first/time_last";
    return false;
  }
  for (auto [key, t] : {std::pair{"time_first", base.time_first}, {"time_last", base.time_last}}) {
    if (t < 0 || t >= kTimeEnd) {
      error = std::string(key) + " " + std::to_string(t) +
              " is not a time from 1970 to 2099 (Unix seconds)";
      return false;
    }
  }
  if (base.time_first > base.time_last) {
    error = "time_first is after time_last";
    return false;
  }
  std::vector<std::string> values;
  if (rdata->is_string()) {
    values.push_back(rdata->get<std::string>());
  } else {
    for (const auto& v : *rdata) {
      if (!v.is_string()) {
        error = "\"rdata\" holds a value that is not a string";
        return false;
      }
      values.push_back(v.get<std::string>());
    }
  }
  for (auto& v : values) {
    PdnsRecord r = base;
    if (r.rrtype == "CNAME") {
      auto target = dns_data_name(v);
      if (!target) {
        error = "CNAME rdata \"" + v + "\" is not a domain name";
        return false;
      }
      r.rdata = *target;
    } else if (r.rrtype == "A" || r.rrtype == "AAAA") {
      auto ip = IpAddress::parse(v);
      if (!ip || ip->v6 != (r.rrtype == "AAAA")) {
        error = r.rrtype + " rdata \"" + v + "\" is not an address of that family";
        return false;
      }
      r.rdata = ip->str();
    } else {
      r.rdata = std::move(v);
    }
    out.push_back(std::move(r));
  }
  return true;
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
