// Streaming decompression of downloads: gzip (CAIDA's pfx2as and as2org) with zlib and xz (the
// IPv6 hitlist) with liblzma. Input arrives in pieces as libcurl delivers it and leaves in
// pieces of at most 64 KiB, so a file of any size never sits in memory whole.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace iotmap::fetch {

enum class Compression { none, gzip, xz, sniff };

// "none", "gzip", "xz", "auto" (= sniff the magic bytes); nullopt-like: throws on others.
Compression parse_compression(std::string_view text);
const char* compression_name(Compression c);

class Decoder {
 public:
  using Out = std::function<void(const char*, size_t)>;
  virtual ~Decoder() = default;
  // Decodes a piece; throws std::runtime_error on corrupt input.
  virtual void write(const char* data, size_t n) = 0;
  // Ends the stream; throws when it stopped in the middle (a truncated archive).
  virtual void finish() = 0;
  // The compression in use (for `sniff`: what the first bytes showed, none until then).
  virtual Compression kind() const = 0;
};

std::unique_ptr<Decoder> make_decoder(Compression c, Decoder::Out out);

}  // namespace iotmap::fetch
