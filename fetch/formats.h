// The formats the crawler downloads, and the check that a body parses before it replaces the
// previous copy. The checks are the readers the rest of iotmap uses (backend_map/pfx2as.h and
// ranges.h, ethics/blocklist.h, resolver/pdns.h), so an accepted file is one they can read.
// The large formats stream (pfx2as, hitlists, DNSDB lines line by line; crt.sh through a SAX
// JSON parser), so a file of hundreds of MB never sits in memory whole; the published-range
// JSON files and netsets are a few MB at most and are read whole. Errors name the origin (the
// URL, not the temporary file) and the line or item.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

namespace iotmap::fetch {

enum class Format {
  pfx2as,  // CAIDA RouteViews prefix-to-AS: "prefix<TAB>length<TAB>asn[_asn|,asn]"
  as2org,  // CAIDA as2org: "aut|changed|name|org_id|..." / "org_id|changed|name|cc|src", or JSON
           // lines
  aws_ranges,     // AWS ip-ranges.json: prefixes[].ip_prefix, ipv6_prefixes[].ipv6_prefix
  azure_tags,     // Azure service tags: values[].properties.addressPrefixes[]
  google_ranges,  // Google cloud.json: prefixes[].ipv4Prefix / ipv6Prefix
  netset,         // FireHOL netset: one CIDR or address per line, '#' comments
  hitlist,        // IPv6 hitlist: one address per line, '#' comments (a scan target file)
  dnsdb,          // DNSDB JSON lines (SAF), as resolver/pdns.h reads them
  crtsh,          // crt.sh JSON: [{"common_name": ..., "name_value": "a\nb", ...}]
};

std::optional<Format> parse_format(std::string_view name);  // "pfx2as", "aws-ranges", ...
const char* format_name(Format f);

struct FormatCheck {
  uint64_t records = 0;  // prefixes, ASes, addresses, record sets, certificates
  std::string note;      // a short summary for the log, e.g. "12 AzureIoTHub tags"
  std::string error;     // "<origin>:<line>: <reason>" when the body is rejected
  bool ok() const { return error.empty(); }
};

// Checks a whole body. `origin` names it in errors.
FormatCheck check_stream(Format f, std::istream& in, const std::string& origin);
FormatCheck check_file(Format f, const std::string& path, const std::string& origin);

// crt.sh's JSON: calls `on_name` for every name in common_name and name_value (one per line
// there), as written (wildcards included); checks the structure as check_stream does.
FormatCheck read_crtsh(std::istream& in, const std::string& origin,
                       const std::function<void(std::string_view)>& on_name);

}  // namespace iotmap::fetch
