// libFuzzer target: the IPFIX reader (detect/ipfix.h, libfixbuf underneath) on arbitrary bytes,
// as an IPFIX file given to `iotmap detect` would bring them. Run by tests/cli/fuzz_detect.sh.
#include <cstdint>
#include <cstdio>
#include <string>

#include "detect/ipfix.h"
#include "lib/handle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;  // fmemopen refuses an empty buffer
  std::string copy(reinterpret_cast<const char*>(data), size);
  iotmap::Handle<FILE, ::fclose> f(fmemopen(copy.data(), copy.size(), "rb"));
  if (!f) return 0;
  uint64_t emitted = 0;
  auto stats =
      iotmap::detect::read_ipfix(f.get(), "fuzz", [&](const iotmap::detect::Flow&) { ++emitted; });
  // Every flow handed out is counted, and every record is either a flow, an options record or
  // a problem: a reader that lost track of either would be a finding.
  if (stats.flows != emitted || stats.flows > stats.lines) __builtin_trap();
  return 0;
}
