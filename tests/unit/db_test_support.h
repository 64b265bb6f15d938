// Shared by the [db] unit tests: a scratch directory that is removed with everything in it.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "db/rows.h"

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

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// One A answer of `name` from vantage point vp-a in `hour`, as `iotmap resolve` stores it.
inline db::ResolutionRow a_resolution(int64_t hour, const std::string& name, const std::string& ip,
                                      std::vector<std::string> chain = {}) {
  db::ResolutionRow r;
  r.hour = hour;
  r.name = name;
  r.qtype = "A";
  r.vantage = "vp-a";
  r.status = "NOERROR";
  r.rcode = 0;
  r.cname_chain = std::move(chain);
  r.answers = {{ip, 60}};
  r.resolver = "192.0.2.11:53";
  r.resolved_at = hour + 5;
  return r;
}

}  // namespace iotmap::test
