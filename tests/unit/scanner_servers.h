// In-process servers for the scanner's tests, on loopback (127.0.0.0/8, ::1) or, for the lab
// tests, inside the lab's network namespace:
// TLS with and without SNI, MQTT/AMQP/HTTP answers, and the misbehaving ones (silent, trickling,
// garbage, flooding, demanding a client certificate). Each server is a thread with a blocking
// accept loop and one thread per connection; the destructor stops and joins them all.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "lib/handle.h"

namespace scanner_test {

using iotmap::Handle;

// A self-signed certificate and its key, made in the test.
struct TestCert {
  Handle<X509, X509_free> cert;
  Handle<EVP_PKEY, EVP_PKEY_free> key;
  std::string der;
};

inline TestCert make_cert(const std::string& cn, const std::vector<std::string>& dns_names = {}) {
  TestCert t;
  t.key.reset(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  t.cert.reset(X509_new());
  X509* x = t.cert.get();
  X509_set_version(x, 2);
  static std::atomic<long> serial{1};
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, t.key.get());
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x, name);
  if (!dns_names.empty()) {
    std::string san;
    for (const auto& n : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + n;
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    Handle<X509_EXTENSION, X509_EXTENSION_free> ext(
        X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str()));
    X509_add_ext(x, ext.get(), -1);
  }
  X509_sign(x, t.key.get(), EVP_sha256());
  int len = i2d_X509(x, nullptr);
  t.der.resize(static_cast<size_t>(len));
  auto* p = reinterpret_cast<unsigned char*>(t.der.data());
  i2d_X509(x, &p);
  return t;
}

inline bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// What a server does with one accepted connection. `stop` turns true when the server shuts
// down; handlers that wait must poll it.
using Handler = std::function<void(int fd, const std::atomic<bool>& stop)>;

// Runs `fn` on a thread that first enters the network namespace `netns_fd` (a descriptor of
// /var/run/netns/NAME): sockets it creates belong to that namespace, whichever thread uses
// them later. The calling thread stays where it is.
inline void in_netns(int netns_fd, const std::function<void()>& fn) {
  std::string error;
  std::thread t([&] {
    if (::setns(netns_fd, CLONE_NEWNET) != 0) {
      error = std::string("setns: ") + std::strerror(errno);
      return;
    }
    fn();
  });
  t.join();
  if (!error.empty()) throw std::runtime_error(error);
}

class Server {
 public:
  // Listens on `address` ("127.0.0.1", "::1", "127.0.0.2") at `port` (0: an ephemeral one);
  // with `netns_fd`, inside that network namespace.
  Server(const std::string& address, Handler handler, uint16_t port = 0, int netns_fd = -1)
      : handler_(std::move(handler)) {
    if (netns_fd >= 0) {
      in_netns(netns_fd, [&] { listen_on(address, port); });
    } else {
      listen_on(address, port);
    }
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~Server() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    std::lock_guard lock(mu_);
    for (auto& t : conns_) t.join();
    ::close(fd_);
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  uint16_t port() const { return port_; }
  int accepted() const { return accepted_; }

 private:
  void listen_on(const std::string& address, uint16_t port) {
    bool v6 = address.find(':') != std::string::npos;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (v6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
      a->sin6_family = AF_INET6;
      a->sin6_port = htons(port);
      inet_pton(AF_INET6, address.c_str(), &a->sin6_addr);
      len = sizeof *a;
    } else {
      auto* a = reinterpret_cast<sockaddr_in*>(&ss);
      a->sin_family = AF_INET;
      a->sin_port = htons(port);
      inet_pton(AF_INET, address.c_str(), &a->sin_addr);
      len = sizeof *a;
    }
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd_, 512) != 0)
      throw std::runtime_error("cannot listen on " + address + ": " + std::strerror(errno));
    getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
    port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                     : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }

  void accept_loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted_;
      std::lock_guard lock(mu_);
      conns_.emplace_back([this, c] {
        handler_(c, stop_);
        ::close(c);
      });
    }
  }

  Handler handler_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::thread> conns_;
};

// Waits until the peer closes or the server stops (at most `ms`).
inline void hold_open(int fd, const std::atomic<bool>& stop, int ms = 30000) {
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  char buf[4096];
  while (!stop && std::chrono::steady_clock::now() < until) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
  }
}

// Accepts and never says a word.
inline Handler silent() {
  return [](int fd, const std::atomic<bool>& stop) { hold_open(fd, stop); };
}

