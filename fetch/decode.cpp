#include "fetch/decode.h"

#include <lzma.h>
#include <zlib.h>

#include <stdexcept>
#include <vector>

namespace iotmap::fetch {
namespace {

constexpr size_t kChunk = size_t{64} * 1024;

class Identity : public Decoder {
 public:
  explicit Identity(Out out) : out_(std::move(out)) {}
  void write(const char* d, size_t n) override {
    if (n > 0) out_(d, n);
  }
  void finish() override {}
  Compression kind() const override { return Compression::none; }

 private:
  Out out_;
};

class Gzip : public Decoder {
 public:
  explicit Gzip(Out out) : out_(std::move(out)), buf_(kChunk) {
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw std::runtime_error("cannot start gzip");
  }
  ~Gzip() override { inflateEnd(&z_); }
  void write(const char* d, size_t n) override {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(d));
    z_.avail_in = static_cast<uInt>(n);
    while (z_.avail_in > 0) {
      if (ended_) {
        // Another gzip member follows (gzip files may be concatenated).
        if (inflateReset(&z_) != Z_OK) throw std::runtime_error("corrupt gzip data");
        ended_ = false;
      }
      z_.next_out = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_out = static_cast<uInt>(buf_.size());
      int rc = inflate(&z_, Z_NO_FLUSH);
      size_t got = buf_.size() - z_.avail_out;
      if (got > 0) out_(buf_.data(), got);
      if (rc == Z_STREAM_END) {
        ended_ = true;
      } else if (rc == Z_BUF_ERROR && got == 0) {
        break;
      } else if (rc != Z_OK) {
        throw std::runtime_error(std::string("corrupt gzip data: ") + (z_.msg ? z_.msg : "error"));
      }
    }
  }
  void finish() override {
    // Drain what inflate still holds.
    for (;;) {
      z_.next_in = nullptr;
      z_.avail_in = 0;
      z_.next_out = reinterpret_cast<Bytef*>(buf_.data());
      z_.avail_out = static_cast<uInt>(buf_.size());
      if (ended_) break;
      int rc = inflate(&z_, Z_FINISH);
      size_t got = buf_.size() - z_.avail_out;
      if (got > 0) out_(buf_.data(), got);
      if (rc == Z_STREAM_END) {
        ended_ = true;
        break;
      }
      if (got == 0) throw std::runtime_error("the gzip data ends early (truncated download)");
    }
  }
  Compression kind() const override { return Compression::gzip; }

 private:
  Out out_;
  std::vector<char> buf_;
  z_stream z_{};
  bool ended_ = false;
};

class Xz : public Decoder {
 public:
  explicit Xz(Out out) : out_(std::move(out)), buf_(kChunk) {
    if (lzma_stream_decoder(&s_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
      throw std::runtime_error("cannot start xz");
  }
  ~Xz() override { lzma_end(&s_); }
  void write(const char* d, size_t n) override { run(d, n, LZMA_RUN); }
  void finish() override { run(nullptr, 0, LZMA_FINISH); }
  Compression kind() const override { return Compression::xz; }

 private:
  void run(const char* d, size_t n, lzma_action action) {
    s_.next_in = reinterpret_cast<const uint8_t*>(d);
    s_.avail_in = n;
    for (;;) {
      s_.next_out = reinterpret_cast<uint8_t*>(buf_.data());
      s_.avail_out = buf_.size();
      lzma_ret rc = lzma_code(&s_, action);
      size_t got = buf_.size() - s_.avail_out;
      if (got > 0) out_(buf_.data(), got);
      if (rc == LZMA_STREAM_END) return;
      if (rc == LZMA_BUF_ERROR && action == LZMA_FINISH)
        throw std::runtime_error("the xz data ends early (truncated download)");
      if (rc != LZMA_OK)
        throw std::runtime_error("corrupt xz data (lzma error " + std::to_string(rc) + ")");
      if (action == LZMA_RUN && s_.avail_in == 0 && s_.avail_out != 0) return;
    }
  }
  Out out_;
  std::vector<char> buf_;
  lzma_stream s_ = LZMA_STREAM_INIT;
};

// Waits for the first bytes, then becomes the decoder they call for.
class Sniff : public Decoder {
 public:
  explicit Sniff(Out out) : out_(std::move(out)) {}
  void write(const char* d, size_t n) override {
    if (inner_) return inner_->write(d, n);
    head_.append(d, n);
    if (head_.size() >= 6) choose();
  }
  void finish() override {
    if (!inner_) choose();
    inner_->finish();
  }
  Compression kind() const override { return inner_ ? inner_->kind() : Compression::none; }

 private:
  void choose() {
    static const std::string_view xz_magic(
        "\xFD"
        "7zXZ\0",
        6);
    std::string_view h(head_);
    if (h.size() >= 2 && static_cast<unsigned char>(h[0]) == 0x1f &&
        static_cast<unsigned char>(h[1]) == 0x8b)
      inner_ = make_decoder(Compression::gzip, out_);
    else if (h.substr(0, 6) == xz_magic)
      inner_ = make_decoder(Compression::xz, out_);
    else
      inner_ = make_decoder(Compression::none, out_);
    std::string head = std::move(head_);
    inner_->write(head.data(), head.size());
  }
  Out out_;
  std::string head_;
  std::unique_ptr<Decoder> inner_;
};

}  // namespace

Compression parse_compression(std::string_view t) {
  if (t == "none") return Compression::none;
  if (t == "gzip") return Compression::gzip;
  if (t == "xz") return Compression::xz;
  if (t == "auto") return Compression::sniff;
  throw std::invalid_argument(R"(compression must be "auto", "none", "gzip" or "xz")");
}

const char* compression_name(Compression c) {
  switch (c) {
    case Compression::none:
      return "none";
    case Compression::gzip:
      return "gzip";
    case Compression::xz:
      return "xz";
    case Compression::sniff:
      return "auto";
  }
  return "?";
}

std::unique_ptr<Decoder> make_decoder(Compression c, Decoder::Out out) {
  switch (c) {
    case Compression::gzip:
      return std::make_unique<Gzip>(std::move(out));
    case Compression::xz:
      return std::make_unique<Xz>(std::move(out));
    case Compression::sniff:
      return std::make_unique<Sniff>(std::move(out));
    case Compression::none:
      break;
  }
  return std::make_unique<Identity>(std::move(out));
}

}  // namespace iotmap::fetch
