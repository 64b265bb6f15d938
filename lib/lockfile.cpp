#include "lib/lockfile.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace iotmap {

std::string lock_path(const std::string& file, const std::string& suffix) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = fs::absolute(file, ec);
  // weakly_canonical stops at a symlink whose target does not exist yet (a database about to
  // be created through it), so follow such links first.
  for (int hops = 0; hops < 40 && fs::is_symlink(p, ec); ++hops) {
    fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : p.parent_path() / target;
  }
  p = fs::weakly_canonical(p, ec);
  if (ec || p.empty()) p = file;
  fs::create_directories(p.parent_path(), ec);
  return p.string() + suffix;
}

std::optional<LockFile> LockFile::try_acquire(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd) throw std::runtime_error(path + ": cannot open lock file: " + std::strerror(errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK) return std::nullopt;
    throw std::runtime_error(path + ": cannot lock: " + std::strerror(err));
  }
  // Record who holds it, for the message a second instance prints.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) (void)!::write(fd.get(), pid.data(), pid.size());
  return LockFile(std::move(fd));
}

}  // namespace iotmap
