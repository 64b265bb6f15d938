// DNS names in one spelling: ASCII lower case, with the root's trailing dot
// ("mqtt.googleapis.com."), within RFC 1035's lengths. Every name read from outside (the
// catalogue, the command line, passive DNS, bulk data, DNS replies, scan targets, the store)
// goes through normalise_dns_name; the places whose spelling has no root dot (DNS queries and
// replies, SNI, the backend map) ask for RootDot::without.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace iotmap {

// Which characters a label may hold. Two sets on purpose: a host name is what a catalogue
// pattern, a certificate match or SNI can name, while DNS data holds owner names that are no
// host names and still point at an address (dropping them would lose evidence of what else the
// address serves).
enum class DnsNameChars {
  // Letters, digits, '-' and '_' ("_dmarc", SRV-style labels); '*' only as the whole first label
  // (a certificate or passive-DNS wildcard).
  host,
  // RFC 1035 presentation format: also any other printable ASCII but space and the characters
  // zone text must escape (" ( ) ; @ $), and escapes "\DDD" (a byte in decimal) and "\X" (X
  // itself), as DNS replies are shown (resolver/wire.h). An escape counts as one character.
  data,
};

enum class RootDot { with, without };

// `text` lower-cased (ASCII only; no locale) with the root's dot or without it. `text` may end
// in one dot. nullopt, with the reason in *why, for an empty name ("" or "." alone), the
// placeholder "-" that tools and CSV files write for "no name", an empty label ("a..b",
// "a.b.."), a label over 63 characters, a name over 253 (without the root dot), or a character
// `chars` does not allow (the message shows it escaped).
std::optional<std::string> normalise_dns_name(std::string_view text, std::string* why = nullptr,
                                              DnsNameChars chars = DnsNameChars::host,
                                              RootDot dot = RootDot::with);

// The same into `out`, whose storage is reused (no allocation once it is large enough, for
// callers that normalise a name per record); false, `out` unspecified, for no name.
bool normalise_dns_name_into(std::string_view text, std::string& out, std::string* why = nullptr,
                             DnsNameChars chars = DnsNameChars::host, RootDot dot = RootDot::with);

// Whether normalise_dns_name(text, chars, dot) would return `text` unchanged: the check that
// spares a copy for names that are already in shape.
bool is_normal_dns_name(std::string_view text, DnsNameChars chars = DnsNameChars::host,
                        RootDot dot = RootDot::with);

// Whether `c` may appear in a host name's label, in either case ('*' is no label character).
bool is_host_label_char(char c);

}  // namespace iotmap
