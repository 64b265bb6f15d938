// libFuzzer target: certificate parsing (DER and PEM) and everything that reads a parsed
// certificate. Any input must give a Certificate or a ParseError; a crash, a sanitizer report or
// a broken invariant below is a finding. Built and run by tests/cli/fuzz_certs.sh.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "certs/certificate.h"
#include "certs/manufacturer.h"
#include "certs/names.h"
#include "certs/providers.h"

using namespace iotmap::certs;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void exercise(const Certificate& c) {
  check(!c.der.empty() && c.sha256.size() == 64);
  // The DER kept is exactly one certificate, and parses to the same thing again.
  auto again = parse_der(c.der);
  check(std::holds_alternative<Certificate>(again) &&
        std::get<Certificate>(again).sha256 == c.sha256);
  // Every string is valid UTF-8: dump() throws otherwise.
  (void)nlohmann::json(c).dump();
  for (const auto& n : candidate_names(c)) check(n.back() == '.' && is_domain_name(n));
  (void)valid_in_window(c, c.not_before, c.not_after);
  auto m = match_manufacturer(c, default_keywords());
  check(!m.device || m.candidate);
  auto matches = match_names(c, [](std::string_view fqdn) -> std::optional<ProviderHit> {
    if (fqdn.size() > 4 && fqdn.ends_with(".io.")) return ProviderHit{"siemens", "", false};
    return std::nullopt;
  });
  (void)matches;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto der = parse_der(std::span(data, size));
  if (auto* c = std::get_if<Certificate>(&der))
    exercise(*c);
  else
    check(!std::get<ParseError>(der).message.empty());

  auto pem = parse_pem(std::string_view(reinterpret_cast<const char*>(data), size));
  if (auto* certs = std::get_if<std::vector<Certificate>>(&pem)) {
    check(!certs->empty());
    for (const auto& c : *certs) exercise(c);
  } else {
    check(!std::get<ParseError>(pem).message.empty());
  }
  return 0;
}
