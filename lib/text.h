// Small text helpers with no knowledge of IoT, shared so that every reader trims and every
// HTML writer escapes the same way.
#pragma once

#include <string>
#include <string_view>

namespace iotmap {

// `s` without the leading and trailing characters listed in `blanks`. Readers of formats where
// '\r' or '\n' is data pass a narrower set.
std::string_view trim(std::string_view s, std::string_view blanks = " \t\r\n");

// & < > " ' as entities, so that the result is safe both as element text and inside a quoted
// attribute value (single or double quotes).
std::string html_escape(std::string_view text);

}  // namespace iotmap
