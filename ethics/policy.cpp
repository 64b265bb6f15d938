#include "ethics/policy.h"

#include <unistd.h>

#include <algorithm>

namespace iotmap::ethics {

std::vector<std::string> scan_preconditions(const config::Config& c) {
  std::vector<std::string> problems;
  const auto& e = c.ethics;
  if (e.blocklist_file.empty())
    problems.emplace_back("ethics.blocklist_file is not set: a scan needs a blocklist file");
  else if (access(e.blocklist_file.c_str(), R_OK) != 0)
    problems.push_back("ethics.blocklist_file " + e.blocklist_file + " cannot be read");
  if (e.contact.empty())
    problems.emplace_back(
        "ethics.contact is not set: a scan needs contact information for the info page");
  if (c.scan.rate > e.max_rate) problems.emplace_back("scan.rate exceeds ethics.max_rate");
  return problems;
}

Policy scan_policy(const config::Config& c) {
  auto problems = scan_preconditions(c);
  if (!problems.empty()) {
    std::string msg = "scan refused:";
    for (const auto& p : problems) msg += "\n  - " + p;
    throw PolicyError(msg);
  }
  Policy p;
  p.blocklist.add_file(c.ethics.blocklist_file);
  // The opt-out file may not exist yet: nobody has asked to be left out.
  if (!c.ethics.optout_file.empty() && access(c.ethics.optout_file.c_str(), F_OK) == 0)
    p.blocklist.add_file(c.ethics.optout_file);
  if (c.ethics.default_blocklist) p.blocklist.add_special_purpose();
  p.rate = std::min(c.scan.rate, c.ethics.max_rate);
  p.contact = c.ethics.contact;
  return p;
}

}  // namespace iotmap::ethics
