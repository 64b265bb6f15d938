#include "fetch/retry.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "lib/date.h"

namespace iotmap::fetch {

Decision decide(const AttemptOutcome& o, int attempt, const RetryPolicy& p, double jitter) {
  using K = AttemptOutcome::Kind;
  Decision d;
  bool retryable = false;
  if (o.kind == K::transient) {
    // A POST may have been processed before the connection broke: never send it twice.
    retryable = o.idempotent;
  } else if (o.kind == K::http_error) {
    long s = o.status;
    // 429, and 503 with Retry-After: refused, so not processed, whatever the method.
    bool refused = s == 429 || (s == 503 && o.retry_after_s);
    bool server_trouble = s == 408 || s == 425 || s == 500 || s == 502 || s == 503 || s == 504;
    retryable = refused || (o.idempotent && server_trouble);
  }
  if (!retryable) return d;
  if (attempt >= p.retries) {
    d.give_up = "gave up after " + std::to_string(attempt + 1) + " attempts";
    return d;
  }
  if (o.kind == K::http_error && o.retry_after_s) {
    if (*o.retry_after_s > p.retry_after_max_s) {
      d.give_up = "the server asks to wait " + std::to_string(*o.retry_after_s) +
                  " s, more than retry_after_max_s (" + std::to_string(p.retry_after_max_s) + ")";
      return d;
    }
    d.retry = true;
    d.delay_ms = *o.retry_after_s * 1000;
    d.why = "Retry-After " + std::to_string(*o.retry_after_s) + " s";
    return d;
  }
  double base = static_cast<double>(p.backoff_ms) * std::pow(2.0, std::min(attempt, 30));
  base = std::min(base, static_cast<double>(p.backoff_max_ms));
  d.retry = true;
  d.delay_ms = static_cast<int64_t>(base * (0.5 + 0.5 * std::clamp(jitter, 0.0, 1.0)));
  d.why = "back-off";
  return d;
}
namespace {

int month_index(std::string_view m) {
  static const char* names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                "jul", "aug", "sep", "oct", "nov", "dec"};
  if (m.size() != 3) return -1;
  for (int i = 0; i < 12; ++i) {
    bool eq = true;
    for (int k = 0; k < 3; ++k)
      eq = eq && std::tolower(static_cast<unsigned char>(m[k])) == names[i][k];
    if (eq) return i;
  }
  return -1;
}

}  // namespace

std::optional<int64_t> parse_http_date(std::string_view v) {
  // Tokenise on spaces, commas, dashes and colons; the three formats then differ only in order.
  std::string s(v);
  for (char& c : s)
    if (c == ',' || c == '-' || c == ':') c = ' ';
  char wd[16], mon[16], zone[16];
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  if (std::sscanf(s.c_str(), "%15s %d %15s %d %d %d %d %15s", wd, &day, mon, &year, &hh, &mm, &ss,
                  zone) == 8) {
    // IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT"
    if (std::strcmp(zone, "GMT") != 0) return std::nullopt;
    if (year < 100) year += year < 70 ? 2000 : 1900;
  } else if (std::sscanf(s.c_str(), "%15s %15s %d %d %d %d %d", wd, mon, &day, &hh, &mm, &ss,
                         &year) == 7) {
    // asctime "Sun Nov  6 08:49:37 1994"
  } else {
    return std::nullopt;
  }
  const int m = month_index(mon);
  const auto days =
      m < 0 || day < 1 ? std::nullopt : civil_day(year, unsigned(m + 1), unsigned(day));
  if (!days || hh > 23 || mm > 59 || ss > 60 || year < 1970) return std::nullopt;
  return int64_t{*days} * 86400 + hh * 3600 + mm * 60 + ss;
}

std::optional<int64_t> parse_retry_after(std::string_view value, int64_t now) {
  auto b = value.find_first_not_of(" \t");
  if (b == std::string_view::npos) return std::nullopt;
  value = value.substr(b, value.find_last_not_of(" \t\r\n") - b + 1);
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return int64_t{999999999};
    return std::stoll(std::string(value));
  }
  auto t = parse_http_date(value);
  if (!t) return std::nullopt;
  return std::max<int64_t>(0, *t - now);
}

}  // namespace iotmap::fetch