// Sends `bytes` one a second.
inline Handler trickle(std::string bytes) {
  return [bytes](int fd, const std::atomic<bool>& stop) {
    for (char b : bytes) {
      if (stop || !send_all(fd, std::string_view(&b, 1))) return;
      for (int i = 0; i < 20 && !stop; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    hold_open(fd, stop);
  };
}

// Answers anything (or nothing) with `reply`, then waits for the peer to close.
inline Handler plain_reply(std::string reply, bool wait_for_request = true) {
  return [reply, wait_for_request](int fd, const std::atomic<bool>& stop) {
    if (wait_for_request) {
      pollfd p{fd, POLLIN, 0};
      while (!stop && ::poll(&p, 1, 50) <= 0) {
      }
      char buf[1024];
      if (::recv(fd, buf, sizeof buf, 0) <= 0) return;
    }
    send_all(fd, reply);
    hold_open(fd, stop);
  };
}

// TLS server settings: a default certificate, optional per-SNI certificates, what to answer
// after the handshake.
struct TlsOptions {
  explicit TlsOptions(const TestCert* c,
                      std::vector<std::pair<std::string, const TestCert*>> names = {},
                      std::string answer = {})
      : cert(c), by_name(std::move(names)), reply(std::move(answer)) {}
  const TestCert* cert = nullptr;
  std::vector<std::pair<std::string, const TestCert*>> by_name;  // SNI -> certificate
  std::vector<const TestCert*> chain;  // sent after each certificate, in this order
  std::string reply;                   // sent after the first request bytes arrive; "" = none
  bool flood = false;                  // after the request, send HTTP headers without end
  bool require_client_cert = false;
  int min_version = TLS1_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string alpn;          // the protocol to select when offered ("" = ignore ALPN)
  bool strict_alpn = false;  // refuse a handshake whose ALPN list lacks `alpn` (as nginx)
};

class TlsServer {
 public:
  TlsServer(const std::string& address, TlsOptions options) : options_(std::move(options)) {
    // A client that resets after its Finished makes our next write (a session ticket) fail;
    // that must be an error return, not a signal that ends the test process.
    std::signal(SIGPIPE, SIG_IGN);
    ctx_ = make_ctx(*options_.cert);
    for (const auto& [name, cert] : options_.by_name) named_.emplace_back(name, make_ctx(*cert));
    SSL_CTX_set_tlsext_servername_callback(ctx_.get(), on_sni);
    SSL_CTX_set_tlsext_servername_arg(ctx_.get(), this);
    server_ = std::make_unique<Server>(
        address, [this](int fd, const std::atomic<bool>& stop) { serve(fd, stop); });
  }
  uint16_t port() const { return server_->port(); }
  int accepted() const { return server_->accepted(); }
  int handshakes() const { return handshakes_; }
  // The description of the last alert a client sent (0: none since the last call), e.g. what it
  // ended a handshake with. The server reads it a moment after the client has gone.
  int take_alert() { return last_alert_.exchange(0); }

 private:
  Handle<SSL_CTX, SSL_CTX_free> make_ctx(const TestCert& c) {
    Handle<SSL_CTX, SSL_CTX_free> ctx(SSL_CTX_new(TLS_server_method()));
    SSL_CTX_use_certificate(ctx.get(), c.cert.get());
    SSL_CTX_use_PrivateKey(ctx.get(), c.key.get());
    for (const TestCert* extra : options_.chain)
      SSL_CTX_add1_chain_cert(ctx.get(), extra->cert.get());
    SSL_CTX_set_min_proto_version(ctx.get(), options_.min_version);
    SSL_CTX_set_max_proto_version(ctx.get(), options_.max_version);
    if (options_.require_client_cert)
      SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    if (!options_.alpn.empty()) {
      SSL_CTX_set_alpn_select_cb(
          ctx.get(),
          [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
             unsigned inlen, void* arg) -> int {
            auto* o = static_cast<TlsOptions*>(arg);
            for (unsigned i = 0; i < inlen; i += 1 + in[i]) {
              if (std::string_view(reinterpret_cast<const char*>(in + i + 1), in[i]) == o->alpn) {
                *out = in + i + 1;
                *outlen = in[i];
                return SSL_TLSEXT_ERR_OK;
              }
            }
            return o->strict_alpn ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_NOACK;
          },
          &options_);
    }
    return ctx;
  }

  static int on_sni(SSL* ssl, int*, void* arg) {
    auto* self = static_cast<TlsServer*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) return SSL_TLSEXT_ERR_OK;
    for (auto& [n, ctx] : self->named_)
      if (n == name) SSL_set_SSL_CTX(ssl, ctx.get());
    return SSL_TLSEXT_ERR_OK;
  }

  void serve(int fd, const std::atomic<bool>& stop) {
    Handle<SSL, SSL_free> ssl(SSL_new(ctx_.get()));
    SSL_set_fd(ssl.get(), fd);
    SSL_set_app_data(ssl.get(), this);
    SSL_set_info_callback(ssl.get(), [](const SSL* s, int where, int ret) {
      if ((where & SSL_CB_READ_ALERT) != 0)
        static_cast<TlsServer*>(SSL_get_app_data(s))->last_alert_ = ret & 0xff;
    });
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int rc = -1;
    for (int tries = 0; tries < 50 && !stop; ++tries) {
      rc = SSL_accept(ssl.get());
      if (rc == 1 || SSL_get_error(ssl.get(), rc) != SSL_ERROR_WANT_READ) break;
    }
    if (rc != 1) {
      ERR_clear_error();
      return;
    }
    ++handshakes_;
    char buf[4096];
    int n = -1;
    for (int tries = 0; tries < 50 && !stop; ++tries) {
      n = SSL_read(ssl.get(), buf, sizeof buf);
      if (n > 0 || SSL_get_error(ssl.get(), n) != SSL_ERROR_WANT_READ) break;
    }
    if (n > 0 && options_.flood) {
      std::string head = "HTTP/1.1 200 OK\r\n";
      SSL_write(ssl.get(), head.data(), static_cast<int>(head.size()));
      std::string chunk;
      while (chunk.size() < 4096) chunk += "X-Padding: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n";
      while (!stop && SSL_write(ssl.get(), chunk.data(), static_cast<int>(chunk.size())) > 0) {
      }
    } else if (n > 0 && !options_.reply.empty()) {
      SSL_write(ssl.get(), options_.reply.data(), static_cast<int>(options_.reply.size()));
    }
    ERR_clear_error();
    hold_open(fd, stop, 5000);
  }

  TlsOptions options_;
  Handle<SSL_CTX, SSL_CTX_free> ctx_;
  std::vector<std::pair<std::string, Handle<SSL_CTX, SSL_CTX_free>>> named_;
  std::atomic<int> handshakes_{0};
  std::atomic<int> last_alert_{0};
  std::unique_ptr<Server> server_;  // last: stops before the contexts go
};

}  // namespace scanner_test
