// HTTP/1.1 (RFC 9112): HEAD / with Connection: close; the answer's status line and Server
// header are all the scanner keeps. Only the header block is read, never a body.
#include <algorithm>
#include <cctype>

#include "scanner/probe.h"

namespace iotmap::scanner::http {
namespace {

constexpr size_t kMaxHeader = 16 * 1024;

Feed fail(AppResult& out, std::string why) {
  out.confirmed = false;
  out.error = std::move(why);
  return Feed::kError;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string head_request(std::string_view host, std::string_view user_agent) {
  std::string r = "HEAD / HTTP/1.1\r\nHost: ";
  r += host;
  r += "\r\nUser-Agent: ";
  r += user_agent;
  r += "\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  return r;
}

Feed parse_response(std::string_view received, AppResult& out) {
  out.protocol = AppProtocol::kHttp;
  constexpr std::string_view kPrefix = "HTTP/";
  auto n = std::min(received.size(), kPrefix.size());
  if (received.substr(0, n) != kPrefix.substr(0, n))
    return fail(out, "not an HTTP response: " + printable(received.substr(0, 16)));
  // The header block ends with the first empty line; tolerate bare LF line ends.
  size_t end = std::min(received.find("\r\n\r\n"), received.find("\n\n"));
  if (end == std::string_view::npos) {
    if (received.size() > kMaxHeader) return fail(out, "HTTP header block longer than 16 KiB");
    return Feed::kNeedMore;
  }
  if (end > kMaxHeader) return fail(out, "HTTP header block longer than 16 KiB");
  std::string_view block = received.substr(0, end);
  auto eol = block.find('\n');
  std::string_view status_line = trim(block.substr(0, eol));
  // "HTTP/1.1 200 OK": version, space, three digits, then an optional reason.
  auto space = status_line.find(' ');
  if (space == std::string_view::npos || status_line.size() < space + 4)
    return fail(out, "malformed HTTP status line: " + printable(status_line));
  auto code = status_line.substr(space + 1, 3);
  for (char c : code)
    if (c < '0' || c > '9') return fail(out, "malformed HTTP status code: " + printable(code));
  if (status_line.size() > space + 4 && status_line[space + 4] != ' ')
    return fail(out, "malformed HTTP status line: " + printable(status_line));
  out.http_version = printable(status_line.substr(0, space), 16);
  out.http_status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  std::string_view rest =
      eol == std::string_view::npos ? std::string_view() : block.substr(eol + 1);
  while (!rest.empty()) {
    auto line_end = rest.find('\n');
    std::string_view line = rest.substr(0, line_end);
    rest = line_end == std::string_view::npos ? std::string_view() : rest.substr(line_end + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    if (iequals(trim(line.substr(0, colon)), "server")) {
      out.http_server = printable(trim(line.substr(colon + 1)), 256);
      break;
    }
  }
  out.confirmed = true;
  out.error.clear();
  return Feed::kDone;
}

}  // namespace iotmap::scanner::http
