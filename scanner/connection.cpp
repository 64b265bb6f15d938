#include "scanner/connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "lib/clock.h"

namespace iotmap::scanner {
namespace {

std::string host_for(const GrabResult& r) {
  if (!r.sni.empty()) return r.sni;
  return r.ip.v6 ? "[" + r.ip.str() + "]" : r.ip.str();
}

std::string client_id(uint64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "iotmap-%llx", static_cast<unsigned long long>(step));
  return buf;
}

}  // namespace

Connection::Connection(const ConnectionEnv& env, GrabResult seed, const PortPlan& plan,
                       std::string_view alpn_wire, Done done)
    : env_(env), result_(std::move(seed)), plan_(plan), alpn_(alpn_wire), done_(std::move(done)) {
  result_.app.protocol = plan_.protocol;
}

bool Connection::begin_probe() {
  AppProtocol protocol = plan_.protocol_for(result_.alpn);
  result_.app.protocol = protocol;
  if (protocol == AppProtocol::kNone) {
    finish(Status::kOk);
    return false;
  }
  probe_ = make_probe(protocol,
                      ProbeContext{host_for(result_), client_id(result_.step), env_.user_agent});
  result_.phase = Phase::kProbe;
  state_ = State::kSending;
  return true;
}

Connection::~Connection() {
  // Events go first (they refer to the fd), then the TLS session, then the socket.
  read_ev_.reset();
  write_ev_.reset();
  deadline_ev_.reset();
  ssl_.reset();
}

void Connection::start() {
  started_ = Clock::now();
  result_.started_at = clock_now();
  deadline_ev_.reset(evtimer_new(env_.base, on_deadline, this));
  if (!deadline_ev_) return finish(Status::kLocalError, "evtimer_new failed");
  timeval tv{env_.timeout_ms / 1000, (env_.timeout_ms % 1000) * 1000};
  // libevent counts a timer from the time it cached when this turn of the loop began; a turn
  // busy with handshakes would cut this connection's deadline short by as long as it ran.
  event_base_update_cache_time(env_.base);
  evtimer_add(deadline_ev_.get(), &tv);
  open_socket();
}

void Connection::open_socket() {
  result_.phase = Phase::kConnect;
  // The engine checked the blocklist when it picked the task; check again right here, before
  // the only place a packet can leave, so that no path around the dispatcher can skip it.
  if (env_.policy == nullptr || !env_.policy->allowed(result_.ip))
    return finish(Status::kBlocked, env_.policy == nullptr ? "no policy" : "on the blocklist");

  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  if (result_.ip.v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&addr);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(result_.port);
    std::memcpy(&a->sin6_addr, result_.ip.bytes.data(), 16);
    addr_len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&addr);
    a->sin_family = AF_INET;
    a->sin_port = htons(result_.port);
    std::memcpy(&a->sin_addr, result_.ip.bytes.data(), 4);
    addr_len = sizeof *a;
  }
  fd_.reset(::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_) return finish(Status::kLocalError, std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  read_ev_.reset(event_new(env_.base, fd_.get(), EV_READ, on_io, this));
  write_ev_.reset(event_new(env_.base, fd_.get(), EV_WRITE, on_io, this));
  if (!read_ev_ || !write_ev_) return finish(Status::kLocalError, "event_new failed");

  state_ = State::kConnecting;
  if (::connect(fd_.get(), reinterpret_cast<sockaddr*>(&addr), addr_len) == 0) {
    advance();
  } else if (errno == EINPROGRESS) {
    want(EV_WRITE);
  } else {
    connect_failed(errno);
  }
}

// The server refused every ALPN protocol we offered (nginx does, strictly): one more
// connection without ALPN, within the same deadline, so that its certificate is still seen.
bool Connection::retry_without_alpn() {
  if (alpn_.empty() || retried_) return false;
  retried_ = true;
  alpn_ = {};
  result_.alpn_offered.clear();
  result_.chain.clear();
  result_.client_cert_requested = false;
  result_.stopped_at_certificate = false;
  earlier_bytes_ += socket_bytes();
  close_socket(false);
  open_socket();
  return true;
}

