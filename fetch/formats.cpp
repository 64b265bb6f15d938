#include "fetch/formats.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "backend_map/pfx2as.h"
#include "backend_map/ranges.h"
#include "ethics/blocklist.h"
#include "lib/net.h"
#include "lib/text.h"
#include "resolver/pdns.h"

namespace iotmap::fetch {
namespace {

using nlohmann::json;

struct FormatName {
  Format f;
  const char* name;
};
constexpr FormatName kNames[] = {
    {Format::pfx2as, "pfx2as"},
    {Format::as2org, "as2org"},
    {Format::aws_ranges, "aws-ranges"},
    {Format::azure_tags, "azure-tags"},
    {Format::google_ranges, "google-ranges"},
    {Format::netset, "netset"},
    {Format::hitlist, "hitlist"},
    {Format::dnsdb, "dnsdb"},
    {Format::crtsh, "crtsh"},
};

// Reads `in` line by line; `line_fn` returns an error text for a bad line ("" when good).
template <typename F>
FormatCheck by_lines(std::istream& in, const std::string& origin, F&& line_fn) {
  FormatCheck c;
  std::string line;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    std::string why = line_fn(std::string_view(line), c);
    if (!why.empty()) {
      c.error = origin + ":" + std::to_string(n) + ": " + why;
      return c;
    }
  }
  if (in.bad()) c.error = origin + ": read error";
  return c;
}

// The backend map's own readers decide whether a file is usable: what they cannot read, the
// rest of iotmap cannot use. A few odd lines in a million are tolerated (and counted), as the
// readers skip them; more than one in a thousand, or no record at all, rejects the body.
FormatCheck from_issues(uint64_t records, const std::vector<backend_map::ParseIssue>& issues,
                        const std::string& origin) {
  FormatCheck c;
  c.records = records;
  if (!issues.empty() && (records == 0 || issues.size() > records / 1000)) {
    c.error = issues.front().where + ": " + issues.front().message;
    if (issues.size() > 1) c.error += " (and " + std::to_string(issues.size() - 1) + " more lines)";
  } else if (!issues.empty()) {
    c.note = std::to_string(issues.size()) + " malformed lines skipped (first " +
             issues.front().where + ")";
  }
  (void)origin;
  return c;
}

FormatCheck check_pfx2as(std::istream& in, const std::string& origin) {
  backend_map::PrefixTable table;
  std::vector<backend_map::ParseIssue> issues;
  size_t n = backend_map::read_pfx2as(in, origin, table, issues);
  return from_issues(n, issues, origin);
}

FormatCheck check_as2org(std::istream& in, const std::string& origin) {
  std::vector<backend_map::ParseIssue> issues;
  auto map = backend_map::read_as2org(in, origin, issues);
  return from_issues(map.size(), issues, origin);
}

std::string slurp(std::istream& in) {
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// AWS ip-ranges.json and Azure service tags: a few MB, read whole by the backend map's parser.
FormatCheck check_published(Format f, std::istream& in, const std::string& origin) {
  FormatCheck c;
  try {
    auto r = backend_map::parse_published_ranges(slurp(in), origin);
    auto want = f == Format::azure_tags ? backend_map::RangeFormat::kAzureServiceTags
                                        : backend_map::RangeFormat::kAwsIpRanges;
    if (r.format != want) {
      c.error =
          origin + ": not " + (f == Format::azure_tags ? "Azure service tags" : "AWS ip-ranges");
      return c;
    }
    c.records = r.ranges.size();
    if (f == Format::azure_tags) c.note = "AzureIoTHub prefixes";
  } catch (const std::exception& e) {
    c.error = e.what();
  }
  return c;
}

// Google's cloud.json (about 100 kB): {"prefixes": [{"ipv4Prefix": ...} | {"ipv6Prefix": ...}]}.
FormatCheck check_google(std::istream& in, const std::string& origin) {
  FormatCheck c;
  json doc = json::parse(in, nullptr, false);
  auto prefixes = doc.is_object() ? doc.find("prefixes") : doc.end();
  if (doc.is_discarded() || prefixes == doc.end() || !prefixes->is_array()) {
    c.error = origin + ": not Google's cloud.json (no \"prefixes\" array)";
    return c;
  }
  for (const auto& e : *prefixes) {
    const json* p = nullptr;
    if (e.is_object()) {
      if (auto v4 = e.find("ipv4Prefix"); v4 != e.end())
        p = &*v4;
      else if (auto v6 = e.find("ipv6Prefix"); v6 != e.end())
        p = &*v6;
    }
    if (p == nullptr || !p->is_string() || !Prefix::parse(p->get<std::string>())) {
      c.error = origin + ": prefixes[" + std::to_string(c.records) +
                "] holds no valid ipv4Prefix or ipv6Prefix";
      return c;
    }
    ++c.records;
  }
  return c;
}

FormatCheck check_hitlist(std::istream& in, const std::string& origin) {
  return by_lines(in, origin, [](std::string_view line, FormatCheck& c) -> std::string {
    line = trim(line);
    if (line.empty() || line[0] == '#') return "";
    if (!IpAddress::parse(line)) return "\"" + shown(line, 60) + "\" is not an IP address";
    ++c.records;
    return "";
  });
}

FormatCheck check_dnsdb(std::istream& in, const std::string& origin) {
  resolver::PdnsFilter all;
  all.rrtypes.clear();
  FormatCheck c;
  auto st = resolver::read_dnsdb(in, origin, all, [](const resolver::PdnsRecord&) {});
  if (st.malformed > 0) {
    c.error = st.errors.empty() ? origin + ": malformed" : st.errors.front();
    return c;
  }
  c.records = st.records;
  return c;
}

class CrtshSax : public nlohmann::json_sax<json> {
 public:
  CrtshSax(std::string origin, const std::function<void(std::string_view)>& fn)
      : origin_(std::move(origin)), fn_(fn) {}
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool string(string_t& s) override {
    if (depth_ == 2 && (key_ == "name_value" || key_ == "common_name")) {
      size_t start = 0;
      for (size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == '\n') {
          auto n = trim(std::string_view(s).substr(start, i - start));
          if (!n.empty()) fn_(n);
          start = i + 1;
        }
      }
    }
    return true;
  }
  bool start_object(std::size_t) override {
    if (depth_ == 0) {
      error = origin_ + ": not the expected JSON (crt.sh answers with an array)";
      return false;
    }
    if (++depth_ == 2) ++certs;
    return true;
  }
  bool key(string_t& k) override {
    key_ = k;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    std::string what = e.what();
    auto at = what.find("] ");
    error = origin_ + ": " + (at == std::string::npos ? what : what.substr(at + 2));
    return false;
  }
  uint64_t certs = 0;
  std::string error;

 private:
  std::string origin_;
  const std::function<void(std::string_view)>& fn_;
  int depth_ = 0;
  std::string key_;
};

}  // namespace

