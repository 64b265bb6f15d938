// bench_bulk: writes a synthetic Rapid7 Sonar FDNS file (gzip JSON lines) or reads one for
// address evidence the way `iotmap resolve --bulk` does (fetch/bulk_dns.h into
// resolver::AddressEvidence, with the built-in catalogue's provider lookup), one pass, and
// prints lines per CPU second.
//
//   bench_bulk --write FILE [--lines N]     (default 5,000,000 lines; 1 in 1000 on a candidate)
//   bench_bulk --read FILE
#include <sys/resource.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "config/catalogue.h"
#include "config/config.h"
#include "fetch/bulk_dns.h"

using namespace iotmap;

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Candidate addresses: 198.51.100.0/24 and 203.0.113.0/24; others are 10.x.y.z.
std::string address(uint64_t i) {
  if (i % 1000 == 0) return "198.51.100." + std::to_string(i / 1000 % 250);
  return "10." + std::to_string(i >> 16 & 255) + "." + std::to_string(i >> 8 & 255) + "." +
         std::to_string(i & 255);
}

int write(const std::string& path, uint64_t lines) {
  gzFile gz = gzopen(path.c_str(), "wb6");
  if (!gz) return std::perror(path.c_str()), 1;
  std::string line;
  for (uint64_t i = 0; i < lines; ++i) {
    line = "{\"timestamp\":\"1700000000\",\"name\":\"";
    if (i % 50 == 0) {  // a CNAME, as in Sonar's cname files
      line += "www.site" + std::to_string(i) + ".example.com\",\"type\":\"cname\",\"value\":\"";
      line += "edge" + std::to_string(i % 997) + ".cdn.example.net\"}\n";
    } else if (i % 5000 == 1) {  // a provider name
      line += "a" + std::to_string(i) + "-ats.iot.us-east-1.amazonaws.com\",\"type\":\"a\",";
      line += "\"value\":\"" + address(i - 1) + "\"}\n";
    } else {
      line += "host" + std::to_string(i) + ".site" + std::to_string(i % 100000) + ".example.org";
      line += "\",\"type\":\"a\",\"value\":\"" + address(i) + "\"}\n";
    }
    gzwrite(gz, line.data(), static_cast<unsigned>(line.size()));
  }
  gzclose(gz);
  return 0;
}

int read(const std::string& path) {
  config::Config cfg;
  auto cat = config::Catalogue::load(cfg);
  std::vector<std::string> candidates;
  for (int i = 0; i < 250; ++i) candidates.push_back("198.51.100." + std::to_string(i));
  resolver::AddressEvidence ev([&](const std::string& n) { return cat.match(n).has_value(); },
                               candidates);
  const double t0 = cpu_seconds();
  ev.begin_pass();
  fetch::BulkStats st = fetch::read_bulk(path, 0, INT64_MIN, INT64_MAX,
                                         [&](const resolver::PdnsRecord& r) { ev.see(r); });
  const double cpu = cpu_seconds() - t0;
  std::printf("bench_bulk: %llu lines, %llu records, %zu kept, %.2f s CPU, %.0f lines/s\n",
              static_cast<unsigned long long>(st.lines),
              static_cast<unsigned long long>(st.records), ev.records(), cpu,
              double(st.lines) / cpu);
  return st.malformed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode, path;
  uint64_t lines = 5'000'000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--write" || a == "--read") {
      mode = a;
      path = argv[i + 1];
    } else if (a == "--lines") {
      lines = std::strtoull(argv[i + 1], nullptr, 10);
    }
  }
  if (mode == "--write") return write(path, lines);
  if (mode == "--read") return read(path);
  std::fprintf(stderr, "usage: bench_bulk --write FILE [--lines N] | --read FILE\n");
  return 2;
}
