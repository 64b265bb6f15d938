// libFuzzer target for the passive-DNS line reader (resolver/pdns.h): DNSDB lines reach iotmap
// from files and from the DNSDB API over the network. Any bytes in: every line is a record set,
// a control line or a named error; never a crash, and never a record that breaks what the store
// relies on (a normalised name, times from 1970 to 2099 in order, an address of the type's
// family). tests/cli/fuzz_resolver.sh builds and runs it for a bounded time.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/pdns.h"
#include "resolver/wire.h"

namespace {

void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_pdns: %s: %s\n", what, detail.c_str());
  std::abort();
}

void check_record(const iotmap::resolver::PdnsRecord& r) {
  using iotmap::resolver::dns_data_name;
  auto name = dns_data_name(r.rrname);
  if (!name || *name != r.rrname) fail("rrname not normalised", r.rrname);
  if (r.time_first < 0 || r.time_first > r.time_last || r.time_last >= 4102444800)
    fail("times out of range or order",
         std::to_string(r.time_first) + ".." + std::to_string(r.time_last));
  if (r.rrtype == "A" || r.rrtype == "AAAA") {
    auto ip = iotmap::IpAddress::parse(r.rdata);
    if (!ip || ip->v6 != (r.rrtype == "AAAA") || ip->str() != r.rdata)
      fail("address rdata", r.rrtype + " " + r.rdata);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace iotmap::resolver;
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<PdnsRecord> out;
  std::string error;
  uint64_t lines = 0, bad = 0, values = 0;
  std::istringstream split(text);
  for (std::string line; std::getline(split, line);) {
    ++lines;
    error.clear();
    if (!parse_dnsdb_line(line, out, error)) {
      ++bad;
      if (error.empty()) fail("a malformed line without a reason", line);
      if (!out.empty()) fail("a malformed line left records", line);
      continue;
    }
    for (const auto& r : out) check_record(r);
    values += out.size();
  }
  // The file reader sees the same lines: the same count, the same malformed ones, and (with
  // no filter, not even of types) every value of every record set.
  std::istringstream in(text);
  PdnsFilter every;
  every.rrtypes.clear();
  PdnsStats st = read_dnsdb(in, "fuzz", every, [](const PdnsRecord& r) { check_record(r); });
  if (st.lines != lines || st.malformed != bad || st.kept != values)
    fail("read_dnsdb disagrees with its lines",
         std::to_string(st.kept) + " of " + std::to_string(values) + " values");
  return 0;
}
