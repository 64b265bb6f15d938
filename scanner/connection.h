// One connection of the engine: TCP connect, TLS handshake, application probe, on one libevent
// loop, under one deadline and one byte cap. A state machine driven by socket readiness; it
// never blocks and never outlives its deadline.
#pragma once

#include <event2/event.h>

#include <chrono>
#include <functional>
#include <string>

#include "ethics/policy.h"
#include "lib/fd.h"
#include "lib/handle.h"
#include "scanner/grab.h"
#include "scanner/targets.h"
#include "scanner/tls.h"

namespace iotmap::scanner {

// What every connection of one worker shares.
struct ConnectionEnv {
  event_base* base = nullptr;
  SSL_CTX* ssl_ctx = nullptr;
  const ethics::Policy* policy = nullptr;  // asked again right before connect()
  int timeout_ms = 8000;                   // the whole exchange
  uint64_t max_bytes = 256 * 1024;         // read from the socket, TLS records included
  std::string user_agent = "iotmap/0.1";
  std::string* scratch = nullptr;  // the worker's read buffer
  // TlsMode::kCertificate, for connections no application probe follows; null: always ssl_ctx.
  SSL_CTX* cert_ctx = nullptr;
};

class Connection {
 public:
  using Done = std::function<void(Connection&)>;

  // `seed` carries ip, port, sni, tls, alpn_offered and step; `alpn_wire` is the plan's ALPN
  // list in wire form. `plan` and `alpn_wire` must outlive the connection.
  Connection(const ConnectionEnv& env, GrabResult seed, const PortPlan& plan,
             std::string_view alpn_wire, Done done);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts the exchange. `done` is called exactly once, possibly before start() returns.
  void start();
  GrabResult& result() { return result_; }

 private:
  enum class State { kIdle, kConnecting, kHandshake, kSending, kReceiving, kFinished };
  using Clock = std::chrono::steady_clock;

  static void on_io(evutil_socket_t, short, void* self);
  static void on_deadline(evutil_socket_t, short, void* self);

  void open_socket();  // connect (again, for a retry) under the running deadline
  void close_socket(bool polite);
  bool retry_without_alpn();
  void advance();
  // Each step returns true to go on with the next state at once, false to wait for an event
  // (already requested) or because the connection finished.
  bool step_connect();
  bool step_handshake();
  bool step_send();
  bool step_receive();
  // Picks the application probe (by the negotiated ALPN) once the channel is up; false when
  // there is none and the connection is finished.
  bool begin_probe();
  void want(short what);
  void connect_failed(int err);
  void finish(Status status, std::string error = {});
  uint64_t socket_bytes() const;

  ConnectionEnv env_;
  GrabResult result_;
  const PortPlan& plan_;
  Probe probe_;
  std::string_view alpn_;
  Done done_;
  State state_ = State::kIdle;
  Clock::time_point started_;
  Fd fd_;  // closed last, after the events and the TLS session that refer to it
  bool peer_closed_ = false;
  bool retried_ = false;
  uint64_t earlier_bytes_ = 0;  // read by an attempt given up for a retry
  uint64_t plain_bytes_ = 0;
  size_t sent_ = 0;
  std::string received_;
  Ssl ssl_;
  Handle<event, event_free> read_ev_, write_ev_, deadline_ev_;
};

}  // namespace iotmap::scanner
