// The set of addresses iotmap must never probe: the operator's blocklist file, the opt-out
// list, and by default the IANA special-purpose ranges. Lookups are a binary search over
// merged intervals, cheap enough to run before every single connection.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net.h"

namespace iotmap::ethics {

class Blocklist {
 public:
  // Adds a prefix; `origin` ("file:line" or "IANA special-purpose") is kept for explanations.
  void add(const Prefix& p, std::string origin);
  // Reads a file of CIDRs, one per line, '#' starts a comment. A malformed line is an error
  // (std::runtime_error naming file:line): a blocklist that is half read must not be used.
  void add_file(const std::string& path);
  // Parses text as add_file does; `origin` names it in errors.
  void add_text(std::string_view text, const std::string& origin);
  void add_special_purpose();

  bool contains(const IpAddress& ip) const;
  // Where the entry covering `ip` came from, or "" when not blocked.
  std::string why(const IpAddress& ip) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Interval {
    IpAddress lo, hi;
    size_t entry;  // index into entries_ of one prefix covering it
  };
  struct Entry {
    Prefix prefix;
    std::string origin;
  };
  void add_entry(const Prefix& p, std::string origin) {
    entries_.push_back({p, std::move(origin)});
  }
  // Rebuilt after every public add, so that lookups are const and safe from many threads.
  void rebuild();
  const Interval* find(const IpAddress& ip) const;

  std::vector<Entry> entries_;
  std::vector<Interval> merged_;  // sorted, non-overlapping
};

// One line of a blocklist or opt-out file: "CIDR  # comment". Returns nullopt for a blank or
// comment-only line; throws std::runtime_error naming `where` ("file:line") for a bad prefix.
// Both lists are read by this one function so that they accept exactly the same text.
struct ListLine {
  Prefix prefix;
  std::string comment;
};
std::optional<ListLine> parse_list_line(std::string line, const std::string& where);

// IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and updates).
const std::vector<std::string_view>& special_purpose_prefixes();

}  // namespace iotmap::ethics
