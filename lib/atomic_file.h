// A file that replaces its target only when it is complete: written to a temporary file in the
// target's directory (so rename(2) cannot cross a file system), synced, then renamed over the
// target and the directory synced. Until commit() the target is untouched; a TempFile that is
// destroyed without commit() removes its temporary file, so a failed write (full disk, an
// error half way) never leaves a half file and never replaces the good one. The temporary file
// has no name until commit() where the file system allows (O_TMPFILE: ext4, xfs, btrfs,
// tmpfs), so a writer killed with SIGKILL leaves no half file either. Every file iotmap
// writes for others (--output, downloads, the info page) goes through here.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "lib/handle.h"

namespace iotmap {

class TempFile {
 public:
  // Creates an unnamed file in <dir> (elsewhere "<dir>/.<name>.part-XXXXXX") for target
  // "<dir>/<name>", making <dir> if missing
  // and `make_dir` (a download's data directory; not an operator's --output, where a missing
  // directory is more likely a typo). Throws std::runtime_error naming the target on failure.
  explicit TempFile(std::string target, bool make_dir = true);
  ~TempFile();
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  // Throws std::runtime_error (e.g. disk full) naming the target.
  void write(const void* data, size_t n);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // Cuts the file back to `size` bytes (0: empty) for a new attempt.
  void truncate(uint64_t size = 0);
  // Flushes what was written so that the file can be read back (validation) before commit.
  void flush();
  // fsync, rename over the target, fsync the directory. Throws on failure (the target is then
  // still the old one).
  void commit();

  // Where to read the file back before commit: /proc/self/fd/N while it has no name.
  const std::string& path() const { return tmp_; }
  const std::string& target() const { return target_; }
  uint64_t size() const { return size_; }

 private:
  std::string target_, tmp_;
  Handle<FILE, ::fclose> file_;
  uint64_t size_ = 0;
  bool committed_ = false;
  bool unnamed_ = false;  // O_TMPFILE: named only by commit()
};

// `text` as the new content of `path`, all or nothing; the directory must exist. Throws
// std::runtime_error naming the path; the previous file is then intact.
void write_file_atomically(const std::string& path, std::string_view text);

}  // namespace iotmap
