// The crawler's HTTP client: libcurl easy handles held by RAII (lib/handle.h), one transfer at a
// time, HTTPS only, certificate verification always on. Each request gets connect, total and
// stall timeouts, a size cap, conditional headers (If-None-Match / If-Modified-Since), retries
// with back-off that honour 429/503 Retry-After (fetch/retry.h), and a progress line for large
// bodies. Bodies are streamed into a Sink, never collected in memory unless asked for.
//
// API keys travel only in a request header (X-API-Key, Authorization); requests that carry one
// never follow redirects, since libcurl would send a custom header on to another host.
//
// The loopback guard (HttpSettings::loopback_only, set by IOTMAP_FETCH_LOOPBACK_ONLY=1 in tests)
// refuses any URL whose host is not a loopback address and checks every socket's address
// before it connects, so a test can never reach a real server.
#pragma once

#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fetch/retry.h"
#include "fetch/secret.h"
#include "lib/handle.h"

namespace iotmap::fetch {

struct HttpSettings {
  long connect_timeout_s = 30;
  long timeout_s = 3600;      // one whole attempt
  long stall_timeout_s = 60;  // no byte for this long aborts the attempt
  uint64_t max_bytes = uint64_t{4} << 30;
  std::string ca_file;  // PEM bundle to trust instead of the system's
  std::string user_agent = "iotmap/0.1 (research crawler)";
  bool loopback_only = false;
  uint64_t progress_min_bytes = uint64_t{8} << 20;
  RetryPolicy retry;
};

struct Request {
  std::string url;
  std::string method = "GET";  // GET or POST
  std::string body;            // POST body (JSON)
  std::vector<std::string> headers;
  // An API key header: "<secret_header>: <secret_prefix><key>".
  const Secret* secret = nullptr;
  std::string secret_header;
  std::string secret_prefix;
  std::string etag, last_modified;  // set: a conditional request
  std::string label;                // for the progress line
  uint64_t max_bytes = 0;           // 0: HttpSettings::max_bytes
  bool idempotent = true;           // false: not retried after it may have reached the server
};

struct Response {
  long status = 0;
  std::string etag, last_modified, content_type;
  std::optional<int64_t> retry_after_s;
  std::vector<std::string> rate_limit_headers;  // "X-RateLimit-...: v" lines of the response
  uint64_t bytes = 0;                           // body bytes of the last attempt
  std::string body_head;                        // start of a non-2xx body, for messages (redacted)
  int attempts = 0;
  std::string error;  // why it failed; empty on success
  bool ok() const { return error.empty() && status / 100 == 2; }
  bool not_modified() const { return error.empty() && status == 304; }
};

// Receives a 2xx body. reset() is called before each attempt; write() may throw (disk full,
// corrupt compressed data), which ends the attempt without a retry.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void reset() = 0;
  virtual void write(const char* data, size_t n) = 0;
};

// Collects a small body in memory.
class StringSink : public Sink {
 public:
  void reset() override { text.clear(); }
  void write(const char* d, size_t n) override { text.append(d, n); }
  std::string text;
};

// Splits a body into lines as it arrives (JSON-lines APIs); a last line without '\n' is
// delivered by finish().
class LineSink : public Sink {
 public:
  explicit LineSink(std::function<void(std::string_view)> fn) : fn_(std::move(fn)) {}
  void reset() override;
  void write(const char* d, size_t n) override;
  void finish();

 private:
  std::function<void(std::string_view)> fn_;
  std::string partial_;
};

class HttpClient {
 public:
  using Log = std::function<void(const std::string&)>;
  HttpClient(HttpSettings settings, const Redactor& redact, Log log);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs the request, retrying per the policy. On failure Response::error says why in one line
  // (redacted); the sink's content is then meaningless.
  Response perform(const Request& r, Sink& sink);

  const HttpSettings& settings() const { return s_; }
  // "" when `url` may be fetched under the current settings, else why not.
  std::string refuse_reason(const std::string& url) const;

 private:
  struct Attempt;
  Response attempt_once(const Request& r, Sink& sink, AttemptOutcome& outcome);

  HttpSettings s_;
  const Redactor& redact_;
  Log log_;
  Handle<CURL, curl_easy_cleanup> curl_;
};

// Percent-encodes a URL path segment or query value.
std::string url_escape(std::string_view s);
// Resolves `ref` (absolute, or relative like "2024/01/x.gz" or "/x") against `base`.
std::string resolve_url(const std::string& base, const std::string& ref);

}  // namespace iotmap::fetch
