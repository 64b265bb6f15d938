// The outcome of one connection (ip, port, SNI): a plain value handed to the caller.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/net.h"
#include "scanner/probe.h"

namespace iotmap::scanner {

// How a connection ended. Exactly one per grab; docs/scan-output.md explains each.
enum class Status : uint8_t {
  kOk,                  // every step we tried completed (the app probe's verdict is in `app`)
  kCertOnly,            // tls_mode cert: chain kept, handshake ended on purpose after it
  kBlocked,             // on the blocklist or opt-out list: no packet was sent
  kRefused,             // TCP connection refused (RST)
  kUnreachable,         // no route, host or network unreachable
  kTimeout,             // the deadline for the whole exchange passed (`phase` says where)
  kClosed,              // the peer closed before the exchange was complete
  kTlsError,            // the TLS handshake failed (alert, not TLS, ...)
  kClientCertRequired,  // the server asked for a client certificate, then failed the session
  kProtocolError,       // the application reply was not the protocol we probed
  kTooMuchData,         // the peer sent more than the byte cap
  kLocalError,          // this host failed (no sockets left, ...)
};

// Where the exchange was when it ended.
enum class Phase : uint8_t { kNone, kConnect, kTls, kProbe, kDone };

std::string_view to_string(Status s);
std::string_view to_string(Phase p);

struct GrabResult {
  uint64_t step = 0;  // position in this shard's scan order
  IpAddress ip;
  uint16_t port = 0;
  std::string sni;  // "" when none was sent
  bool tls = true;
  std::vector<std::string> alpn_offered;
  int64_t started_at = 0;  // Unix seconds
  uint32_t duration_ms = 0;

  Status status = Status::kOk;
  Phase phase = Phase::kNone;
  std::string error;  // detail for any status but kOk (OpenSSL's words, errno text, ...)

  // TLS (empty when the handshake did not get that far).
  std::string tls_version;         // "TLSv1.3"
  std::string cipher;              // OpenSSL's name, "TLS_AES_256_GCM_SHA384"
  std::string alpn;                // negotiated
  std::vector<std::string> chain;  // DER, in the order the server sent them (leaf first)
  bool client_cert_requested = false;
  bool stopped_at_certificate = false;  // we ended the handshake once the chain was read

  AppResult app;
  uint64_t bytes_read = 0;  // from the socket, TLS records included
};

}  // namespace iotmap::scanner
