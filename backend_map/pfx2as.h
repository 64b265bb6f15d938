// Prefix to AS (CAIDA RouteViews pfx2as) with longest-prefix match for IPv4 and IPv6, and AS
// to organisation (CAIDA as2org). Parsers read a stream line by line; a malformed line is
// reported with "file:line" and skipped, so one bad line does not lose a million good ones.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "lib/net.h"

namespace iotmap::backend_map {

struct ParseIssue {
  std::string where;  // "file:line"
  std::string message;
};

// A table of prefixes with their origin ASes; lookups return the longest matching prefix.
// Per family, one hash table keyed by (length, masked address), probed from the longest
// length present to the shortest.
class PrefixTable {
 public:
  struct Entry {
    Prefix prefix;
    uint32_t origins_begin = 0, origins_end = 0;
    bool moas = false;    // several origins ("a_b")
    bool as_set = false;  // an AS set among them ("a,b")
  };

  // Adds or replaces the origins of `prefix`.
  void add(const Prefix& prefix, std::span<const uint32_t> asns, bool moas = false,
           bool as_set = false);
  const Entry* lookup(const IpAddress& ip) const;
  std::span<const uint32_t> origins(const Entry& e) const {
    return {origins_.data() + e.origins_begin, e.origins_end - e.origins_begin};
  }
  // Every origin of the longest match; empty when nothing matches.
  std::span<const uint32_t> origins_of(const IpAddress& ip) const;
  size_t size() const { return entries_.size(); }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  struct Key {
    uint64_t hi = 0, lo = 0;
    uint16_t length = 0;
    bool v6 = false;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept;
  };
  static Key key_of(const IpAddress& ip, int length);

  std::vector<Entry> entries_;
  std::vector<uint32_t> origins_;
  std::unordered_map<Key, uint32_t, KeyHash> index_;
  std::vector<int> lengths_v4_, lengths_v6_;  // present lengths, longest first
};

// Reads "prefix<TAB>length<TAB>origin" lines (IPv4 or IPv6); origin is "a", "a_b" (MOAS) or
// "a,b" (AS set), or a mix. Returns how many prefixes were added.
size_t read_pfx2as(std::istream& in, const std::string& origin, PrefixTable& table,
                   std::vector<ParseIssue>& issues);
// Parses one origin field; nullopt when malformed.
struct OriginField {
  std::vector<uint32_t> asns;
  bool moas = false, as_set = false;
};
std::optional<OriginField> parse_origin_field(std::string_view text);

struct AsOrg {
  std::string as_name;
  std::string org_id;
  std::string org_name;
  std::string country;
};

// CAIDA as2org text format: "# format:org_id|changed|org_name|country|source" and
// "# format:aut|changed|aut_name|org_id|opaque_id|source" sections.
std::unordered_map<uint32_t, AsOrg> read_as2org(std::istream& in, const std::string& origin,
                                                std::vector<ParseIssue>& issues);

}  // namespace iotmap::backend_map
