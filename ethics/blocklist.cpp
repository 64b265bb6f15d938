#include "ethics/blocklist.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "lib/text.h"

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
      "ff00::/8",
      // IPv6 outside the global unicast space 2000::/3 is reserved by the IETF (fec0::/10,
      // 4000::/2, the IPv4-compatible ::/96, ...): none of it should reach a server. Listed
      // after the named ranges so that an explanation names the narrower one.
      "::/3", "4000::/2", "8000::/1"};
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

std::string list_file_problem(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT ? kMissing : std::string("cannot be read: ") + std::strerror(errno);
  if (S_ISDIR(st.st_mode)) return "is a directory, not a file";
  if (!S_ISREG(st.st_mode)) return "is not a regular file";
  if (::access(path.c_str(), R_OK) != 0)
    return std::string("cannot be read: ") + std::strerror(errno);
  return "";
}

std::string read_list_file(const std::string& path) {
  if (auto problem = list_file_problem(path); !problem.empty())
    throw std::runtime_error(path + ": " + problem);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot be read");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error(path + ": read error");
  return text;
}

void Blocklist::add_file(const std::string& path) { add_text(read_list_file(path), path); }

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

std::string zmap_blocklist(const Blocklist& b, size_t& ipv6_left_out) {
  std::string out;
  ipv6_left_out = 0;
  for (const auto& e : b.entries()) {
    if (e.prefix.base.v6) {
      ++ipv6_left_out;
      continue;
    }
    // The origin is a path and a line: shown() keeps a newline in a path from starting a line.
    out += e.prefix.str() + "  # " + shown(e.origin, 400) + "\n";
  }
  return out;
}

std::optional<IpAddress> mapped_v4(const IpAddress& ip) {
  static constexpr std::array<uint8_t, 12> kMapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!ip.v6 || !std::equal(kMapped.begin(), kMapped.end(), ip.bytes.begin())) return std::nullopt;
  return IpAddress::from_v4((uint32_t{ip.bytes[12]} << 24) | (uint32_t{ip.bytes[13]} << 16) |
                            (uint32_t{ip.bytes[14]} << 8) | uint32_t{ip.bytes[15]});
}

bool Blocklist::contains(const IpAddress& ip) const {
  // ::ffff:a.b.c.d reaches a.b.c.d, so the IPv4 entries hold for it too.
  auto v4 = mapped_v4(ip);
  return find(ip) != nullptr || (v4 && find(*v4) != nullptr);
}

std::string Blocklist::why(const IpAddress& ip) const {
  if (!contains(ip)) return "";
  // Merging loses which entry covered which part, so name the first entry that does.
  auto v4 = mapped_v4(ip);
  for (const auto& e : entries_)
    if (e.prefix.contains(ip) || (v4 && e.prefix.contains(*v4)))
      return e.origin + " (" + e.prefix.str() + ")";
  return "";
}

}  // namespace iotmap::ethics
