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
  // (std::runtime_error naming file:line): a blocklist that is half read must not be used; so
  // is a path that list_file_problem rejects.
  void add_file(const std::string& path);
  // Parses text as add_file does; `origin` names it in errors.
  void add_text(std::string_view text, const std::string& origin);
  void add_special_purpose();

  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is also looked up as the IPv4 address it
  // reaches, so every check of the list (targets, dispatcher, connection) sees both forms.
  bool contains(const IpAddress& ip) const;
  // Where the entry covering `ip` came from, or "" when not blocked.
  std::string why(const IpAddress& ip) const;
  size_t size() const { return entries_.size(); }

  struct Entry {
    Prefix prefix;
    std::string origin;
  };
  // Every prefix as added, in order, with where it came from.
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  struct Interval {
    IpAddress lo, hi;
    size_t entry;  // index into entries_ of one prefix covering it
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

// Why `path` cannot be read as a blocklist or opt-out file, "" when it can: it must exist, be a
// regular file (a directory opens and reads as empty) and be readable by this process.
std::string list_file_problem(const std::string& path);
inline constexpr const char* kMissing = "does not exist";  // list_file_problem's first answer
// The whole of a list file; std::runtime_error "<path>: <problem>" when it cannot be read.
std::string read_list_file(const std::string& path);

// The blocklist as zmap reads its -b file: "a.b.c.d/n  # origin", one IPv4 prefix a line. For
// an IPv4 address, only the IPv4 entries decide (contains()), so zmap then excludes exactly the
// IPv4 addresses iotmap does. zmap 2.1 scans IPv4 only and stops on an IPv6 line: IPv6 entries
// are left out and counted in `ipv6_left_out`.
std::string zmap_blocklist(const Blocklist& b, size_t& ipv6_left_out);

// a.b.c.d for ::ffff:a.b.c.d, nullopt for any other address.
std::optional<IpAddress> mapped_v4(const IpAddress& ip);

// IANA IPv4 and IPv6 special-purpose address registries (RFC 6890 and updates), and all IPv6
// space outside 2000::/3.
const std::vector<std::string_view>& special_purpose_prefixes();

}  // namespace iotmap::ethics
