// An exclusive advisory lock on a file (flock), held for the life of the object. cron may
// start a job while the previous one still runs; the second must see the lock and leave.
// The kernel drops the lock when the process dies, so a killed run never leaves it stuck.
#pragma once

#include <optional>
#include <string>

namespace iotmap {

class LockFile {
 public:
  // Returns nullopt when another process holds the lock; throws when the file cannot be opened.
  static std::optional<LockFile> try_acquire(const std::string& path);
  LockFile(LockFile&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  LockFile& operator=(LockFile&&) = delete;
  LockFile(const LockFile&) = delete;
  ~LockFile();

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace iotmap