std::optional<Format> parse_format(std::string_view name) {
  for (const auto& n : kNames)
    if (name == n.name) return n.f;
  return std::nullopt;
}

const char* format_name(Format f) {
  for (const auto& n : kNames)
    if (n.f == f) return n.name;
  return "?";
}

FormatCheck read_crtsh(std::istream& in, const std::string& origin,
                       const std::function<void(std::string_view)>& on_name) {
  CrtshSax sax(origin, on_name);
  FormatCheck c;
  bool ok = json::sax_parse(in, &sax);
  if (!ok || !sax.error.empty()) {
    c.error = sax.error.empty() ? origin + ": not valid JSON" : sax.error;
    return c;
  }
  c.records = sax.certs;
  return c;
}

FormatCheck check_stream(Format f, std::istream& in, const std::string& origin) {
  FormatCheck c;
  switch (f) {
    case Format::pfx2as:
      c = check_pfx2as(in, origin);
      break;
    case Format::as2org:
      c = check_as2org(in, origin);
      break;
    case Format::aws_ranges:
    case Format::azure_tags:
      c = check_published(f, in, origin);
      break;
    case Format::google_ranges:
      c = check_google(in, origin);
      break;
    case Format::hitlist:
      c = check_hitlist(in, origin);
      break;
    case Format::dnsdb:
      return check_dnsdb(in, origin);
    case Format::crtsh:
      return read_crtsh(in, origin, [](std::string_view) {});
    case Format::netset: {
      // FireHOL lists are small (level 1: a few thousand lines); the blocklist is strict.
      std::string text = slurp(in);
      ethics::Blocklist b;
      try {
        b.add_text(text, origin);
      } catch (const std::exception& e) {
        c.error = e.what();
        return c;
      }
      c.records = b.size();
      break;
    }
  }
  if (c.ok() && c.records == 0) c.error = origin + ": holds no record (an empty or wrong file)";
  return c;
}

FormatCheck check_file(Format f, const std::string& path, const std::string& origin) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    FormatCheck c;
    c.error = "cannot read " + path;
    return c;
  }
  return check_stream(f, in, origin);
}

}  // namespace iotmap::fetch
