// libFuzzer target for the Certificate message reader of tls_mode cert (scanner/tls.h): the
// first byte picks the TLS 1.2 or 1.3 layout, the rest is the message. Whatever it accepts
// must lie inside the input (the list length it points at and every certificate), since the
// message callback writes at that offset into OpenSSL's buffer. tests/cli/fuzz_scanner.sh
// builds and runs it for a bounded time.
#include <cstdlib>
#include <string_view>

#include "scanner/tls.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view msg(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> chain;
  auto at = iotmap::scanner::read_certificate_message(msg, (data[0] & 1) != 0, chain);
  if (!at) {
    if (!chain.empty()) std::abort();  // a refusal leaves the chain alone
    return 0;
  }
  size_t total = 0;
  for (const auto& c : chain) {
    if (c.empty()) std::abort();
    total += c.size() + 3;
  }
  if (chain.empty() || *at < 4 || *at + 3 + total > msg.size()) std::abort();
  return 0;
}
