// libFuzzer target for the bulk forward-DNS line reader (fetch/bulk_dns.h): Sonar FDNS, zdns
// and massdns files come from the network. Any bytes in: every line gives A, AAAA and CNAME
// records or a named error; never a crash, and never a record that breaks what the address
// evidence relies on (normalised names, an address of the type's family in canonical form,
// one time per line that is the line's own or, only when it has none, the default).
// tests/cli/fuzz_fetch.sh builds and runs it for a bounded time.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "fetch/bulk_dns.h"
#include "lib/net.h"
#include "resolver/wire.h"

namespace {

using iotmap::resolver::PdnsRecord;

// Two defaults: a record whose time follows the default stood for a missing timestamp.
constexpr int64_t kDefaultA = 1600000000, kDefaultB = 1700000000;
// What parse_time can give: Unix seconds of up to 12 digits, or a date of years 0000-9999 with
// an offset of less than a day.
constexpr int64_t kEarliest = -62167219200 - 86400, kLatest = 999999999999;

void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz_bulk: %s: %s\n", what, detail.c_str());
  std::abort();
}

void check_name(const char* what, const std::string& name) {
  auto normal = iotmap::resolver::dns_data_name(name);
  if (!normal || *normal != name) fail(what, name);
}

void check_record(const PdnsRecord& r) {
  check_name("owner name not normalised", r.rrname);
  if (r.rrtype == "CNAME") {
    check_name("CNAME target not normalised", r.rdata);
  } else if (r.rrtype == "A" || r.rrtype == "AAAA") {
    auto ip = iotmap::IpAddress::parse(r.rdata);
    if (!ip || ip->v6 != (r.rrtype == "AAAA") || ip->str() != r.rdata)
      fail("address rdata", r.rrtype + " " + r.rdata);
  } else {
    fail("a type other than A, AAAA, CNAME", r.rrtype);
  }
  if (r.time_first != r.time_last)
    fail("a bulk record spans time",
         std::to_string(r.time_first) + ".." + std::to_string(r.time_last));
}

// The same line read with the two defaults: the same records, all at one time, which is the
// default (each run's own) or a timestamp parse_time can give (the same in both runs).
void check_times(const std::vector<PdnsRecord>& a, const std::vector<PdnsRecord>& b) {
  if (a.size() != b.size()) fail("the default time changed the records", "");
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].rrname != b[i].rrname || a[i].rrtype != b[i].rrtype || a[i].rdata != b[i].rdata)
      fail("the default time changed a record", a[i].rrname);
    const int64_t ta = a[i].time_first, tb = b[i].time_first;
    if (ta != a[0].time_first) fail("one line, two times", a[i].rrname);
    const bool defaulted = ta == kDefaultA && tb == kDefaultB;
    const bool own = ta == tb && ta >= kEarliest && ta <= kLatest;
    if (!defaulted && !own) fail("time", std::to_string(ta) + " / " + std::to_string(tb));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<PdnsRecord> a, b;
  std::string error_a, error_b;
  std::istringstream split(text);
  for (std::string line; std::getline(split, line);) {
    error_a.clear();
    error_b.clear();
    const bool ok_a = iotmap::fetch::parse_bulk_line(line, kDefaultA, a, error_a);
    const bool ok_b = iotmap::fetch::parse_bulk_line(line, kDefaultB, b, error_b);
    if (ok_a != ok_b || error_a != error_b) fail("the default time changed the verdict", line);
    if (!ok_a) {
      if (error_a.empty()) fail("a malformed line without a reason", line);
      continue;  // read_bulk drops whatever a malformed line left
    }
    for (const auto& r : a) check_record(r);
    check_times(a, b);
  }
  return 0;
}
