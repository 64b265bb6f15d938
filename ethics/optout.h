// The opt-out list: operators who asked not to be probed. It is a plain text file in the
// blocklist format (one CIDR per line) so that the scanner reads it like any blocklist and
// an operator can read or edit it by hand; the reason and date ride along as a comment.
#pragma once

#include <string>
#include <vector>

#include "lib/net.h"

namespace iotmap::ethics {

struct OptOut {
  Prefix prefix;
  std::string comment;  // "reason; added YYYY-MM-DD"
};

// Appends an entry (creating the file) and flushes it to disk before returning.
void add_optout(const std::string& path, const Prefix& prefix, const std::string& reason,
                const std::string& date);
// Reads the file; a malformed line is an error naming file:line, and so is a path that is
// missing, not a regular file or unreadable (list_file_problem).
std::vector<OptOut> read_optouts(const std::string& path);

}  // namespace iotmap::ethics
