#include "backend_map/pfx2as.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "lib/text.h"

namespace iotmap::backend_map {

namespace {

std::optional<uint32_t> parse_u32(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Splits on tabs, or on runs of spaces when the line has no tab.
std::vector<std::string_view> fields(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= line.size()) {
    size_t end = line.find(sep, start);
    if (end == std::string_view::npos) end = line.size();
    auto f = line.substr(start, end - start);
    if (sep != ' ' || !f.empty()) out.push_back(f);
    start = end + 1;
  }
  return out;
}

}  // namespace

PrefixTable::Key PrefixTable::key_of(const IpAddress& ip, int length) {
  IpAddress m = mask(ip, length);
  Key k;
  std::memcpy(&k.hi, m.bytes.data(), 8);
  std::memcpy(&k.lo, m.bytes.data() + 8, 8);
  k.length = static_cast<uint16_t>(length);
  k.v6 = ip.v6;
  return k;
}

size_t PrefixTable::KeyHash::operator()(const Key& k) const noexcept {
  uint64_t h = k.hi * 0x9E3779B97F4A7C15ull;
  h ^= (k.lo + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull;
  h ^= (uint64_t(k.length) << 1 | (k.v6 ? 1 : 0)) * 0x94D049BB133111EBull;
  return static_cast<size_t>(h ^ (h >> 31));
}

void PrefixTable::add(const Prefix& prefix, std::span<const uint32_t> asns, bool moas,
                      bool as_set) {
  Key k = key_of(prefix.base, prefix.length);
  Entry e;
  e.prefix = Prefix{mask(prefix.base, prefix.length), prefix.length};
  e.origins_begin = static_cast<uint32_t>(origins_.size());
  origins_.insert(origins_.end(), asns.begin(), asns.end());
  e.origins_end = static_cast<uint32_t>(origins_.size());
  e.moas = moas;
  e.as_set = as_set;
  auto [it, inserted] = index_.try_emplace(k, static_cast<uint32_t>(entries_.size()));
  if (!inserted) {
    entries_[it->second] = e;
    return;
  }
  entries_.push_back(e);
  auto& lengths = prefix.base.v6 ? lengths_v6_ : lengths_v4_;
  if (std::find(lengths.begin(), lengths.end(), prefix.length) == lengths.end()) {
    lengths.push_back(prefix.length);
    std::sort(lengths.rbegin(), lengths.rend());
  }
}

const PrefixTable::Entry* PrefixTable::lookup(const IpAddress& ip) const {
  for (int len : ip.v6 ? lengths_v6_ : lengths_v4_) {
    auto it = index_.find(key_of(ip, len));
    if (it != index_.end()) return &entries_[it->second];
  }
  return nullptr;
}

std::span<const uint32_t> PrefixTable::origins_of(const IpAddress& ip) const {
  const Entry* e = lookup(ip);
  return e ? origins(*e) : std::span<const uint32_t>{};
}

std::optional<OriginField> parse_origin_field(std::string_view text) {
  OriginField out;
  text = trim(text);
  if (text.empty()) return std::nullopt;
  for (auto part : fields(text, '_')) {
    auto members = fields(part, ',');
    if (members.size() > 1) out.as_set = true;
    for (auto m : members) {
      auto asn = parse_u32(trim(m));
      if (!asn) return std::nullopt;
      if (std::find(out.asns.begin(), out.asns.end(), *asn) == out.asns.end())
        out.asns.push_back(*asn);
    }
  }
  out.moas = text.find('_') != std::string_view::npos;
  return out;
}

size_t read_pfx2as(std::istream& in, const std::string& origin, PrefixTable& table,
                   std::vector<ParseIssue>& issues) {
  std::string line;
  size_t lineno = 0, added = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string_view l = trim(line);
    if (l.empty() || l.front() == '#') continue;
    auto bad = [&](std::string message) {
      issues.push_back({origin + ":" + std::to_string(lineno), std::move(message)});
    };
    auto f = fields(l, l.find('\t') != std::string_view::npos ? '\t' : ' ');
    if (f.size() != 3) {
      bad("expected 3 fields (prefix, length, origin), got " + std::to_string(f.size()));
      continue;
    }
    auto ip = IpAddress::parse(trim(f[0]));
    auto len = parse_u32(trim(f[1]));
    if (!ip) {
      bad("not an address: '" + shown(f[0]) + "'");
      continue;
    }
    if (!len || *len > static_cast<uint32_t>(ip->bits())) {
      bad("bad prefix length: '" + shown(f[1]) + "'");
      continue;
    }
    auto asns = parse_origin_field(f[2]);
    if (!asns) {
      bad("bad origin AS: '" + shown(f[2]) + "'");
      continue;
    }
    table.add(Prefix{mask(*ip, int(*len)), int(*len)}, asns->asns, asns->moas, asns->as_set);
    ++added;
  }
  return added;
}

std::unordered_map<uint32_t, AsOrg> read_as2org(std::istream& in, const std::string& origin,
                                                std::vector<ParseIssue>& issues) {
  enum { kNoFormat, kOrg, kAut } section = kNoFormat;
  struct Org {
    std::string name, country;
  };
  std::unordered_map<std::string, Org> orgs;
  std::vector<std::pair<uint32_t, AsOrg>> auts;
  std::string line;
  size_t lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    std::string_view l = trim(line);
    if (l.empty()) continue;
    if (l.front() == '#') {
      if (l.find("format:org_id") != std::string_view::npos)
        section = kOrg;
      else if (l.find("format:aut") != std::string_view::npos)
        section = kAut;
      continue;
    }
    auto bad = [&](std::string message) {
      issues.push_back({origin + ":" + std::to_string(lineno), std::move(message)});
    };
    auto f = fields(l, '|');
    if (section == kOrg) {
      if (f.size() < 4) {
        bad("organisation line needs org_id|changed|org_name|country");
        continue;
      }
      // Names go into JSON and Markdown reports: bytes that are not UTF-8 (a Latin-1 name)
      // become U+FFFD here rather than an error in every report.
      orgs[std::string(f[0])] = {utf8_replaced(f[2]), utf8_replaced(f[3])};
    } else if (section == kAut) {
      auto asn = f.size() >= 4 ? parse_u32(f[0]) : std::nullopt;
      if (!asn) {
        bad("AS line needs aut|changed|aut_name|org_id");
        continue;
      }
      AsOrg a;
      a.as_name = utf8_replaced(f[2]);
      a.org_id = std::string(f[3]);
      auts.push_back({*asn, std::move(a)});
    } else {
      bad("data before any '# format:' header");
    }
  }
  std::unordered_map<uint32_t, AsOrg> out;
  for (auto& [asn, a] : auts) {
    if (auto it = orgs.find(a.org_id); it != orgs.end()) {
      a.org_name = it->second.name;
      a.country = it->second.country;
    }
    out[asn] = std::move(a);
  }
  return out;
}

}  // namespace iotmap::backend_map
