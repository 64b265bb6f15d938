// Calendar dates and hours (UTC) read from text in one place, so that every command and every
// file reader accepts the same dates and refuses the same ones: "2026-02-31" is no date (not
// March 3), "2026-13-01" neither.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace iotmap {

// Days since 1970-01-01 of "YYYY-MM-DD" when that day exists; nullopt for anything else.
std::optional<int32_t> parse_date(std::string_view yyyy_mm_dd);

// Unix seconds at the start of "YYYY-MM-DDTHH" (UTC) when that hour exists; nullopt otherwise.
std::optional<int64_t> parse_hour(std::string_view yyyy_mm_dd_thh);

}  // namespace iotmap
