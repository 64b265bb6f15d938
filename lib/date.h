// Calendar dates and times (UTC) read from text in one place, so that every command and every
// file reader accepts the same dates and refuses the same ones: "2026-02-31" is no date (not
// March 3), "2026-13-01" neither, and "25:00" is no time.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace iotmap {

// Days since 1970-01-01 of a day of the proleptic Gregorian calendar, when that day exists.
std::optional<int32_t> civil_day(int year, unsigned month, unsigned day);

// Days since 1970-01-01 of "YYYY-MM-DD" when that day exists; nullopt for anything else.
std::optional<int32_t> parse_date(std::string_view yyyy_mm_dd);

// Unix seconds at the start of "YYYY-MM-DDTHH" (UTC) when that hour exists; nullopt otherwise.
std::optional<int64_t> parse_hour(std::string_view yyyy_mm_dd_thh);

// What a time without "Z" or an offset means: data files say where their times are, so there
// such a time is refused (the local time of an unknown place); on the command line and in
// IOTMAP_NOW it is UTC, as everything iotmap prints.
enum class Zone { required, utc_if_absent };

// Unix seconds of a time as datasets, flow exporters and users write it: Unix seconds (up to 12
// digits) or "YYYY-MM-DD", then optionally 'T', 't' or ' ' and "HH:MM", ":SS" (60 for a leap
// second), ".fraction" (dropped), and "Z" or an offset "+hh:mm" / "-hhmm" (RFC 3339 and the forms
// of ISO 8601 that people type). A bare date is midnight and counts as without a zone. nullopt
// for anything else, including days and times that do not exist.
std::optional<int64_t> parse_time(std::string_view text, Zone zone);

}  // namespace iotmap
