#include "fetch/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "lib/progress.h"

namespace iotmap::fetch {
namespace {

void free_slist(curl_slist* l) {
  // Header lines may hold an API key: wipe them before libcurl frees them.
  for (curl_slist* p = l; p != nullptr; p = p->next)
    if (p->data != nullptr) OPENSSL_cleanse(p->data, std::strlen(p->data));
  curl_slist_free_all(l);
}
using Slist = Handle<curl_slist, free_slist>;
using Url = Handle<CURLU, curl_url_cleanup>;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  return true;
}

std::string header_value(std::string_view line, size_t name_len) {
  std::string_view v = line.substr(name_len);
  auto a = v.find_first_not_of(" \t");
  if (a == std::string_view::npos) return "";
  auto b = v.find_last_not_of(" \t\r\n");
  return std::string(v.substr(a, b - a + 1));
}

bool is_loopback_host(std::string host) {
  if (host == "localhost") return true;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  in6_addr a6{};
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
  return false;
}

bool is_loopback(const sockaddr* sa) {
  if (sa->sa_family == AF_INET)
    return (ntohl(reinterpret_cast<const sockaddr_in*>(sa)->sin_addr.s_addr) >> 24) == 127;
  if (sa->sa_family == AF_INET6)
    return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr);
  return false;
}

bool transient(CURLcode c) {
  switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
      return true;
    default:
      return false;
  }
}

// The first 200 bytes of an error body, control bytes as spaces, trimmed: enough of a server's
// own words to say why it refused, on one line.
std::string printable_head(std::string_view body_head) {
  std::string head;
  for (char ch : body_head.substr(0, 200)) head.push_back(ch >= 0x20 && ch < 0x7f ? ch : ' ');
  auto b = head.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return head.substr(b, head.find_last_not_of(' ') - b + 1);
}

// The request's header lines; the key's line is wiped when the list is freed (free_slist).
Slist request_headers(const Request& r) {
  Slist headers;
  auto add_header = [&](const std::string& h) {
    curl_slist* l = curl_slist_append(headers.get(), h.c_str());
    if (l == nullptr) throw std::bad_alloc();
    (void)headers.release();
    headers.reset(l);
  };
  for (const auto& h : r.headers) add_header(h);
  if (!r.etag.empty()) add_header("If-None-Match: " + r.etag);
  if (!r.last_modified.empty()) add_header("If-Modified-Since: " + r.last_modified);
  if (r.secret != nullptr) {
    std::string h = r.secret_header + ": " + r.secret_prefix + r.secret->reveal();
    add_header(h);
    OPENSSL_cleanse(h.data(), h.size());
  }
  if (r.method == "POST") add_header("Content-Type: application/json");
  add_header("Expect:");  // no 100-continue round trip for small POST bodies
  return headers;
}

}  // namespace

void LineSink::reset() { partial_.clear(); }

void LineSink::write(const char* d, size_t n) {
  std::string_view in(d, n);
  while (!in.empty()) {
    auto nl = in.find('\n');
    if (nl == std::string_view::npos) {
      partial_.append(in);
      return;
    }
    if (partial_.empty()) {
      fn_(in.substr(0, nl));
    } else {
      partial_.append(in.substr(0, nl));
      fn_(partial_);
      partial_.clear();
    }
    in.remove_prefix(nl + 1);
  }
}

void LineSink::finish() {
  if (!partial_.empty()) fn_(partial_);
  partial_.clear();
}

// The state one transfer's callbacks share.
struct HttpClient::Attempt {
  const HttpSettings* s = nullptr;
  const Request* req = nullptr;
  Sink* sink = nullptr;
  Response* resp = nullptr;
  CURL* curl = nullptr;
  uint64_t cap = 0;
  bool status_known = false;
  bool too_large = false;
  bool guard_refused = false;
  bool stalled = false;
  std::chrono::steady_clock::time_point last_move = std::chrono::steady_clock::now();
  curl_off_t last_dl = -1, last_ul = -1;
  std::string sink_error;
  std::unique_ptr<Progress> progress;
  uint64_t progress_seen = 0;

