#include "config/resolv_conf.h"

#include <fstream>
#include <sstream>

#include "lib/text.h"

namespace iotmap::config {
namespace {

// The C library's limit (MAXNS in resolv.h): later nameserver lines are not asked.
constexpr size_t kMaxNameservers = 3;

}  // namespace

SystemResolvers parse_resolv_conf(std::istream& in, const std::string& origin) {
  SystemResolvers out;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    std::istringstream words(line);
    std::string keyword, address;
    if (!(words >> keyword) || keyword != "nameserver" || !(words >> address)) continue;
    const std::string where = origin + ":" + std::to_string(n) + ": nameserver " + shown(address);
    if (address.find('%') != std::string::npos) {
      out.notes.push_back(where + ": an IPv6 address with a scope (link-local); skipped");
      continue;
    }
    auto ip = IpAddress::parse(address);
    if (!ip) {
      out.notes.push_back(where + ": not an IP address; skipped");
      continue;
    }
    if (out.resolvers.size() == kMaxNameservers) {
      out.notes.push_back(where +
                          ": more than three nameservers, which the C library does not "
                          "ask either; skipped");
      continue;
    }
    out.resolvers.push_back({*ip, 53});
  }
  if (out.resolvers.empty()) {
    out.resolvers.push_back({*IpAddress::parse("127.0.0.1"), 53});
    out.notes.push_back(origin +
                        ": no usable nameserver line; asking 127.0.0.1:53, as the C "
                        "library does");
  }
  return out;
}

SystemResolvers read_resolv_conf(const std::string& path) {
  std::ifstream in(path);
  return parse_resolv_conf(in, path);
}

}  // namespace iotmap::config
