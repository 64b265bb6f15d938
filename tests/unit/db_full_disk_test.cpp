// A full disk: the store must fail with a message naming the file and saying that the disk is
// full, and keep every batch it committed before. A read-only mount: a database there can be
// checked. Needs root to mount a tiny tmpfs.
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "db/check.h"
#include "db/schema.h"
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
  bool remount_read_only() {
    return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0;
  }
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

// Mounts a tmpfs on `dir`; false (with a warning) when not root, which the test needs.
bool mount_or_skip(TinyTmpfs& fs, const TempDir& dir) {
  if (fs.mounted()) return true;
  if (geteuid() != 0) {
    WARN("test skipped: mounting a tmpfs needs root (" << std::strerror(fs.error()) << ")");
    return false;
  }
  FAIL("cannot mount a tmpfs on " << dir.path() << ": " << std::strerror(fs.error()));
  return false;
}

// Writes a file in `dir` until the disk is full.
void fill_disk(const TempDir& dir) {
  std::ofstream filler(dir.file("filler"), std::ios::binary);
  const std::string block(4096, 'x');
  while (filler.write(block.data(), block.size())) {
  }
}

}  // namespace

TEST_CASE("opening a database on a full disk says the disk is full, naming the file", "[db]") {
  TempDir dir;
  TinyTmpfs fs(dir.path().string(), "1m");
  if (!mount_or_skip(fs, dir)) return;
  const std::string path = dir.file("iotmap.db");
  { Store store(path); }
  fill_disk(dir);
  // The -shm file cannot get its first page: SQLite says "disk I/O error" for that.
  CHECK_THROWS_WITH(Store(path), Catch::StartsWith(path + ": ") &&
                                     Catch::Contains("the disk is full") &&
                                     !Catch::Contains("I/O error"));
}

TEST_CASE("a database on a read-only mount can be checked, and is not changed", "[db]") {
  TempDir dir;
  TinyTmpfs fs(dir.path().string(), "4m");
  if (!mount_or_skip(fs, dir)) return;
  const std::string path = dir.file("iotmap.db");
  { Store(path).add_resolutions(batch(0)); }
  REQUIRE(fs.remount_read_only());
  Database db(path, {.read_only = true});
  CheckReport report = check(db);
  CHECK(report.ok());
  CHECK(report.schema_version == latest_version());
  auto resolutions = std::find_if(report.row_counts.begin(), report.row_counts.end(),
                                  [](const auto& tc) { return tc.first == "resolutions"; });
  REQUIRE(resolutions != report.row_counts.end());
  CHECK(resolutions->second == 100);
  CHECK_FALSE(std::filesystem::exists(path + "-wal"));
  // The command as an operator runs it.
  const std::string command = std::string(IOTMAP_BINARY) + " --db '" + path + "' db check 2>&1";
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  INFO(out);
  CHECK(status == 0);
  CHECK_THAT(out, Catch::Contains("check: ok"));
}

TEST_CASE("a full disk fails with a clear error and keeps what was committed", "[db]") {
  TempDir dir;
  TinyTmpfs fs(dir.path().string(), "1m");
  if (!mount_or_skip(fs, dir)) return;
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
  CHECK_THAT(error, Catch::StartsWith(path + ": ") && Catch::Contains("the disk is full"));
  REQUIRE(committed > 0);

  // Reopen on the still-full disk: every committed batch is there, nothing of the failed one.
  Store again(path);
  int64_t stored = -1;
  Statement(again.database(), "SELECT count(*) FROM resolutions").each([&](Statement& s) {
    stored = s.int64(0);
  });
  CHECK(stored == static_cast<int64_t>(committed));
}
