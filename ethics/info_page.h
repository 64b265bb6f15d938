// The web page that the prober's reverse-DNS name serves (docs/method.md section 7): what is
// measured, by whom, how to opt out, and which research the measurement follows. Pure: it
// turns plain values into one self-contained HTML document (no scripts, no external assets),
// so that `iotmap info-page --write` can hand it to an existing web server and `--serve` can
// answer with it.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace iotmap::ethics {

struct InfoPageInput {
  std::string contact;          // e-mail address or URL (ethics.contact); required
  std::string operator_name;    // who runs the measurement ("" : only the contact is named)
  std::string prober;           // prober host name or addresses ("" : not shown)
  std::vector<uint16_t> ports;  // TCP ports probed, any order, duplicates allowed
  double rate = 0;              // new connections per second, all targets together (0: not shown)
  // Connections per address and TLS port in one scan: one without a server name (when
  // `without_sni`) and one per name up to `max_names` (scan.max_names_per_address, 0 when
  // scan.probe_with_names is off).
  bool without_sni = true;
  int max_names = 4;
  // Not empty: addresses from IPv6 hitlists ([sources] ipv6_hitlists) are scanned on these
  // ports, and the page says that such lists hold equipment in homes too.
  std::vector<uint16_t> hitlist_ports;
  std::string generated;  // "YYYY-MM-DD" shown at the bottom ("" : not shown)
};

struct InfoPageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// The page as HTML (UTF-8). Throws InfoPageError when the contact is empty: a page that does
// not say whom to ask is no opt-out promise.
std::string info_page_html(const InfoPageInput& in);

// "mailto:x@y" for an e-mail address, the URL itself for http(s)://..., "" otherwise.
std::string contact_href(std::string_view contact);

}  // namespace iotmap::ethics
