#include "scanner/tls.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>

namespace iotmap::scanner {
namespace {

GrabResult* result_of(SSL* ssl) { return static_cast<GrabResult*>(SSL_get_app_data(ssl)); }

std::string der_of(X509* cert) {
  int len = i2d_X509(cert, nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<size_t>(len), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  i2d_X509(cert, &p);
  return der;
}

void keep_chain(STACK_OF(X509) * chain, GrabResult& r) {
  r.chain.clear();
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    auto der = der_of(sk_X509_value(chain, i));
    if (!der.empty()) r.chain.push_back(std::move(der));
  }
}

// Replaces OpenSSL's chain verification: keep the chain exactly as the server sent it and
// accept it. Skipping path building also saves most of the client's CPU per handshake.
// With a non-null `stop` (TlsMode::kCertificate, under SSL_VERIFY_PEER) it refuses instead, which
// ends the handshake here: the fallback should the message callback not have stopped it before.
int capture_chain(X509_STORE_CTX* store, void* stop) {
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 1;
  if (auto* r = result_of(ssl)) {
    if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_untrusted(store)) {
      keep_chain(chain, *r);
    } else if (X509* leaf = X509_STORE_CTX_get0_cert(store)) {
      r->chain = {der_of(leaf)};
    }
    if (stop != nullptr && !r->chain.empty()) {
      r->stopped_at_certificate = true;
      return 0;
    }
  }
  return 1;
}

uint32_t get24(std::string_view s, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8) |
         static_cast<unsigned char>(s[at + 2]);
}

// TlsMode::kCertificate: OpenSSL calls this with every handshake message it has read, before it
// processes the message (TLS 1.3 ones decrypted). From the server's Certificate message we take
// the chain ourselves and keep OpenSSL from decoding it: in OpenSSL 3.0 d2i_X509 sets up a
// provider decoder for each certificate's public key, ~1.5M instructions per certificate and
// about 85% of the client's work in a TLS 1.2 grab (callgrind, bench/README.md). The buffer we
// are given is the one OpenSSL parses next, so an impossible certificate list length there makes
// it stop with decode_error before the first d2i_X509; nothing after the Certificate (signature
// check, Finished, key schedule) runs either. Should another OpenSSL hand us a copy, the
// handshake goes on to capture_chain, which stops it after decoding. A null `spoil`
// (CertificateStop::kAfterDecoding) leaves the buffer alone, as if it were that copy.
void on_message(int write_p, int version, int content_type, const void* buf, size_t len, SSL* ssl,
                void* spoil) {
  if (write_p != 0 || content_type != SSL3_RT_HANDSHAKE || len < 4) return;
  auto* r = result_of(ssl);
  if (r == nullptr) return;
  const auto* bytes = static_cast<const unsigned char*>(buf);
  // Under TLS 1.3 a CertificateRequest comes before the Certificate: note it while we can.
  if (bytes[0] == SSL3_MT_CERTIFICATE_REQUEST) r->client_cert_requested = true;
  if (bytes[0] != SSL3_MT_CERTIFICATE) return;
  std::string_view msg(static_cast<const char*>(buf), len);
  auto list_at = read_certificate_message(msg, version == TLS1_3_VERSION, r->chain);
  if (!list_at) return;  // malformed: left to OpenSSL to refuse
  r->stopped_at_certificate = true;
  if (spoil == nullptr) return;
  auto* writable = const_cast<unsigned char*>(bytes);
  writable[*list_at] = writable[*list_at + 1] = writable[*list_at + 2] = 0xff;
}

// The server sent CertificateRequest: note it and go on without a certificate.
int client_cert_requested(SSL* ssl, X509**, EVP_PKEY**) {
  if (auto* r = result_of(ssl)) r->client_cert_requested = true;
  return 0;
}

}  // namespace

std::string_view to_string(TlsMode m) { return m == TlsMode::kCertificate ? "cert" : "full"; }

std::optional<TlsMode> parse_tls_mode(std::string_view text) {
  if (text == "full") return TlsMode::kFull;
  if (text == "cert") return TlsMode::kCertificate;
  return std::nullopt;
}

