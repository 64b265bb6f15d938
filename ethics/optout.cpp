#include "ethics/optout.h"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

#include "ethics/blocklist.h"
#include "lib/fd.h"

namespace iotmap::ethics {
namespace {

// True for an empty file too: nothing to separate from.
bool ends_with_newline(int fd) {
  off_t size = ::lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && ::pread(fd, &last, 1, size - 1) != 1) last = '\n';
  return last == '\n';
}

}  // namespace

void add_optout(const std::string& path, const Prefix& prefix, const std::string& reason,
                const std::string& date) {
  std::string clean = reason;
  for (char& ch : clean)
    if (ch == '\n' || ch == '\r') ch = ' ';
  std::string line = prefix.str() + "  # " + clean + "; added " + date + "\n";
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd) throw std::runtime_error(path + ": cannot open opt-out list for writing");
  // A file edited by hand may end without a newline: the entry would then land inside its
  // last comment, or fuse with its last prefix, and be lost to the next scan.
  if (!ends_with_newline(fd.get())) line.insert(0, "\n");
  bool ok = ::write(fd.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd.get()) == 0;
  if (!ok) throw std::runtime_error(path + ": writing the opt-out entry failed (disk full?)");
}

std::vector<OptOut> read_optouts(const std::string& path) {
  std::istringstream in(read_list_file(path));
  std::vector<OptOut> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (auto entry = parse_list_line(line, path + ":" + std::to_string(n)))
      out.push_back({entry->prefix, entry->comment});
  }
  return out;
}

}  // namespace iotmap::ethics
