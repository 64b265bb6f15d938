// A full disk: the store must fail with a message naming the file and the cause, and keep
// every batch it committed before. Needs root to mount a tiny tmpfs.
#include <sys/mount.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>

#include "db/store.h"
#include "tests/unit/db_test_support.h"

using namespace iotmap::db;
using iotmap::test::TempDir;

namespace {

// Mounts a tmpfs of `size` on `dir` for the lifetime of the object.
class TinyTmpfs {
 public:
  TinyTmpfs(const std::string& dir, const char* size) : dir_(dir) {
    std::string options = std::string("size=") + size;
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) == 0;
    error_ = mounted_ ? 0 : errno;
  }
  ~TinyTmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  TinyTmpfs(const TinyTmpfs&) = delete;
  TinyTmpfs& operator=(const TinyTmpfs&) = delete;
  bool mounted() const { return mounted_; }
  int error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  int error_ = 0;
};

std::vector<ResolutionRow> batch(int index) {
  std::vector<ResolutionRow> rows;
  for (int i = 0; i < 100; ++i) {
    ResolutionRow r;
    r.hour = 1714568400 + int64_t{3600} * index;
    r.name = "n" + std::to_string(index) + "-" + std::to_string(i) + ".iot.example.com.";
    r.qtype = "A";
    r.vantage = "local";
    r.status = "NOERROR";
    r.cname_chain = {"a-fairly-long-cname-target-" + std::to_string(i) + ".cdn.example.net."};
    r.answers = {{"192.0.2." + std::to_string(i), 60}};
    r.resolved_at = r.hour;
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace

TEST_CASE("a full disk fails with a clear error and keeps what was committed", "[db]") {
  TempDir dir;
  TinyTmpfs fs(dir.path().string(), "1m");
  if (!fs.mounted()) {
    if (geteuid() != 0) {
      WARN("full-disk test skipped: mounting a tmpfs needs root (" << std::strerror(fs.error())
                                                                   << ")");
      return;
    }
    FAIL("cannot mount a tmpfs on " << dir.path() << ": " << std::strerror(fs.error()));
  }
  const std::string path = dir.file("iotmap.db");
  size_t committed = 0;
  std::string error;
  {
    Store store(path);
    for (int i = 0; i < 10'000 && error.empty(); ++i) {
      try {
        committed += store.add_resolutions(batch(i));
      } catch (const Error& e) {
        error = e.what();
      }
    }
  }
  INFO("error: " << error);
  REQUIRE_FALSE(error.empty());
  CHECK_THAT(error, Catch::StartsWith(path + ": ") && Catch::Contains("database or disk is full"));
  REQUIRE(committed > 0);

  // Reopen on the still-full disk: every committed batch is there, nothing of the failed one.
  Store again(path);
  int64_t stored = -1;
  Statement(again.database(), "SELECT count(*) FROM resolutions").each([&](Statement& s) {
    stored = s.int64(0);
  });
  CHECK(stored == static_cast<int64_t>(committed));
}
