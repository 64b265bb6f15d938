// The TLS grabber: an OpenSSL client that accepts any certificate (nothing is verified: the
// scanner records what servers present, it trusts none of it), keeps the whole chain as sent,
// and notices when the server asks for a client certificate. Sockets and events are the
// engine's; this file only configures OpenSSL and reads what a session learnt.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/handle.h"
#include "scanner/grab.h"

namespace iotmap::scanner {

using SslCtx = Handle<SSL_CTX, SSL_CTX_free>;
using Ssl = Handle<SSL, SSL_free>;

// A client context for scanning: TLS 1.0 to 1.3 (old servers still hand out certificates),
// every cipher OpenSSL has (security level 0), no certificate verification, no session reuse
// (each connection must see the certificate), at most `max_bytes` of certificate chain.
// The chain is captured during the handshake, so it is kept even when the handshake then fails
// (a server that demands a client certificate sends its own first).
SslCtx make_scan_context(uint64_t max_bytes);

// "h2", "http/1.1" -> the length-prefixed ALPN wire form; names longer than 255 are dropped.
std::string alpn_wire(const std::vector<std::string>& protocols);

// A client session on a connected socket. `result` must outlive the session: the callbacks
// write its `chain` and `client_cert_requested`. `sni` may be empty (no server_name sent).
Ssl new_scan_session(SSL_CTX* ctx, int fd, std::string_view sni, std::string_view alpn_wire,
                     GrabResult* result);

// Version, cipher and ALPN of an established session into `result`; the chain too when the
// capture callback did not run.
void read_session(SSL* ssl, GrabResult& result);

// Bytes read from the socket so far, TLS records included.
uint64_t bytes_read(SSL* ssl);

// Why an SSL call failed, in OpenSSL's words, then clears the thread's error queue.
std::string tls_error_text(SSL* ssl, int ret);

}  // namespace iotmap::scanner
