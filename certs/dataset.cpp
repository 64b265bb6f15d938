#include "certs/dataset.h"

#include <cctype>
#include <charconv>

#include "lib/date.h"

namespace iotmap::certs::dataset {
namespace {

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int number(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace

bool is_fingerprint(std::string_view text) {
  if (text.size() != 40 && text.size() != 64) return false;
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string lower_hex(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Parser parser(std::string_view format) {
  if (format == "zgrab2") return parse_zgrab2;
  if (format == "censys") return parse_censys;
  if (format == "sonar") return parse_sonar;
  return nullptr;
}

FileHints sonar_file_hints(std::string_view path) {
  FileHints h;
  if (auto slash = path.find_last_of('/'); slash != std::string_view::npos)
    path.remove_prefix(slash + 1);
  // "YYYYMMDD" or "YYYY-MM-DD-<unix>" first, as Rapid7 named them.
  if (path.size() >= 8 && digits(path.substr(0, 8))) {
    std::string d = std::string(path.substr(0, 4)) + "-" + std::string(path.substr(4, 2)) + "-" +
                    std::string(path.substr(6, 2));
    if (auto day = parse_date(d)) h.time = int64_t{*day} * 86400;
  } else if (path.size() >= 10) {
    if (auto day = parse_date(path.substr(0, 10))) h.time = int64_t{*day} * 86400;
  }
  // "ssl_<port>_" (the "more SSL" studies) or plain "ssl_" (the 443 study).
  if (auto at = path.find("ssl_"); at != std::string_view::npos) {
    std::string_view rest = path.substr(at + 4);
    size_t n = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    int port = n > 0 && n <= 5 ? number(rest.substr(0, n)) : 443;
    h.port = port > 0 && port <= 65535 ? port : 0;
  }
  return h;
}

}  // namespace iotmap::certs::dataset
