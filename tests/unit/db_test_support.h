// Shared by the [db] unit tests: a scratch directory that is removed with everything in it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace iotmap::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "iotmap-db-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// The version 1 schema as a version 1 binary created it (tests/unit/data/schema_v1.sql), for
// migration tests: returns its SQL text.
inline std::string schema_v1_sql() {
  std::ifstream in(IOTMAP_SOURCE_DIR "/tests/unit/data/schema_v1.sql");
  if (!in) throw std::runtime_error("tests/unit/data/schema_v1.sql: cannot read");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace iotmap::test
