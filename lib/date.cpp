#include "lib/date.h"

#include <chrono>

namespace iotmap {
namespace {

// The decimal number in s[from, from + len), or -1 when any of it is not a digit.
int digits(std::string_view s, size_t from, size_t len) {
  int v = 0;
  for (size_t i = from; i < from + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::optional<int32_t> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || m < 0 || d < 0) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

std::optional<int64_t> parse_hour(std::string_view s) {
  if (s.size() != 13 || s[10] != 'T') return std::nullopt;
  auto day = parse_date(s.substr(0, 10));
  const int h = digits(s, 11, 2);
  if (!day || h < 0 || h > 23) return std::nullopt;
  return int64_t{*day} * 86400 + int64_t{h} * 3600;
}

}  // namespace iotmap
