// Address ranges that providers publish (Azure service tags, AWS ip-ranges.json, Google Cloud's
// cloud.json) and public
// blocklists (FireHOL netset), parsed from text into plain prefix lists. Reading the files is
// the command's job; these functions only parse.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "backend_map/pfx2as.h"
#include "lib/net.h"

namespace iotmap::backend_map {

struct PublishedRange {
  Prefix prefix;
  std::string tag;     // Azure tag name ("AzureIoTHub.EastUS"), AWS or Google service ("EC2")
  std::string region;  // AWS region, Azure region, Google scope; "" when global
};

enum class RangeFormat { kAzureServiceTags, kAwsIpRanges, kGoogleCloud };

struct PublishedRanges {
  RangeFormat format = RangeFormat::kAzureServiceTags;
  std::vector<PublishedRange> ranges;
};

// Detects the format from the JSON: "values" for Azure service tags; "prefixes" for AWS
// (entries with "ip_prefix", IPv6 in "ipv6_prefixes") and for Google (entries with "ipv4Prefix"
// or "ipv6Prefix" in the same list, "scope" for the region). Azure: only the AzureIoTHub tags
// (the global tag and its regional ones). AWS and Google: every entry whose service is in
// `services` (all when empty). Throws std::runtime_error naming `origin` on JSON that is none.
PublishedRanges parse_published_ranges(std::string_view json_text, const std::string& origin,
                                       const std::vector<std::string>& services = {});

// "Azure service tags", "AWS ip-ranges", "Google Cloud ranges".
const char* range_format_str(RangeFormat f);

// FireHOL netset: one address or CIDR per line, '#' comments. Malformed lines are reported
// and skipped.
std::vector<Prefix> parse_netset(std::string_view text, const std::string& origin,
                                 std::vector<ParseIssue>& issues);

}  // namespace iotmap::backend_map
