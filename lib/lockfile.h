// An exclusive advisory lock on a file (flock), held for the life of the object. cron may
// start a job while the previous one still runs; the second must see the lock and leave.
// The kernel drops the lock when the process dies, so a killed run never leaves it stuck.
#pragma once

#include <optional>
#include <string>

#include "lib/fd.h"

namespace iotmap {

// The lock file for a job on `file`: the file's real path (symlinks and relative spellings
// resolved, so every name of one database shares one lock) followed by `suffix`. Creates the
// file's directory when missing; falls back to `file` itself when the path cannot be resolved.
std::string lock_path(const std::string& file, const std::string& suffix);

class LockFile {
 public:
  // Returns nullopt when another process holds the lock; throws when the file cannot be opened.
  static std::optional<LockFile> try_acquire(const std::string& path);
  LockFile(LockFile&&) noexcept = default;
  LockFile& operator=(LockFile&&) = delete;

 private:
  explicit LockFile(Fd fd) : fd_(std::move(fd)) {}
  Fd fd_;  // closing it releases the flock
};

}  // namespace iotmap