void Connection::close_socket(bool polite) {
  if (!fd_) return;
  if (polite && !peer_closed_ && ssl_ && SSL_is_init_finished(ssl_.get())) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());  // close_notify, not waiting for the peer's
  }
  // Close with RST unless the peer closed first: thousands of grabs per second to one
  // server would otherwise leave as many sockets in TIME_WAIT and run out of ports.
  if (!peer_closed_) {
    linger hard{1, 0};
    setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  }
  ssl_.reset();
  read_ev_.reset();
  write_ev_.reset();
  fd_.reset();
  plain_bytes_ = 0;
}

void Connection::on_io(evutil_socket_t, short, void* self) {
  static_cast<Connection*>(self)->advance();
}

void Connection::on_deadline(evutil_socket_t, short, void* self) {
  auto* c = static_cast<Connection*>(self);
  c->finish(Status::kTimeout, "no complete exchange within " + std::to_string(c->env_.timeout_ms) +
                                  " ms (" + std::string(to_string(c->result_.phase)) + ")");
}

void Connection::want(short what) {
  if ((what & EV_READ) != 0) event_add(read_ev_.get(), nullptr);
  if ((what & EV_WRITE) != 0) event_add(write_ev_.get(), nullptr);
}

void Connection::advance() {
  bool go_on = true;
  while (go_on) {
    switch (state_) {
      case State::kConnecting:
        go_on = step_connect();
        break;
      case State::kHandshake:
        go_on = step_handshake();
        break;
      case State::kSending:
        go_on = step_send();
        break;
      case State::kReceiving:
        go_on = step_receive();
        break;
      case State::kIdle:
      case State::kFinished:
        go_on = false;
        break;
    }
  }
}

void Connection::connect_failed(int err) {
  std::string text = std::string("connect: ") + std::strerror(err);
  switch (err) {
    case ECONNREFUSED:
      return finish(Status::kRefused, text);
    case ETIMEDOUT:
      return finish(Status::kTimeout, text);
    case ECONNRESET:
      return finish(Status::kClosed, text);
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EHOSTDOWN:
    case ENETDOWN:
      return finish(Status::kUnreachable, text);
    default:
      return finish(Status::kLocalError, text);
  }
}

bool Connection::step_connect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == EINPROGRESS || err == EALREADY) {
    want(EV_WRITE);
    return false;
  }
  if (err != 0) {
    connect_failed(err);
    return false;
  }
  if (result_.tls) {
    SSL_CTX* ctx = env_.cert_ctx != nullptr && !plan_.may_probe() ? env_.cert_ctx : env_.ssl_ctx;
    ssl_ = new_scan_session(ctx, fd_.get(), result_.sni, alpn_, &result_);
    if (!ssl_) {
      finish(Status::kLocalError, "SSL_new failed");
      return false;
    }
    result_.phase = Phase::kTls;
    state_ = State::kHandshake;
    return true;
  }
  return begin_probe();
}

bool Connection::step_handshake() {
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_.get());
  if (rc == 1) {
    read_session(ssl_.get(), result_);
    return begin_probe();
  }
  if (result_.stopped_at_certificate) {  // TlsMode::kCertificate: we ended it on purpose
    read_session(ssl_.get(), result_);
    ERR_clear_error();
    finish(Status::kCertOnly);
    return false;
  }
  int err = SSL_get_error(ssl_.get(), rc);
  if (socket_bytes() > env_.max_bytes) {
    finish(Status::kTooMuchData, "more than " + std::to_string(env_.max_bytes) + " bytes");
    return false;
  }
  if (err == SSL_ERROR_WANT_READ) {
    want(EV_READ);
  } else if (err == SSL_ERROR_WANT_WRITE) {
    want(EV_WRITE);
  } else if (ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL &&
             retry_without_alpn()) {
    ERR_clear_error();
  } else {
    finish(Status::kTlsError, tls_error_text(ssl_.get(), rc));
  }
  return false;
}

