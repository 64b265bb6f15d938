#include "ethics/policy.h"

#include <algorithm>

namespace iotmap::ethics {
namespace {

// "file:line: key: " of a configured key, or "key: " when the configuration came from code.
std::string at(const config::Config& c, const std::string& key) {
  auto it = c.set_at.find(key);
  return (it == c.set_at.end() ? "" : it->second + ": ") + key + ": ";
}

void check_list_file(const config::Config& c, const std::string& key, const std::string& path,
                     const char* if_missing, std::vector<std::string>& problems) {
  if (path.empty()) return;
  auto problem = list_file_problem(path);
  if (problem.empty()) return;
  if (problem == kMissing) problem += if_missing;
  problems.push_back(at(c, key) + path + " " + problem);
}

}  // namespace

std::vector<std::string> configured_problems(const config::Config& c) {
  std::vector<std::string> problems;
  const auto& e = c.ethics;
  check_list_file(c, "ethics.blocklist_file", e.blocklist_file, "", problems);
  // A missing opt-out file is more likely a wrong path than "nobody opted out".
  check_list_file(c, "ethics.optout_file", e.optout_file,
                  " (create it empty when nobody has opted out yet)", problems);
  if (auto problem = config::contact_problem(e.contact); !problem.empty())
    problems.push_back(at(c, "ethics.contact") + problem);
  return problems;
}

std::vector<std::string> scan_preconditions(const config::Config& c) {
  std::vector<std::string> problems;
  const auto& e = c.ethics;
  if (e.blocklist_file.empty())
    problems.emplace_back("ethics.blocklist_file is not set: a scan needs a blocklist file");
  if (e.contact.empty())
    problems.emplace_back(
        "ethics.contact is not set: a scan needs contact information for the info page");
  auto configured = configured_problems(c);
  problems.insert(problems.end(), configured.begin(), configured.end());
  if (!(c.scan.rate <= e.max_rate)) problems.emplace_back("scan.rate exceeds ethics.max_rate");
  return problems;
}

Blocklist configured_blocklist(const config::Config& c) {
  Blocklist b;
  if (!c.ethics.blocklist_file.empty()) b.add_file(c.ethics.blocklist_file);
  if (!c.ethics.optout_file.empty()) b.add_file(c.ethics.optout_file);
  if (c.ethics.default_blocklist) b.add_special_purpose();
  return b;
}

Policy scan_policy(const config::Config& c) {
  auto problems = scan_preconditions(c);
  if (!problems.empty()) {
    std::string msg = "scan refused:";
    for (const auto& p : problems) msg += "\n  - " + p;
    throw PolicyError(msg);
  }
  Policy p;
  p.blocklist = configured_blocklist(c);
  p.rate = std::min(c.scan.rate, c.ethics.max_rate);
  p.contact = c.ethics.contact;
  return p;
}

}  // namespace iotmap::ethics