  static size_t on_header(char* p, size_t size, size_t n, void* ud) {
    auto* a = static_cast<Attempt*>(ud);
    std::string_view line(p, size * n);
    Response& r = *a->resp;
    if (starts_with_ci(line, "http/")) {
      // A new response (after 100 Continue or a redirect): forget the previous headers.
      r.etag.clear();
      r.last_modified.clear();
      r.content_type.clear();
      r.retry_after_s.reset();
      r.rate_limit_headers.clear();
    } else if (starts_with_ci(line, "x-ratelimit-")) {
      r.rate_limit_headers.emplace_back(line.substr(0, line.find_last_not_of("\r\n") + 1));
    } else if (starts_with_ci(line, "etag:")) {
      r.etag = header_value(line, 5);
    } else if (starts_with_ci(line, "last-modified:")) {
      r.last_modified = header_value(line, 14);
    } else if (starts_with_ci(line, "content-type:")) {
      r.content_type = header_value(line, 13);
    } else if (starts_with_ci(line, "retry-after:")) {
      r.retry_after_s = parse_retry_after(header_value(line, 12), std::time(nullptr));
    }
    return size * n;
  }

  static size_t on_body(char* p, size_t size, size_t n, void* ud) {
    auto* a = static_cast<Attempt*>(ud);
    size_t len = size * n;
    if (!a->status_known) {
      curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &a->resp->status);
      a->status_known = true;
    }
    if (a->resp->status / 100 != 2) {
      // An error page: keep its start for the message, drop the rest.
      std::string& head = a->resp->body_head;
      if (head.size() < 300) head.append(p, std::min(len, 300 - head.size()));
      return len;
    }
    a->resp->bytes += len;
    if (a->resp->bytes > a->cap) {
      a->too_large = true;
      return 0;
    }
    try {
      a->sink->write(p, len);
    } catch (const std::exception& e) {
      a->sink_error = e.what();
      return 0;
    }
    return len;
  }

  static int on_progress(void* ud, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t up) {
    auto* a = static_cast<Attempt*>(ud);
    // Stall: no byte in either direction for stall_timeout_s. libcurl's own low-speed check
    // averages over several seconds, so a stall right after a burst would take longer to see.
    auto t = std::chrono::steady_clock::now();
    if (now != a->last_dl || up != a->last_ul) {
      a->last_dl = now;
      a->last_ul = up;
      a->last_move = t;
    } else if (t - a->last_move > std::chrono::seconds(a->s->stall_timeout_s)) {
      a->stalled = true;
      return 1;
    }
    auto min = static_cast<curl_off_t>(a->s->progress_min_bytes);
    if (!a->progress && a->resp->status / 100 <= 2 && (total >= min || now >= min)) {
      a->progress =
          std::make_unique<Progress>(a->req->label.empty() ? "download" : a->req->label,
                                     static_cast<uint64_t>(std::max<curl_off_t>(total, 0)));
    }
    if (a->progress && now > 0 && static_cast<uint64_t>(now) > a->progress_seen) {
      a->progress->add(static_cast<uint64_t>(now) - a->progress_seen);
      a->progress_seen = static_cast<uint64_t>(now);
    }
    return 0;
  }

  static curl_socket_t on_open_socket(void* ud, curlsocktype, curl_sockaddr* addr) {
    auto* a = static_cast<Attempt*>(ud);
    if (a->s->loopback_only && !is_loopback(&addr->addr)) {
      a->guard_refused = true;
      return CURL_SOCKET_BAD;
    }
    return ::socket(addr->family, addr->socktype, addr->protocol);
  }

  // Every option of one transfer, on a handle just reset.
  void configure(curl_slist* headers, char* errbuf) {
    CURL* c = curl;
    const Request& r = *req;
    curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    bool follow = r.secret == nullptr && !s->loopback_only;
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
    if (!s->ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file.c_str());
    if (s->loopback_only) curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_USERAGENT, s->user_agent.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // gzip/deflate on the wire, decoded by curl
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, s->connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, s->timeout_s);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(cap));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &Attempt::on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, this);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Attempt::on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, this);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &Attempt::on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, this);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &Attempt::on_open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, this);
    if (r.method == "POST") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
  }

  // What the finished transfer means for the retry policy; sets the response's error line.
  // `what` is libcurl's own word on rc.
  AttemptOutcome::Kind judge(CURLcode rc, const std::string& what) {
    using K = AttemptOutcome::Kind;
    std::string& error = resp->error;
    if (rc == CURLE_OK) {
      if (resp->status / 100 == 2) return K::ok;
      if (resp->status == 304) return K::not_modified;
      error = "HTTP " + std::to_string(resp->status);
      if (auto head = printable_head(resp->body_head); !head.empty()) error += " (" + head + ")";
      return K::http_error;
    }
    if (guard_refused) {
      error = "refused to connect: IOTMAP_FETCH_LOOPBACK_ONLY allows loopback addresses only";
      return K::fatal;
    }
    if (too_large || rc == CURLE_FILESIZE_EXCEEDED) {
      error = "the body is larger than the size cap of " + std::to_string(cap) + " bytes";
      return K::fatal;
    }
    if (!sink_error.empty()) {
      error = sink_error;
      return K::fatal;
    }
    if (stalled) {
      error =
          "timed out: no data for " + std::to_string(s->stall_timeout_s) + " s (stall_timeout_s)";
      return K::transient;
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      error = "timed out (" + what + ")";
      return K::transient;
    }
    if (rc == CURLE_PARTIAL_FILE) {
      error = "the body was cut short (" + what + ")";
      return K::transient;
    }
    error = what;
    return transient(rc) ? K::transient : K::fatal;
  }
};

