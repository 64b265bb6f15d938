// The TLS grabber: an OpenSSL client that accepts any certificate (nothing is verified: the
// scanner records what servers present, it trusts none of it), keeps the whole chain as sent,
// and notices when the server asks for a client certificate. Sockets and events are the
// engine's; this file only configures OpenSSL and reads what a session learnt.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/handle.h"
#include "scanner/grab.h"

namespace iotmap::scanner {

using SslCtx = Handle<SSL_CTX, SSL_CTX_free>;
using Ssl = Handle<SSL, SSL_free>;

// How far a TLS handshake goes.
enum class TlsMode : uint8_t {
  kFull,         // to the end: needed before an application probe
  kCertificate,  // stopped once the server's Certificate message has arrived
};

// Where TlsMode::kCertificate ends the handshake. kBeforeDecoding: the message callback spoils
// the Certificate message in the buffer OpenSSL 3.0 is about to parse. kAfterDecoding: the
// callback only reads the chain, as it must when an OpenSSL hands it a copy, and the verify
// callback ends the handshake once OpenSSL has decoded the chain. Only tests choose
// kAfterDecoding: it runs that fallback on an OpenSSL where the first way works.
enum class CertificateStop : uint8_t { kBeforeDecoding, kAfterDecoding };

std::string_view to_string(TlsMode m);  // "full", "cert"
std::optional<TlsMode> parse_tls_mode(std::string_view text);

// A client context for scanning: TLS 1.0 to 1.3 (old servers still hand out certificates),
// every cipher OpenSSL has (security level 0), no certificate verification, no session reuse
// (each connection must see the certificate), at most `max_bytes` of certificate chain.
// The chain is captured during the handshake, so it is kept even when the handshake then fails
// (a server that demands a client certificate sends its own first).
// With TlsMode::kCertificate the client reads the chain out of the server's Certificate message
// and ends the handshake there, with a decode_error alert: no certificate decoding, signature
// check or Finished on our side (see tls.cpp for why that is most of a grab's CPU). The session
// then carries `stopped_at_certificate`.
SslCtx make_scan_context(uint64_t max_bytes, TlsMode mode = TlsMode::kFull,
                         CertificateStop stop = CertificateStop::kBeforeDecoding);

// The certificates (DER, in the order sent) of a Certificate handshake message `msg` (4-byte
// header included), TLS 1.3 layout when `tls13`. Returns the offset in `msg` of the 3-byte
// certificate list length, or nothing (and `chain` untouched) unless the message is well formed
// with at least one certificate.
std::optional<size_t> read_certificate_message(std::string_view msg, bool tls13,
                                               std::vector<std::string>& chain);

// "h2", "http/1.1" -> the length-prefixed ALPN wire form; names longer than 255 are dropped.
std::string alpn_wire(const std::vector<std::string>& protocols);

// A client session on a connected socket. `result` must outlive the session: the callbacks
// write its `chain` and `client_cert_requested`. `sni` may be empty (no server_name sent).
Ssl new_scan_session(SSL_CTX* ctx, int fd, std::string_view sni, std::string_view alpn_wire,
                     GrabResult* result);

// Version, cipher and ALPN of an established session into `result` (of a session stopped at the
// certificate: as far as the server's messages before it gave them); the chain too when the
// capture callback did not run.
void read_session(SSL* ssl, GrabResult& result);

// Bytes read from the socket so far, TLS records included.
uint64_t bytes_read(SSL* ssl);

// Why an SSL call failed, in OpenSSL's words, then clears the thread's error queue.
std::string tls_error_text(SSL* ssl, int ret);

}  // namespace iotmap::scanner
