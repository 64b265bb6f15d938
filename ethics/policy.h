// What a scan must satisfy before it sends its first packet, and the blocklist it must
// honour. The scanner engine asks `Policy::allowed` before every connection; the command
// refuses to start while `scan_preconditions` reports a problem.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "ethics/blocklist.h"

namespace iotmap::ethics {

struct PolicyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Policy {
  Blocklist blocklist;  // the file, the opt-out list, and (by default) IANA special-purpose
  double rate = 0;      // connections per second, already capped by ethics.max_rate
  std::string contact;

  bool allowed(const IpAddress& ip) const { return !blocklist.contains(ip); }
};

// Every reason the configuration forbids a scan (missing blocklist file, missing contact,
// a rate above the cap). Empty when a scan may start.
std::vector<std::string> scan_preconditions(const config::Config& c);

// Builds the policy; throws PolicyError listing the problems when a scan may not start, and
// std::runtime_error naming file:line for an unreadable or malformed list.
Policy scan_policy(const config::Config& c);

}  // namespace iotmap::ethics