HttpClient::HttpClient(HttpSettings settings, const Redactor& redact, Log log)
    : s_(std::move(settings)), redact_(redact), log_(std::move(log)) {
  global_init();
  curl_.reset(curl_easy_init());
  if (!curl_) throw std::runtime_error("cannot start libcurl");
}

HttpClient::~HttpClient() = default;

std::string HttpClient::refuse_reason(const std::string& url) const {
  Url u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK)
    return "not a valid URL";
  char* scheme = nullptr;
  char* host = nullptr;
  std::string sch, h;
  if (curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK) sch = scheme;
  if (curl_url_get(u.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK) h = host;
  curl_free(scheme);
  curl_free(host);
  if (sch != "https") return "only https:// URLs are fetched";
  if (s_.loopback_only && !is_loopback_host(h))
    return "IOTMAP_FETCH_LOOPBACK_ONLY is set and " + h + " is not a loopback address";
  return "";
}

Response HttpClient::attempt_once(const Request& r, Sink& sink, AttemptOutcome& outcome) {
  Response resp;
  outcome = AttemptOutcome{};
  outcome.idempotent = r.idempotent;
  CURL* c = curl_.get();
  curl_easy_reset(c);

  Attempt a;
  a.s = &s_;
  a.req = &r;
  a.sink = &sink;
  a.resp = &resp;
  a.curl = c;
  a.cap = r.max_bytes != 0 ? r.max_bytes : s_.max_bytes;

  Slist headers = request_headers(r);
  char errbuf[CURL_ERROR_SIZE] = {0};
  a.configure(headers.get(), errbuf);
  sink.reset();
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  // The header list (with the key) goes now, not when the next request resets the handle.
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  headers.reset();
  if (a.progress && rc == CURLE_OK) a.progress->finish();
  a.progress.reset();

  outcome.status = resp.status;
  outcome.retry_after_s = resp.retry_after_s;
  outcome.kind = a.judge(rc, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
  return resp;
}

Response HttpClient::perform(const Request& r, Sink& sink) {
  Response resp;
  if (std::string why = refuse_reason(r.url); !why.empty()) {
    resp.error = redact_("refused: " + why);
    return resp;
  }
  static thread_local std::mt19937_64 rng(std::random_device{}());
  for (int n = 0;; ++n) {
    AttemptOutcome outcome;
    resp = attempt_once(r, sink, outcome);
    resp.attempts = n + 1;
    Decision d = decide(outcome, n, s_.retry, std::uniform_real_distribution<>(0, 1)(rng));
    if (outcome.kind == AttemptOutcome::Kind::ok ||
        outcome.kind == AttemptOutcome::Kind::not_modified)
      return resp;
    resp.error = redact_(resp.error);
    if (!d.retry) {
      if (!d.give_up.empty()) resp.error += "; " + d.give_up;
      return resp;
    }
    char delay[32];
    std::snprintf(delay, sizeof delay, "%.1f", static_cast<double>(d.delay_ms) / 1000.0);
    log_(redact_(r.url + ": " + resp.error + "; retrying in " + delay + " s (" + d.why + ")"));
    std::this_thread::sleep_for(std::chrono::milliseconds(d.delay_ms));
  }
}

std::string url_escape(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out.push_back(static_cast<char>(ch));
    } else {
      out.push_back('%');
      out.push_back(hex[ch >> 4]);
      out.push_back(hex[ch & 15]);
    }
  }
  return out;
}

std::string resolve_url(const std::string& base, const std::string& ref) {
  Url u(curl_url());
  if (!u || curl_url_set(u.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(u.get(), CURLUPART_URL, ref.c_str(), 0) != CURLUE_OK)
    return "";
  char* out = nullptr;
  if (curl_url_get(u.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) return "";
  std::string s = out;
  curl_free(out);
  return s;
}

}  // namespace iotmap::fetch
