#include "backend_map/cloud_ases.h"

#include <algorithm>
#include <sstream>

#include "lib/text.h"

namespace iotmap::embedded {
extern const std::string_view default_cloud_ases;
}

namespace iotmap::backend_map {

namespace {

// One "asn,kind,operator" line; the message says what is wrong, or is empty.
CloudAs parse_line(std::string_view line, std::string& error) {
  CloudAs out;
  auto c1 = line.find(',');
  auto c2 = c1 == std::string_view::npos ? c1 : line.find(',', c1 + 1);
  if (c2 == std::string_view::npos) {
    error = "expected asn,kind,operator";
    return out;
  }
  auto asn = parse_origin_field(trim(line.substr(0, c1)));
  if (!asn || asn->asns.size() != 1 || asn->moas || asn->as_set) {
    error = "not an AS number: " + shown(trim(line.substr(0, c1)));
    return out;
  }
  out.asn = asn->asns[0];
  out.kind = std::string(trim(line.substr(c1 + 1, c2 - c1 - 1)));
  if (out.kind != "cloud" && out.kind != "cdn")
    error = "kind must be cloud or cdn: " + shown(out.kind);
  out.operator_ = std::string(trim(line.substr(c2 + 1)));
  return out;
}

}  // namespace

std::vector<CloudAs> read_cloud_ases(std::istream& in, const std::string& origin,
                                     std::vector<ParseIssue>& issues) {
  std::vector<CloudAs> out;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    std::string error;
    CloudAs as = parse_line(l, error);
    if (!error.empty()) {
      issues.push_back({origin + ":" + std::to_string(n), error});
      continue;
    }
    out.push_back(std::move(as));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const CloudAs& a, const CloudAs& b) { return a.asn < b.asn; });
  return out;
}

const std::vector<CloudAs>& embedded_cloud_ases() {
  static const std::vector<CloudAs> list = [] {
    std::istringstream in{std::string(embedded::default_cloud_ases)};
    std::vector<ParseIssue> issues;
    return read_cloud_ases(in, "<embedded cloud_ases.csv>", issues);
  }();
  return list;
}

bool is_cloud_as(const std::vector<CloudAs>& list, uint32_t asn) {
  auto it = std::lower_bound(list.begin(), list.end(), asn,
                             [](const CloudAs& a, uint32_t v) { return a.asn < v; });
  return it != list.end() && it->asn == asn;
}

}  // namespace iotmap::backend_map
