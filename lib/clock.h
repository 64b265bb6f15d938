// The clock that decides hours, days and the times runs record. Every command reads it here, so
// that a test can run the jobs at a time of its choosing: IOTMAP_NOW, a testing aid, sets the
// clock's start (docs/DEVELOPING.md). Network timeouts and rates keep the real monotonic clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotmap {

// The environment variable that sets the clock (a testing aid, never for production).
inline constexpr const char* kClockVariable = "IOTMAP_NOW";

// IOTMAP_NOW as Unix seconds, nullopt when unset or empty. Throws std::invalid_argument naming
// the variable and its value when it cannot be read.
std::optional<int64_t> clock_start_override();

// Now, UTC. With IOTMAP_NOW the clock starts at that time when the process first reads it and
// runs at the real rate from there (durations stay true); without, it is the real clock.
int64_t clock_now();
int64_t clock_now_us();

// "2026-11-22 05:00:12 UTC"
std::string utc_time_text(int64_t unix_seconds);

}  // namespace iotmap
