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

// What is wrong with the ethics settings that are set, each "file:line: key: problem": a
// blocklist or opt-out file that is missing, a directory or unreadable; a contact that is
// blank or holds control characters. `config --check` reports these; a scan refuses on them.
std::vector<std::string> configured_problems(const config::Config& c);

// Every reason the configuration forbids a scan (no blocklist file, no contact, any of
// configured_problems, a rate above the cap). Empty when a scan may start.
std::vector<std::string> scan_preconditions(const config::Config& c);

// The configured blocklist (ethics.blocklist_file and optout_file when set, the IANA
// special-purpose ranges unless default_blocklist = false), for stages that must honour it
// without being scans (resolve --ptr). Throws std::runtime_error naming file:line for an
// unreadable or malformed list.
Blocklist configured_blocklist(const config::Config& c);

// Builds the policy; throws PolicyError listing the problems when a scan may not start, and
// std::runtime_error naming file:line for an unreadable or malformed list.
Policy scan_policy(const config::Config& c);

}  // namespace iotmap::ethics
