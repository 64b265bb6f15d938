#include "lib/clock.h"

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

// Microseconds to add to the real clock: fixed at the first read, so that the set clock runs.
int64_t clock_offset_us() {
  static const int64_t offset = [] {
    auto start = clock_start_override();
    return start ? *start * 1'000'000 - real_now_us() : 0;
  }();
  return offset;
}

}  // namespace

std::optional<int64_t> clock_start_override() {
  const char* value = std::getenv(kClockVariable);
  if (value == nullptr || *value == '\0') return std::nullopt;
  auto t = parse_time(value, Zone::utc_if_absent);
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
