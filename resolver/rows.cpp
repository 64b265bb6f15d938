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

std::string status_label(const Result& r) {
  switch (r.status) {
    case Status::kAnswer:
      return "NOERROR";
    case Status::kNodata:
      return "NODATA";
    case Status::kNxdomain:
      return "NXDOMAIN";
    case Status::kServfail:
      return "SERVFAIL";
    case Status::kRefused:
      return "REFUSED";
    case Status::kOtherRcode:
      return rcode_name(r.rcode);
    case Status::kTimeout:
      return "TIMEOUT";
    case Status::kMalformed:
      return "MALFORMED";
    case Status::kNetworkError:
      return "NETWORK_ERROR";
    case Status::kCnameLoop:
      return "CNAME_LOOP";
    case Status::kCnameTooLong:
      return "CNAME_TOO_LONG";
    case Status::kInvalidName:
      return "INVALID_NAME";
    case Status::kNoResolver:
      return "NO_RESOLVER";
  }
  return "UNKNOWN";
}

void fill_row(const Result& r, int64_t hour, std::optional<int64_t> run_id,
              db::ResolutionRow& row) {
  // Assignments rather than a fresh row: a reused row keeps its strings' buffers.
  auto store_form = [](std::string& out, const std::string& name) {
    out.assign(name);
    out.push_back('.');
  };
  row.hour = hour;
  store_form(row.name, r.name);
  row.name_id = 0;  // the engine knows names, not the store's ids: the caller may set it
  row.qtype = type_name(r.qtype);
  row.vantage = r.vantage;
  row.status = status_label(r);
  row.rcode = r.rcode >= 0 ? std::optional<int>(r.rcode) : std::nullopt;
  row.cname_chain.resize(r.chain.size());
  row.cname_ttls.resize(r.chain.size());
  std::optional<int64_t> min_ttl;
  auto lower = [&](int64_t ttl) { min_ttl = min_ttl ? std::min(*min_ttl, ttl) : ttl; };
  for (size_t i = 0; i < r.chain.size(); ++i) {
    store_form(row.cname_chain[i], r.chain[i].target);
    row.cname_ttls[i] = r.chain[i].ttl;
    lower(r.chain[i].ttl);
  }
  row.answers.resize(r.answers.size());
  for (size_t i = 0; i < r.answers.size(); ++i) {
    row.answers[i].ip = r.answers[i].address.str();
    row.answers[i].ttl = r.answers[i].ttl;
    lower(r.answers[i].ttl);
  }
  row.min_ttl = r.answers.empty() ? std::nullopt : min_ttl;
  row.resolver = r.resolver;
  row.rtt_ms = r.rcode >= 0 ? std::optional<double>(r.rtt_ms) : std::nullopt;
  row.resolved_at = r.time_us / 1'000'000;
  row.run_id = run_id;
  if (r.ecs)
    row.ecs = r.ecs->str();
  else
    row.ecs.clear();
  row.ecs_scope = r.ecs && r.ecs_scope >= 0 ? std::optional<int>(r.ecs_scope) : std::nullopt;
  row.detail = r.detail;
}

db::ResolutionRow to_row(const Result& r, int64_t hour, std::optional<int64_t> run_id) {
  db::ResolutionRow row;
  fill_row(r, hour, run_id, row);
  return row;
}

}  // namespace iotmap::resolver
