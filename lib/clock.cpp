#include "lib/clock.h"

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

#include "lib/date.h"

namespace iotmap {
namespace {

int64_t real_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool whole_number(std::string_view s, int64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

// Reads `len` digits at `pos` of `s`.
bool digits(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (size_t i = pos; i < pos + len; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return true;
}

bool separator(std::string_view s, size_t pos, char c) { return pos < s.size() && s[pos] == c; }

// The date through lib/date.h, the one date parser; the time of day here.
std::optional<int64_t> parse_iso(std::string_view s) {
  if (!s.empty() && s.back() == 'Z') s.remove_suffix(1);
  const auto day = parse_date(s.substr(0, 10));
  if (!day) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  if (s.size() > 10) {
    const bool hm = (separator(s, 10, 'T') || separator(s, 10, ' ')) && digits(s, 11, 2, hour) &&
                    separator(s, 13, ':') && digits(s, 14, 2, minute);
    const bool tail_ok =
        s.size() == 16 || (s.size() == 19 && separator(s, 16, ':') && digits(s, 17, 2, second));
    if (!hm || !tail_ok) return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  return int64_t{*day} * 86400 + hour * 3600 + minute * 60 + second;
}

// Microseconds to add to the real clock: fixed at the first read, so that the set clock runs.
int64_t clock_offset_us() {
  static const int64_t offset = [] {
    auto start = clock_start_override();
    return start ? *start * 1'000'000 - real_now_us() : 0;
  }();
  return offset;
}

}  // namespace

std::optional<int64_t> parse_clock_time(std::string_view text) {
  int64_t seconds = 0;
  if (whole_number(text, seconds)) return seconds;
  return parse_iso(text);
}

std::optional<int64_t> clock_start_override() {
  const char* value = std::getenv(kClockVariable);
  if (value == nullptr || *value == '\0') return std::nullopt;
  auto t = parse_clock_time(value);
  if (!t)
    throw std::invalid_argument(std::string(kClockVariable) + "='" + value +
                                "' is neither Unix seconds nor a UTC time such as "
                                "2026-03-01T02:05:00Z");
  return t;
}

int64_t clock_now_us() { return real_now_us() + clock_offset_us(); }

int64_t clock_now() {
  const int64_t us = clock_now_us();
  return us >= 0 ? us / 1'000'000 : -((-us + 999'999) / 1'000'000);
}

std::string utc_time_text(int64_t unix_seconds) {
  time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &utc);
  return buf;
}

}  // namespace iotmap