std::optional<size_t> read_certificate_message(std::string_view msg, bool tls13,
                                               std::vector<std::string>& chain) {
  if (msg.size() < 4 || get24(msg, 1) != msg.size() - 4) return std::nullopt;
  size_t at = 4;
  if (tls13) {  // certificate_request_context
    if (at >= msg.size()) return std::nullopt;
    at += 1 + static_cast<unsigned char>(msg[at]);
  }
  if (at + 3 > msg.size() || get24(msg, at) != msg.size() - at - 3) return std::nullopt;
  const size_t list_at = at;
  at += 3;
  std::vector<std::string> certs;
  while (at < msg.size()) {
    if (at + 3 > msg.size()) return std::nullopt;
    size_t n = get24(msg, at);
    at += 3;
    if (n == 0 || n > msg.size() - at) return std::nullopt;
    certs.emplace_back(msg.substr(at, n));
    at += n;
    if (tls13) {  // per-certificate extensions
      if (at + 2 > msg.size()) return std::nullopt;
      size_t ext = (static_cast<size_t>(static_cast<unsigned char>(msg[at])) << 8) |
                   static_cast<unsigned char>(msg[at + 1]);
      at += 2;
      if (ext > msg.size() - at) return std::nullopt;
      at += ext;
    }
  }
  if (certs.empty()) return std::nullopt;
  chain = std::move(certs);
  return list_at;
}

SslCtx make_scan_context(uint64_t max_bytes, TlsMode mode, CertificateStop where) {
  SslCtx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
  const bool stop = mode == TlsMode::kCertificate;
  SSL_CTX_set_verify(ctx.get(), stop ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx.get(), capture_chain, stop ? ctx.get() : nullptr);
  if (stop) {
    SSL_CTX_set_msg_callback(ctx.get(), on_message);
    SSL_CTX_set_msg_callback_arg(ctx.get(),
                                 where == CertificateStop::kBeforeDecoding ? ctx.get() : nullptr);
  }
  SSL_CTX_set_client_cert_cb(ctx.get(), client_cert_requested);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF |
                                     SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_max_cert_list(ctx.get(), static_cast<long>(max_bytes));
  return ctx;
}

std::string alpn_wire(const std::vector<std::string>& protocols) {
  std::string out;
  for (const auto& p : protocols) {
    if (p.empty() || p.size() > 255) continue;
    out += static_cast<char>(p.size());
    out += p;
  }
  return out;
}

Ssl new_scan_session(SSL_CTX* ctx, int fd, std::string_view sni, std::string_view alpn,
                     GrabResult* result) {
  Ssl ssl(SSL_new(ctx));
  if (!ssl) return ssl;
  SSL_set_app_data(ssl.get(), result);
  SSL_set_fd(ssl.get(), fd);
  SSL_set_connect_state(ssl.get());
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl.get(), std::string(sni).c_str());
  if (!alpn.empty())
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(alpn.data()),
                        static_cast<unsigned>(alpn.size()));
  return ssl;
}

void read_session(SSL* ssl, GrabResult& r) {
  r.tls_version = SSL_get_version(ssl);
  // A TLS 1.2 session stopped at the certificate has chosen its cipher but not switched to it.
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
  if (c == nullptr) c = SSL_get_pending_cipher(ssl);
  if (c != nullptr) r.cipher = SSL_CIPHER_get_name(c);
  const unsigned char* alpn = nullptr;
  unsigned alpn_len = 0;
  SSL_get0_alpn_selected(ssl, &alpn, &alpn_len);
  if (alpn != nullptr) r.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  if (r.chain.empty())
    if (STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl)) keep_chain(chain, r);
}

uint64_t bytes_read(SSL* ssl) { return BIO_number_read(SSL_get_rbio(ssl)); }

std::string tls_error_text(SSL* ssl, int ret) {
  int err = SSL_get_error(ssl, ret);
  int saved_errno = errno;
  std::string text;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text = buf;  // the last one is the most specific
  }
  if (!text.empty()) return text;
  if (err == SSL_ERROR_SYSCALL)
    return saved_errno != 0 ? std::strerror(saved_errno) : "connection closed during TLS";
  if (err == SSL_ERROR_ZERO_RETURN) return "peer sent close_notify";
  return "TLS error " + std::to_string(err);
}

}  // namespace iotmap::scanner
