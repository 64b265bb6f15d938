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

void keep_chain(STACK_OF(X509)* chain, GrabResult& r) {
  r.chain.clear();
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    auto der = der_of(sk_X509_value(chain, i));
    if (!der.empty()) r.chain.push_back(std::move(der));
  }
}

// Replaces OpenSSL's chain verification: keep the chain exactly as the server sent it and
// accept it. Skipping path building also saves most of the client's CPU per handshake.
int capture_chain(X509_STORE_CTX* store, void*) {
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 1;
  if (auto* r = result_of(ssl)) {
    if (STACK_OF(X509)* chain = X509_STORE_CTX_get0_untrusted(store)) {
      keep_chain(chain, *r);
    } else if (X509* leaf = X509_STORE_CTX_get0_cert(store)) {
      r->chain = {der_of(leaf)};
    }
  }
  return 1;
}

// The server sent CertificateRequest: note it and go on without a certificate.
int client_cert_requested(SSL* ssl, X509**, EVP_PKEY**) {
  if (auto* r = result_of(ssl)) r->client_cert_requested = true;
  return 0;
}

}  // namespace

SslCtx make_scan_context(uint64_t max_bytes) {
  SslCtx ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return ctx;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SSL_CTX_set_cipher_list(ctx.get(), "ALL:@SECLEVEL=0");
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_cert_verify_callback(ctx.get(), capture_chain, nullptr);
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
  if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl)) r.cipher = SSL_CIPHER_get_name(c);
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
