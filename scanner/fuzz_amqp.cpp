// libFuzzer target for the AMQP reply parser (scanner/probe.h): any bytes in, need-more, a
// result or an error out; never a crash, a leak or a read outside the input.
// tests/cli/fuzz_scanner.sh builds and runs it for a bounded time.
#include "scanner/fuzz_replies.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  iotmap::scanner::fuzz_parser(iotmap::scanner::amqp::parse_reply, data, size);
  return 0;
}
