#include "resolver/rows.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "resolver/wire.h"

namespace iotmap::resolver {

int64_t hour_start(int64_t unix_seconds) {
  int64_t h = unix_seconds / 3600 * 3600;
  return h > unix_seconds ? h - 3600 : h;  // negative times round down too
}

std::string hour_label(int64_t hour) {
  time_t t = static_cast<time_t>(hour);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour);
  return buf;
}

std::optional<int64_t> parse_hour(std::string_view label) {
  int y, mo, d, h;
  char tail;
  std::string s(label);
  if (s.size() != 13 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d%c", &y, &mo, &d, &h, &tail) != 4)
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23) return std::nullopt;
  tm utc{};
  utc.tm_year = y - 1900;
  utc.tm_mon = mo - 1;
  utc.tm_mday = d;
  utc.tm_hour = h;
  int64_t t = timegm(&utc);
  if (hour_label(t) != s) return std::nullopt;  // 2026-02-30 and the like
  return t;
}

std::string status_label(const Result& r) {
  switch (r.status) {
    case Status::kAnswer: return "NOERROR";
    case Status::kNodata: return "NODATA";
    case Status::kNxdomain: return "NXDOMAIN";
    case Status::kServfail: return "SERVFAIL";
    case Status::kRefused: return "REFUSED";
    case Status::kOtherRcode: return rcode_name(r.rcode);
    case Status::kTimeout: return "TIMEOUT";
    case Status::kMalformed: return "MALFORMED";
    case Status::kNetworkError: return "NETWORK_ERROR";
    case Status::kCnameLoop: return "CNAME_LOOP";
    case Status::kCnameTooLong: return "CNAME_TOO_LONG";
    case Status::kInvalidName: return "INVALID_NAME";
    case Status::kNoResolver: return "NO_RESOLVER";
  }
  return "UNKNOWN";
}

db::ResolutionRow to_row(const Result& r, int64_t hour, std::optional<int64_t> run_id) {
  db::ResolutionRow row;
  row.hour = hour;
  row.name = r.name;
  row.qtype = type_name(r.qtype);
  row.vantage = r.vantage;
  row.status = status_label(r);
  if (r.rcode >= 0) row.rcode = r.rcode;
  row.cname_chain.reserve(r.chain.size());
  std::optional<int64_t> min_ttl;
  auto lower = [&](int64_t ttl) { min_ttl = min_ttl ? std::min(*min_ttl, ttl) : ttl; };
  for (const auto& link : r.chain) {
    row.cname_chain.push_back(link.target);
    lower(link.ttl);
  }
  row.answers.reserve(r.answers.size());
  for (const auto& a : r.answers) {
    row.answers.push_back({a.address.str(), a.ttl});
    lower(a.ttl);
  }
  if (!r.answers.empty()) row.min_ttl = min_ttl;
  row.resolver = r.resolver;
  if (r.rcode >= 0) row.rtt_ms = r.rtt_ms;
  row.resolved_at = r.time_us / 1'000'000;
  row.run_id = run_id;
  return row;
}

}  // namespace iotmap::resolver
