// MaxMindGeo against a tiny MaxMind DB written here (format: MaxMind DB spec 2.0): an IPv4
// tree with 198.51.100.0/24 -> Amsterdam, NL and 203.0.113.0/24 -> country only (SG).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "backend_map/geo.h"

using namespace iotmap;
using namespace iotmap::backend_map;

namespace {

using Bytes = std::vector<uint8_t>;

void control(Bytes& out, int type, size_t size) {
  if (type <= 7) {
    out.push_back(uint8_t(type << 5 | size));
  } else {
    out.push_back(uint8_t(size));
    out.push_back(uint8_t(type - 7));
  }
}
void str(Bytes& out, const std::string& s) {
  control(out, 2, s.size());
  out.insert(out.end(), s.begin(), s.end());
}
void uint_be(Bytes& out, int type, uint64_t v, size_t bytes) {
  control(out, type, bytes);
  for (size_t i = bytes; i-- > 0;) out.push_back(uint8_t(v >> (8 * i)));
}
void map(Bytes& out, size_t entries) { control(out, 7, entries); }

// Data record: {"country": {"iso_code": C}} plus {"city": {"names": {"en": CITY}}} when given.
Bytes record(const std::string& city, const std::string& country) {
  Bytes b;
  map(b, city.empty() ? 1 : 2);
  if (!city.empty()) {
    str(b, "city");
    map(b, 1);
    str(b, "names");
    map(b, 1);
    str(b, "en");
    str(b, city);
  }
  str(b, "country");
  map(b, 1);
  str(b, "iso_code");
  str(b, country);
  return b;
}

std::string write_mmdb() {
  struct Net {
    uint32_t base;
    int len;
    Bytes data;
  };
  std::vector<Net> nets = {{0xC6336400u, 24, record("Amsterdam", "NL")},
                           {0xCB007100u, 24, record("", "SG")}};
  // A binary trie over the prefixes; node 0 is the root.
  std::vector<std::pair<int64_t, int64_t>> nodes(1, {-1, -1});  // -1: empty; <= -2: data index
  for (size_t n = 0; n < nets.size(); ++n) {
    size_t node = 0;
    for (int bit = 0; bit < nets[n].len; ++bit) {
      int b = (nets[n].base >> (31 - bit)) & 1;
      int64_t& next = b ? nodes[node].second : nodes[node].first;
      if (bit == nets[n].len - 1) {
        next = -2 - int64_t(n);
        break;
      }
      if (next < 0) next = int64_t(nodes.size());
      size_t child = size_t(next);  // read before push_back invalidates `next`
      if (child == nodes.size()) nodes.push_back({-1, -1});
      node = child;
    }
  }
  const uint64_t node_count = nodes.size();
  Bytes data;
  std::vector<uint64_t> offsets;
  for (const auto& n : nets) {
    offsets.push_back(data.size());
    data.insert(data.end(), n.data.begin(), n.data.end());
  }
  auto value = [&](int64_t r) -> uint64_t {
    if (r == -1) return node_count;
    if (r >= 0) return uint64_t(r);
    return node_count + 16 + offsets[size_t(-2 - r)];
  };
  Bytes file;
  for (const auto& [l, r] : nodes)
    for (uint64_t v : {value(l), value(r)})
      for (int i = 2; i >= 0; --i) file.push_back(uint8_t(v >> (8 * i)));
  file.insert(file.end(), 16, 0);
  file.insert(file.end(), data.begin(), data.end());
  const std::string marker = "\xAB\xCD\xEFMaxMind.com";
  file.insert(file.end(), marker.begin(), marker.end());
  Bytes meta;
  map(meta, 9);
  str(meta, "node_count");
  uint_be(meta, 6, node_count, 4);
  str(meta, "record_size");
  uint_be(meta, 5, 24, 2);
  str(meta, "ip_version");
  uint_be(meta, 5, 4, 2);
  str(meta, "database_type");
  str(meta, "iotmap-test-City");
  str(meta, "languages");
  control(meta, 11, 1);
  str(meta, "en");
  str(meta, "binary_format_major_version");
  uint_be(meta, 5, 2, 2);
  str(meta, "binary_format_minor_version");
  uint_be(meta, 5, 0, 2);
  str(meta, "build_epoch");
  uint_be(meta, 9, 1646006400, 8);
  str(meta, "description");
  map(meta, 1);
  str(meta, "en");
  str(meta, "iotmap unit test");
  file.insert(file.end(), meta.begin(), meta.end());

  auto path = std::filesystem::temp_directory_path() /
              ("iotmap-geo-" + std::to_string(::getpid()) + ".mmdb");
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(file.data()), std::streamsize(file.size()));
  return path.string();
}

}  // namespace

TEST_CASE("MaxMind database lookups", "[backend_map]") {
  const std::string path = write_mmdb();
  {
    MaxMindGeo geo(path);
    auto a = geo.lookup(*IpAddress::parse("198.51.100.70"));
    REQUIRE(a);
    CHECK(a->city == "Amsterdam");
    CHECK(a->country == "NL");
    auto b = geo.lookup(*IpAddress::parse("203.0.113.5"));
    REQUIRE(b);
    CHECK(b->city.empty());
    CHECK(b->country == "SG");
    CHECK_FALSE(geo.lookup(*IpAddress::parse("192.0.2.1")));
    CHECK_FALSE(geo.lookup(*IpAddress::parse("2001:db8::1")));  // an IPv4-only database
    auto fn = geo.as_lookup();
    CHECK(fn(*IpAddress::parse("198.51.100.1"))->country == "NL");
  }
  std::filesystem::remove(path);
}
