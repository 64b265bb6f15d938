// The crawler's retry policy and Retry-After parsing (fetch/retry.h): pure, no server.
#include <catch2/catch.hpp>

#include "fetch/retry.h"

using namespace iotmap::fetch;
using K = AttemptOutcome::Kind;

namespace {
AttemptOutcome http(long status, std::optional<int64_t> retry_after = std::nullopt,
                    bool idempotent = true) {
  AttemptOutcome o;
  o.kind = K::http_error;
  o.status = status;
  o.retry_after_s = retry_after;
  o.idempotent = idempotent;
  return o;
}
}  // namespace

TEST_CASE("fetch retry: 5xx and network errors back off exponentially, 4xx are final", "[fetch]") {
  RetryPolicy p;
  p.retries = 3;
  p.backoff_ms = 1000;
  p.backoff_max_ms = 3000;
  auto d0 = decide(http(500), 0, p, 1.0);
  CHECK(d0.retry);
  CHECK(d0.delay_ms == 1000);
  CHECK(decide(http(502), 1, p, 1.0).delay_ms == 2000);
  CHECK(decide(http(503), 2, p, 1.0).delay_ms == 3000);  // capped
  CHECK(decide(http(500), 0, p, 0.0).delay_ms == 500);   // jitter: half at least
  auto last = decide(http(500), 3, p, 1.0);
  CHECK_FALSE(last.retry);
  CHECK(last.give_up == "gave up after 4 attempts");
  for (long s : {400L, 401L, 403L, 404L, 410L}) {
    auto d = decide(http(s), 0, p, 0.5);
    CHECK_FALSE(d.retry);
    CHECK(d.give_up.empty());
  }
  AttemptOutcome net;
  net.kind = K::transient;
  CHECK(decide(net, 0, p, 0.5).retry);
  AttemptOutcome fatal;
  fatal.kind = K::fatal;
  CHECK_FALSE(decide(fatal, 0, p, 0.5).retry);
  AttemptOutcome ok;
  CHECK_FALSE(decide(ok, 0, p, 0.5).retry);
}

TEST_CASE("fetch retry: 429 honours Retry-After up to the configured maximum", "[fetch]") {
  RetryPolicy p;
  p.retries = 2;
  p.retry_after_max_s = 60;
  auto d = decide(http(429, 7), 0, p, 0.3);
  CHECK(d.retry);
  CHECK(d.delay_ms == 7000);
  CHECK(d.why == "Retry-After 7 s");
  auto too_long = decide(http(429, 3600), 0, p, 0.3);
  CHECK_FALSE(too_long.retry);
  CHECK(too_long.give_up.find("asks to wait 3600 s") != std::string::npos);
  // 429 without Retry-After backs off; 503 with Retry-After waits as asked.
  CHECK(decide(http(429), 0, p, 1.0).delay_ms == p.backoff_ms);
  CHECK(decide(http(503, 2), 0, p, 1.0).delay_ms == 2000);
}

TEST_CASE("fetch retry: a POST is retried only when the server surely did not process it",
          "[fetch]") {
  RetryPolicy p;
  CHECK_FALSE(decide(http(500, std::nullopt, false), 0, p, 0.5).retry);
  CHECK_FALSE(decide(http(503, std::nullopt, false), 0, p, 0.5).retry);
  CHECK(decide(http(429, 1, false), 0, p, 0.5).retry);
  CHECK(decide(http(503, 1, false), 0, p, 0.5).retry);
  AttemptOutcome cut;
  cut.kind = K::transient;
  cut.idempotent = false;
  CHECK_FALSE(decide(cut, 0, p, 0.5).retry);
}

TEST_CASE("fetch retry: Retry-After as seconds or an HTTP-date", "[fetch]") {
  int64_t now = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
  CHECK(parse_retry_after("120", now) == 120);
  CHECK(parse_retry_after(" 0 ", now) == 0);
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now) == 60);
  CHECK(parse_retry_after("Sunday, 06-Nov-94 08:49:47 GMT", now) == 10);
  CHECK(parse_retry_after("Sun Nov  6 08:49:57 1994", now) == 20);
  CHECK(parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now) == 0);  // past: at once
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("1.5", now));
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("Sun, 06 Nov 1994 08:49:37 CET", now));
  CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == now);
  CHECK_FALSE(parse_http_date("Sun, 32 Nov 1994 08:49:37 GMT"));
  CHECK_FALSE(parse_http_date("Thu, 31 Nov 1994 08:49:37 GMT"));  // November has 30 days
}
