// When to try a download again and how long to wait first: pure functions of an attempt's
// outcome, so that the policy is tested without a server (tests/unit/fetch_retry_test.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace iotmap::fetch {

struct RetryPolicy {
  int retries = 4;            // attempts after the first
  int64_t backoff_ms = 2000;  // wait before the first retry; doubled for each further one
  int64_t backoff_max_ms = 120000;
  int64_t retry_after_max_s = 900;  // a server asking for a longer pause fails the download
};

// What one attempt came to.
struct AttemptOutcome {
  enum class Kind {
    ok,            // 2xx, body complete
    not_modified,  // 304 to a conditional request
    http_error,    // a status that is neither 2xx nor 304
    transient,     // network trouble worth another try: refused, reset, timeout, stall, cut short
    fatal,         // trying again cannot help: bad URL, TLS verification, size cap, local I/O
  } kind = Kind::ok;
  long status = 0;
  std::optional<int64_t> retry_after_s;  // from a Retry-After header
  bool idempotent = true;                // false for a POST that creates something
};

struct Decision {
  bool retry = false;
  int64_t delay_ms = 0;
  std::string why;      // when retrying: "Retry-After 2 s" or "back-off"
  std::string give_up;  // when not retrying a retryable error: why not ("gave up after 5 attempts")
};

// `attempt` counts from 0 (the first try). `jitter` in [0, 1) scales the back-off between half
// and all of it, so that many clients do not retry in step.
Decision decide(const AttemptOutcome& o, int attempt, const RetryPolicy& p, double jitter);

// Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3), relative to `now` (Unix
// seconds). nullopt when the value is neither; a date in the past gives 0.
std::optional<int64_t> parse_retry_after(std::string_view value, int64_t now);

// An HTTP-date (IMF-fixdate, RFC 850 or asctime) as Unix seconds; nullopt when malformed.
std::optional<int64_t> parse_http_date(std::string_view value);

}  // namespace iotmap::fetch
