// Lines of a data set file as they stream in: gzip, xz or plain (the first bytes tell), read in
// pieces so that a file of any size never sits in memory, with the digest of the bytes as read.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <string>
#include <string_view>

namespace iotmap::fetch {

struct LineStream {
  uint64_t lines = 0;
  uint64_t bytes = 0;  // as read (compressed)
  std::string sha256;  // of those bytes, lowercase hex
};

// Calls `fn` with each line (no '\n'; a last line without one counts) and its number from 1.
// Throws std::runtime_error naming `name` when the compression is corrupt or truncated.
LineStream for_each_line(std::istream& in, const std::string& name,
                         const std::function<void(std::string_view line, uint64_t number)>& fn);

}  // namespace iotmap::fetch
