#include "fetch/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace iotmap::fetch {
namespace {

std::runtime_error sys_error(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

std::string dir_of(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("cannot start a SHA-256 digest");
}

void Sha256::add(const void* data, size_t n) { EVP_DigestUpdate(ctx_.get(), data, n); }

std::string Sha256::hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx_.get(), md, &len);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(digits[md[i] >> 4]);
    out.push_back(digits[md[i] & 15]);
  }
  return out;
}

std::string sha256_file(const std::string& path) {
  Handle<FILE, ::fclose> f(std::fopen(path.c_str(), "rb"));
  if (!f) return "";
  Sha256 h;
  std::vector<char> buf(1 << 16);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) h.add(buf.data(), n);
  if (std::ferror(f.get())) return "";
  return h.hex();
}

TempFile::TempFile(std::string target) : target_(std::move(target)) {
  std::string dir = dir_of(target_);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw std::runtime_error("cannot create directory " + dir + ": " + ec.message());
  std::string name = target_.substr(target_.find_last_of('/') + 1);
  std::string templ = dir + "/." + name + ".part-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0) throw sys_error("cannot create a temporary file in " + dir);
  tmp_ = buf.data();
  // mkstemp makes 0600; a data file is as readable as any other file the user writes.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  file_.reset(::fdopen(fd, "w+b"));
  if (!file_) {
    ::close(fd);
    ::unlink(tmp_.c_str());
    throw sys_error("cannot open " + tmp_);
  }
}

TempFile::~TempFile() {
  file_.reset();
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());
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

std::string TempFile::sha256() {
  flush();
  return sha256_file(tmp_);
}

void TempFile::commit() {
  flush();
  if (::fsync(::fileno(file_.get())) != 0) throw sys_error("cannot sync " + target_);
  if (std::fclose(file_.release()) != 0) throw sys_error("cannot close " + target_);
  if (::rename(tmp_.c_str(), target_.c_str()) != 0) throw sys_error("cannot replace " + target_);
  committed_ = true;
  int dfd = ::open(dir_of(target_).c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace iotmap::fetch