bool Connection::step_send() {
  while (sent_ < probe_.request.size()) {
    const char* data = probe_.request.data() + sent_;
    size_t left = probe_.request.size() - sent_;
    if (ssl_) {
      ERR_clear_error();
      int rc = SSL_write(ssl_.get(), data, static_cast<int>(left));
      if (rc > 0) {
        sent_ += static_cast<size_t>(rc);
        continue;
      }
      int err = SSL_get_error(ssl_.get(), rc);
      if (err == SSL_ERROR_WANT_WRITE) return want(EV_WRITE), false;
      if (err == SSL_ERROR_WANT_READ) return want(EV_READ), false;
      finish(Status::kClosed, tls_error_text(ssl_.get(), rc));
      return false;
    }
    ssize_t n = ::send(fd_.get(), data, left, MSG_NOSIGNAL);
    if (n > 0) {
      sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return want(EV_WRITE), false;
    finish(Status::kClosed, std::string("send: ") + std::strerror(errno));
    return false;
  }
  state_ = State::kReceiving;
  return true;
}

bool Connection::step_receive() {
  std::string& buf = *env_.scratch;
  for (;;) {
    long n = 0;
    if (ssl_) {
      ERR_clear_error();
      int rc = SSL_read(ssl_.get(), buf.data(), static_cast<int>(buf.size()));
      if (rc <= 0) {
        int err = SSL_get_error(ssl_.get(), rc);
        if (err == SSL_ERROR_WANT_READ) return want(EV_READ), false;
        if (err == SSL_ERROR_WANT_WRITE) return want(EV_WRITE), false;
        if (err == SSL_ERROR_ZERO_RETURN) {
          peer_closed_ = true;
          break;
        }
        finish(Status::kClosed, tls_error_text(ssl_.get(), rc));
        return false;
      }
      n = rc;
    } else {
      ssize_t rc = ::recv(fd_.get(), buf.data(), buf.size(), 0);
      if (rc < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return want(EV_READ), false;
      if (rc < 0) {
        finish(Status::kClosed, std::string("recv: ") + std::strerror(errno));
        return false;
      }
      if (rc == 0) {
        peer_closed_ = true;
        break;
      }
      n = rc;
      plain_bytes_ += static_cast<uint64_t>(rc);
    }
    if (socket_bytes() > env_.max_bytes ||
        received_.size() + static_cast<size_t>(n) > env_.max_bytes) {
      finish(Status::kTooMuchData, "more than " + std::to_string(env_.max_bytes) + " bytes");
      return false;
    }
    received_.append(buf.data(), static_cast<size_t>(n));
    Feed f = probe_.parse(received_, result_.app);
    if (f == Feed::kDone) {
      finish(Status::kOk);
      return false;
    }
    if (f == Feed::kError) {
      finish(Status::kProtocolError, result_.app.error);
      return false;
    }
  }
  // The peer closed before the reply was complete.
  result_.app.error = received_.empty()
                          ? "connection closed without a reply"
                          : "connection closed after " + std::to_string(received_.size()) +
                                " bytes: " + printable(received_, 32);
  finish(Status::kClosed, result_.app.error);
  return false;
}

uint64_t Connection::socket_bytes() const { return ssl_ ? bytes_read(ssl_.get()) : plain_bytes_; }

void Connection::finish(Status status, std::string error) {
  if (state_ == State::kFinished) return;
  state_ = State::kFinished;
  // A server that asked for a client certificate and then ended the session refused us for
  // want of one; that is the finding, not a generic TLS error.
  if (result_.client_cert_requested && (status == Status::kTlsError || status == Status::kClosed)) {
    status = Status::kClientCertRequired;
  }
  result_.status = status;
  result_.error = std::move(error);
  if (status == Status::kOk || status == Status::kCertOnly) result_.phase = Phase::kDone;
  result_.bytes_read = earlier_bytes_ + socket_bytes();
  result_.duration_ms = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count());
  if (read_ev_) event_del(read_ev_.get());
  if (write_ev_) event_del(write_ev_.get());
  if (deadline_ev_) event_del(deadline_ev_.get());
  close_socket(status == Status::kOk);
  ERR_clear_error();
  done_(*this);
}

}  // namespace iotmap::scanner
