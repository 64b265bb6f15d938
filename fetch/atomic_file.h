// A file that replaces its target only when it is complete: written to a temporary file in the
// target's directory (so rename(2) cannot cross a file system), synced, then renamed over the
// target and the directory synced. Until commit() the target is untouched; a TempFile that is
// destroyed without commit() removes its temporary file, so a failed download never leaves a
// half file and never replaces the good one.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "lib/handle.h"

namespace iotmap::fetch {

class Sha256 {
 public:
  Sha256();
  void add(const void* data, size_t n);
  std::string hex();  // finishes; call once

 private:
  Handle<EVP_MD_CTX, EVP_MD_CTX_free> ctx_;
};

class TempFile {
 public:
  // Creates "<dir>/.<name>.part-XXXXXX" for target "<dir>/<name>", making <dir> if missing.
  // Throws std::runtime_error naming the path on failure.
  explicit TempFile(std::string target);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // Throws std::runtime_error (e.g. disk full) naming the target.
  void write(const void* data, size_t n);
  // Cuts the file back to `size` bytes (0: empty) for a new attempt.
  void truncate(uint64_t size = 0);
  // Flushes what was written so that the file can be read back (validation) before commit.
  void flush();
  // fsync, rename over the target, fsync the directory. Throws on failure (the target is then
  // still the old one).
  void commit();

  const std::string& path() const { return tmp_; }
  const std::string& target() const { return target_; }
  uint64_t size() const { return size_; }
  std::string sha256();  // of what was written; reads the file back

 private:
  std::string target_, tmp_;
  Handle<FILE, ::fclose> file_;
  uint64_t size_ = 0;
  bool committed_ = false;
};

// sha256 of a whole file, read in blocks; "" when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace iotmap::fetch
