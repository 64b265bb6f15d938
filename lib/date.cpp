#include "lib/date.h"

#include <chrono>

namespace iotmap {
namespace {

// The decimal number in s[from, from + len), or -1 when s is shorter or any of it is not a digit.
int digits(std::string_view s, size_t from, size_t len) {
  if (from + len > s.size()) return -1;
  int v = 0;
  for (size_t i = from; i < from + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Up to 12 digits: Unix seconds until the year 33658, and no overflow to guard against.
std::optional<int64_t> unix_seconds(std::string_view s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "Z", "+hh:mm" or "-hhmm" to seconds east of UTC.
std::optional<int64_t> zone_offset(std::string_view z) {
  if (z == "Z" || z == "z") return 0;
  if ((z.size() != 6 && z.size() != 5) || (z[0] != '+' && z[0] != '-')) return std::nullopt;
  if (z.size() == 6 && z[3] != ':') return std::nullopt;
  const int h = digits(z, 1, 2), m = digits(z, z.size() - 2, 2);
  if (h < 0 || h > 23 || m < 0 || m > 59) return std::nullopt;
  const int64_t east = int64_t{h} * 3600 + int64_t{m} * 60;
  return z[0] == '-' ? -east : east;
}

// Seconds into the day of "HH:MM[:SS[.fraction]]" at the start of s; s keeps what follows.
std::optional<int64_t> time_of_day(std::string_view& s) {
  // m is read first: when it is a number, s holds the 5 characters that s[2] looks into.
  const int m = digits(s, 3, 2), h = digits(s, 0, 2);
  if (m < 0 || m > 59 || h < 0 || h > 23 || s[2] != ':') return std::nullopt;
  int sec = 0;
  s.remove_prefix(5);
  if (!s.empty() && s[0] == ':') {
    sec = digits(s, 1, 2);
    if (sec < 0 || sec > 60) return std::nullopt;
    s.remove_prefix(3);
    if (!s.empty() && s[0] == '.') {
      size_t end = 1;
      while (end < s.size() && s[end] >= '0' && s[end] <= '9') ++end;
      if (end == 1) return std::nullopt;
      s.remove_prefix(end);
    }
  }
  return int64_t{h} * 3600 + int64_t{m} * 60 + sec;
}

}  // namespace

std::optional<int32_t> civil_day(int year, unsigned month, unsigned day) {
  const std::chrono::year_month_day ymd{std::chrono::year{year}, std::chrono::month{month},
                                        std::chrono::day{day}};
  if (!ymd.ok()) return std::nullopt;
  return static_cast<int32_t>(std::chrono::sys_days{ymd}.time_since_epoch().count());
}

std::optional<int32_t> parse_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int y = digits(s, 0, 4), m = digits(s, 5, 2), d = digits(s, 8, 2);
  if (y < 0 || m < 0 || d < 0) return std::nullopt;
  return civil_day(y, unsigned(m), unsigned(d));
}

std::optional<int64_t> parse_hour(std::string_view s) {
  if (s.size() != 13 || s[10] != 'T') return std::nullopt;
  auto day = parse_date(s.substr(0, 10));
  const int h = digits(s, 11, 2);
  if (!day || h < 0 || h > 23) return std::nullopt;
  return int64_t{*day} * 86400 + int64_t{h} * 3600;
}

std::optional<int64_t> parse_time(std::string_view s, Zone zone) {
  if (auto seconds = unix_seconds(s)) return seconds;
  const auto day = parse_date(s.substr(0, 10));
  if (!day) return std::nullopt;
  const int64_t midnight = int64_t{*day} * 86400;
  s.remove_prefix(10);
  if (s.empty()) return zone == Zone::utc_if_absent ? std::optional(midnight) : std::nullopt;
  if (s[0] != 'T' && s[0] != 't' && s[0] != ' ') return std::nullopt;
  s.remove_prefix(1);
  const auto clock = time_of_day(s);
  if (!clock) return std::nullopt;
  if (s.empty())
    return zone == Zone::utc_if_absent ? std::optional(midnight + *clock) : std::nullopt;
  const auto east = zone_offset(s);
  if (!east) return std::nullopt;
  return midnight + *clock - *east;
}

}  // namespace iotmap
