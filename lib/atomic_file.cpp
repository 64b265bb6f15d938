#include "lib/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <vector>

#include "lib/fd.h"

namespace iotmap {
namespace {

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

std::string dir_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// An unnamed file in `dir` (O_TMPFILE): the kernel frees it when the process dies, so a writer
// killed with SIGKILL (a daily's export, a fetch of a large file) leaves nothing behind. It gets
// a name only in commit(). None where the file system cannot do it, or /proc is not there to
// reopen it by path (the format checks of fetch read the file back by path()).
Fd unnamed_file(const std::string& dir) {
#ifdef O_TMPFILE
  Fd fd(::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0666));  // 0666 & ~umask
  if (fd && ::access(("/proc/self/fd/" + std::to_string(fd.get())).c_str(), R_OK) == 0) return fd;
#else
  (void)dir;
#endif
  return Fd();
}

// A free name "<dir>/.<name>.part-XXXXXX" for the finished file, made with linkat(2) (which
// never replaces an existing file) from the unnamed file's /proc path.
std::string link_unnamed(const std::string& proc_path, const std::string& dir,
                         const std::string& name) {
  static const char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string link = dir + "/." + name + ".part-";
    for (int i = 0; i < 6; ++i) link += kChars[rd() % (sizeof kChars - 1)];
    if (::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, link.c_str(), AT_SYMLINK_FOLLOW) == 0)
      return link;
    if (errno != EEXIST) break;
  }
  throw sys_error("cannot name the new " + dir + "/" + name);
}

}  // namespace

TempFile::TempFile(std::string target, bool make_dir) : target_(std::move(target)) {
  std::string dir = dir_of(target_);
  std::error_code ec;
  if (make_dir) std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());
  Fd fd = unnamed_file(dir);
  if (fd) {
    unnamed_ = true;
    tmp_ = "/proc/self/fd/" + std::to_string(fd.get());
  } else {
    std::string name = target_.substr(target_.find_last_of('/') + 1);
    std::string templ = dir + "/." + name + ".part-XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    fd.reset(::mkstemp(buf.data()));
    if (!fd) throw sys_error("cannot write " + target_ + ": no temporary file in " + dir);
    tmp_ = buf.data();
    // mkstemp makes 0600; a data file is as readable as any other file the user writes.
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd.get(), 0666 & ~mask);
  }
  file_.reset(::fdopen(fd.get(), "w+b"));
  if (!file_) {
    if (!unnamed_) ::unlink(tmp_.c_str());
    throw sys_error("cannot open " + tmp_);
  }
  fd.release();  // the FILE closes it
}

TempFile::~TempFile() {
  file_.reset();
  if (!committed_ && !unnamed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
}

void TempFile::write(const void* data, size_t n) {
  if (n == 0) return;
  if (std::fwrite(data, 1, n, file_.get()) != n) throw sys_error("cannot write " + target_);
  size_ += n;
}

void TempFile::truncate(uint64_t size) {
  if (size > size_) return;
  std::fflush(file_.get());
  if (::ftruncate(::fileno(file_.get()), static_cast<off_t>(size)) != 0)
    throw sys_error("cannot truncate " + tmp_);
  if (std::fseek(file_.get(), static_cast<long>(size), SEEK_SET) != 0)
    throw sys_error("cannot seek in " + tmp_);
  size_ = size;
}

void TempFile::flush() {
  if (std::fflush(file_.get()) != 0) throw sys_error("cannot write " + target_);
}

void TempFile::commit() {
  flush();
  if (::fsync(::fileno(file_.get())) != 0) throw sys_error("cannot sync " + target_);
  std::string from = tmp_;
  if (unnamed_) {
    // Named only now, just before the rename: a kill between the two is the one moment that
    // leaves a temporary file.
    const std::string name = target_.substr(target_.find_last_of('/') + 1);
    from = link_unnamed(tmp_, dir_of(target_), name);
  }
  if (std::fclose(file_.release()) != 0) {
    if (unnamed_) ::unlink(from.c_str());
    throw sys_error("cannot close " + target_);
  }
  if (::rename(from.c_str(), target_.c_str()) != 0) {
    const int err = errno;
    if (unnamed_) ::unlink(from.c_str());
    errno = err;
    throw sys_error("cannot replace " + target_);
  }
  committed_ = true;
  if (Fd dir(::open(dir_of(target_).c_str(), O_RDONLY | O_DIRECTORY)); dir) ::fsync(dir.get());
}

void write_file_atomically(const std::string& path, std::string_view text) {
  TempFile f(path, false);
  f.write(text);
  f.commit();
}

}  // namespace iotmap
