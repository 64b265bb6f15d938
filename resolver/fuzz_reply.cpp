// libFuzzer target for the reply parser (resolver/wire.h): any bytes in, a parsed reply or an
// error out; never a crash, a leak or a read outside the input, and never a result that ldns,
// the reference, contradicts (resolver/reply_compare.h). tests/cli/fuzz_resolver.sh
// builds and runs it for a bounded time.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "resolver/reply_compare.h"
#include "resolver/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace iotmap::resolver;
  const std::span<const uint8_t> wire(data, size);
  if (std::string d = parsers_disagree(wire); !d.empty()) {
    std::fprintf(stderr, "fuzz_reply: ldns disagrees: %s\n", d.c_str());
    std::abort();
  }
  ParseOutcome out = parse_reply(wire);
  if (!out.reply) return 0;
  // What the engine does next with a reply: names are compared and may be asked again.
  const ParsedReply& r = *out.reply;
  for (const auto& a : r.answers) {
    if (!a.target.empty()) {
      if (auto n = dns_data_name(a.target)) (void)build_query(*n, r.qtype, r.id, r.ecs_source);
    }
    if (a.address) (void)a.address->str();
  }
  if (r.ecs_source) (void)r.ecs_source->str();
  return 0;
}
