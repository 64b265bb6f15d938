// This host's own resolvers, read from resolv.conf(5) as the C library reads them: the
// `nameserver` lines, at most three, each on port 53. The embedded default's vantage point
// ("system") asks them, so that a first run measures from where the host already looks names
// up (systemd-resolved's stub 127.0.0.53 included).
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "config/config.h"

namespace iotmap::config {

struct SystemResolvers {
  std::vector<ResolverEndpoint> resolvers;
  std::vector<std::string> notes;  // "FILE:LINE: ...": what was skipped, and why
};

// `origin` names the file in notes. A line the resolver cannot use (a scoped IPv6 address
// such as fe80::1%eth0, an address that does not parse, a fourth nameserver) is skipped with
// a note. No usable line: 127.0.0.1:53, as the C library does, with a note.
SystemResolvers parse_resolv_conf(std::istream& in, const std::string& origin);

// The same for a file; a file that cannot be read counts as one without nameserver lines.
SystemResolvers read_resolv_conf(const std::string& path);

}  // namespace iotmap::config
