#include "ethics/blocklist.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace iotmap::ethics {
namespace {

IpAddress last_address(const Prefix& p) {
  IpAddress hi = p.base;
  for (int i = 0; i < 16; ++i) {
    int keep = p.length - i * 8;
    if (i >= (p.base.v6 ? 16 : 4) || keep >= 8) continue;
    hi.bytes[i] = keep <= 0 ? 0xFF : static_cast<uint8_t>(hi.bytes[i] | (0xFF >> keep));
  }
  return hi;
}

// Orders v4 before v6, then by bytes, so one sorted vector holds both families.
bool less(const IpAddress& a, const IpAddress& b) {
  if (a.v6 != b.v6) return !a.v6;
  return a.bytes < b.bytes;
}

// a + 1 == b within the same family, i.e. two intervals touch and can be merged.
bool adjacent(const IpAddress& a, const IpAddress& b) {
  if (a.v6 != b.v6) return false;
  IpAddress next = a;
  for (int i = a.v6 ? 15 : 3; i >= 0; --i) {
    if (++next.bytes[i] != 0) return next == b;
  }
  return false;  // a was the family's last address
}

}  // namespace

std::optional<ListLine> parse_list_line(std::string line, const std::string& where) {
  std::string comment;
  if (auto hash = line.find('#'); hash != std::string::npos) {
    auto text = line.find_first_not_of(" #", hash);
    if (text != std::string::npos) comment = line.substr(text);
    line.erase(hash);
  }
  auto b = line.find_first_not_of(" \t\r");
  if (b == std::string::npos) return std::nullopt;
  auto e = line.find_last_not_of(" \t\r");
  std::string cidr = line.substr(b, e - b + 1);
  auto p = Prefix::parse(cidr);
  if (!p) throw std::runtime_error(where + ": '" + cidr + "' is not an address or CIDR prefix");
  return ListLine{*p, comment};
}

const std::vector<std::string_view>& special_purpose_prefixes() {
  static const std::vector<std::string_view> kPrefixes = {
      // IPv4: RFC 6890, RFC 8190
      "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
      "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24", "192.88.99.0/24",
      "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
      "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
      // IPv6
      "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
      "2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
      "ff00::/8"};
  return kPrefixes;
}

void Blocklist::add(const Prefix& p, std::string origin) {
  add_entry(p, std::move(origin));
  rebuild();
}

void Blocklist::add_special_purpose() {
  for (auto text : special_purpose_prefixes())
    add_entry(*Prefix::parse(text), "IANA special-purpose " + std::string(text));
  rebuild();
}

void Blocklist::add_text(std::string_view text, const std::string& origin) {
  std::istringstream in{std::string(text)};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::string where = origin + ":" + std::to_string(n);
    if (auto entry = parse_list_line(line, where)) add_entry(entry->prefix, where);
  }
  rebuild();
}

void Blocklist::add_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot read blocklist");
  std::ostringstream text;
  text << in.rdbuf();
  add_text(text.str(), path);
}

void Blocklist::rebuild() {
  std::vector<Interval> all;
  all.reserve(entries_.size());
  for (size_t i = 0; i < entries_.size(); ++i)
    all.push_back({entries_[i].prefix.base, last_address(entries_[i].prefix), i});
  std::sort(all.begin(), all.end(),
            [](const Interval& a, const Interval& b) { return less(a.lo, b.lo); });
  merged_.clear();
  for (const auto& iv : all) {
    if (!merged_.empty()) {
      auto& back = merged_.back();
      if (!less(back.hi, iv.lo) || adjacent(back.hi, iv.lo)) {
        if (less(back.hi, iv.hi)) back.hi = iv.hi;
        continue;
      }
    }
    merged_.push_back(iv);
  }
}

const Blocklist::Interval* Blocklist::find(const IpAddress& ip) const {
  // The last interval starting at or before ip is the only one that can hold it.
  auto it = std::upper_bound(merged_.begin(), merged_.end(), ip,
                             [](const IpAddress& v, const Interval& iv) { return less(v, iv.lo); });
  if (it == merged_.begin()) return nullptr;
  --it;
  if (it->lo.v6 != ip.v6 || less(it->hi, ip)) return nullptr;
  return &*it;
}

bool Blocklist::contains(const IpAddress& ip) const { return find(ip) != nullptr; }

std::string Blocklist::why(const IpAddress& ip) const {
  if (find(ip) == nullptr) return "";
  // Merging loses which entry covered which part, so name the first entry that does.
  for (const auto& e : entries_)
    if (e.prefix.contains(ip)) return e.origin + " (" + e.prefix.str() + ")";
  return "";
}

}  // namespace iotmap::ethics
