// Small text helpers with no knowledge of IoT, shared so that every reader trims and every
// HTML writer escapes the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace iotmap {

// `s` without the leading and trailing characters listed in `blanks`. Readers of formats where
// '\r' or '\n' is data pass a narrower set.
std::string_view trim(std::string_view s, std::string_view blanks = " \t\r\n");

// The pieces of `s` between the `sep` characters, empty ones kept ("a,,b" -> a, "", b; "" -> "").
std::vector<std::string_view> split(std::string_view s, char sep);

// & < > " ' as entities, so that the result is safe both as element text and inside a quoted
// attribute value (single or double quotes).
std::string html_escape(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past
// U+10FFFF).
bool is_utf8(std::string_view text);
// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD, so that a
// stray Latin-1 byte in a data file cannot stop a JSON writer.
std::string utf8_replaced(std::string_view text);

// Untrusted text (a line of input, a downloaded body, a name from a database) as it may appear
// in a message on a terminal or in cron mail: control characters, terminal escapes (C0 and C1)
// and bytes that are not UTF-8 written as \n, \r, \t, \xNN; cut after `max_bytes` bytes of
// the input, with "... (N more bytes)" saying how much was left out.
std::string shown(std::string_view text, size_t max_bytes = 120);

// One CSV cell (RFC 4180 quoting). A cell that starts with = + - @, tab or CR gets a leading
// apostrophe so that a spreadsheet shows it as text instead of running it as a formula.
std::string csv_cell(std::string_view text);

// Text from data sources (AS and organisation names) as Markdown text: the characters that
// Markdown or HTML would read as markup are backslash-escaped or written as entities, and line
// breaks become spaces, so that a name stays one table cell and never becomes a tag or a link.
std::string markdown_escape(std::string_view text);

}  // namespace iotmap
