#include "lib/dns_name.h"

#include <array>
#include <cstdint>

namespace iotmap {
namespace {

constexpr size_t kMaxName = 253, kMaxLabel = 63;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

constexpr bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_';
}

// Printable, and not what zone text must escape.
constexpr bool is_data_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u > 0x20 && u < 0x7f && c != '"' && c != '(' && c != ')' && c != ';' && c != '@' &&
         c != '$' && c != '\\';
}

// The two character sets as bits of one table: bulk data sets normalise every owner name, so
// a label character costs a lookup instead of a chain of comparisons.
constexpr uint8_t kHostBit = 1, kDataBit = 2;
constexpr std::array<uint8_t, 256> kCharSets = [] {
  std::array<uint8_t, 256> t{};
  for (size_t u = 0; u < t.size(); ++u) {
    const auto c = static_cast<char>(u);
    if (c != '.')  // the label separator is no label character in either set
      t[u] = static_cast<uint8_t>((host_char(c) ? kHostBit : 0) | (is_data_char(c) ? kDataBit : 0));
  }
  return t;
}();

uint8_t char_bits(DnsNameChars chars) {
  return chars == DnsNameChars::data ? kHostBit | kDataBit : kHostBit;
}

// A character in a message: 'c' when printable, else \xNN.
std::string show_char(char c) {
  if (c > 0x20 && c < 0x7f) return std::string("'") + c + "'";
  static const char* hex = "0123456789abcdef";
  auto u = static_cast<unsigned char>(c);
  return std::string("\\x") + hex[u >> 4] + hex[u & 15];
}

// Length of the escape at name[i] ('\\'): "\DDD" (at most 255) or "\X" with X printable; 0
// when it is none.
size_t escape_length(std::string_view name, size_t i) {
  if (i + 3 < name.size() && is_digit(name[i + 1]) && is_digit(name[i + 2]) &&
      is_digit(name[i + 3]))
    return (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0') <= 255 ? 4
                                                                                             : 0;
  if (i + 1 < name.size() && !is_digit(name[i + 1])) {
    const auto u = static_cast<unsigned char>(name[i + 1]);
    return u > 0x20 && u < 0x7f ? 2 : 0;
  }
  return 0;
}

// The reason `name` (one trailing dot already taken off) is no name, or "" when it is one.
std::string problem(std::string_view name, DnsNameChars chars) {
  if (name.empty()) return "empty name";
  if (name == "-") return "\"-\" is a placeholder, not a name";
  if (name == "*") return "a wildcard alone is not a name";
  // The whole length first: a name too long says so, whatever else is wrong with it.
  size_t total = name.size();
  const bool escapes = chars == DnsNameChars::data && name.find('\\') != std::string_view::npos;
  for (size_t i = 0; escapes && i < name.size(); ++i) {
    const size_t n = name[i] == '\\' ? escape_length(name, i) : 0;
    if (n > 0) {
      total -= n - 1;
      i += n - 1;
    }
  }
  if (total > kMaxName) return "longer than 253 characters";
  const uint8_t allowed = char_bits(chars);
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if ((kCharSets[static_cast<unsigned char>(c)] & allowed) != 0) {  // the common case first
      if (++label > kMaxLabel) return "label longer than 63 characters";
      continue;
    }
    if (c == '.') {
      if (label == 0) return "empty label";
      label = 0;
      continue;
    }
    // A host name's wildcard is the whole first label ("*.example.com"), as in certificates.
    const bool wildcard = c == '*' && i == 0 && name[1] == '.';
    if (c == '\\' && chars == DnsNameChars::data) {
      const size_t n = escape_length(name, i);
      if (n == 0) return "bad escape at " + show_char(c);
      i += n - 1;
    } else if (!wildcard) {
      return "bad character " + show_char(c);
    }
    if (++label > kMaxLabel) return "label longer than 63 characters";
  }
  if (label == 0) return "empty label";
  return {};
}

// Whether `text` ends in the root's dot, not in an escaped dot ("a\\."): an odd number of
// backslashes before the last dot escapes it.
bool ends_in_root_dot(std::string_view text) {
  if (text.empty() || text.back() != '.') return false;
  size_t slashes = 0;
  for (size_t i = text.size() - 1; i > 0 && text[i - 1] == '\\'; --i) ++slashes;
  return slashes % 2 == 0;
}

}  // namespace

bool is_host_label_char(char c) { return host_char(c); }

bool normalise_dns_name_into(std::string_view text, std::string& out, std::string* why,
                             DnsNameChars chars, RootDot dot) {
  if (ends_in_root_dot(text)) text.remove_suffix(1);
  if (std::string p = problem(text, chars); !p.empty()) {
    if (why != nullptr) *why = std::move(p);
    return false;
  }
  out.reserve(text.size() + 1);
  out.assign(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (dot == RootDot::with) out += '.';
  return true;
}

std::optional<std::string> normalise_dns_name(std::string_view text, std::string* why,
                                              DnsNameChars chars, RootDot dot) {
  std::string out;
  if (!normalise_dns_name_into(text, out, why, chars, dot)) return std::nullopt;
  return out;
}

bool is_normal_dns_name(std::string_view text, DnsNameChars chars, RootDot dot) {
  const bool has_dot = ends_in_root_dot(text);
  if (has_dot != (dot == RootDot::with)) return false;
  if (has_dot) text.remove_suffix(1);
  for (char c : text)
    if (c >= 'A' && c <= 'Z') return false;
  return problem(text, chars).empty();
}

}  // namespace iotmap
