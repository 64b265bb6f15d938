// AMQP. The client opens with a protocol header; a 0-9-1 server answers with a method frame
// carrying Connection.Start (AMQP 0-9-1 section 4.2.3 frames, 1.2.1 Connection.Start, 4.2.5
// field tables as RabbitMQ's errata define the type letters). A server that speaks another
// version answers with its own protocol header and closes (AMQP 1.0 section 2.2): that header is
// the answer, "1.0.0" (with "-sasl" or "-tls" for the security layers).
#include <cstdio>
#include <cstring>

#include "scanner/probe.h"

namespace iotmap::scanner::amqp {
namespace {

constexpr size_t kMaxFrame = 128 * 1024;
constexpr int kMaxDepth = 4;
constexpr size_t kMaxProperties = 256;
constexpr size_t kMaxValue = 256;  // characters kept of one property value

Feed fail(AppResult& out, std::string why) {
  out.confirmed = false;
  out.error = std::move(why);
  return Feed::kError;
}

// A bounds-checked big-endian reader over one frame's payload.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool ok() const { return ok_; }
  size_t left() const { return data_.size() - pos_; }

  uint64_t uint(size_t bytes) {
    if (!take(bytes)) return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ - bytes + i]);
    return v;
  }
  std::string_view bytes(size_t n) {
    if (!take(n)) return {};
    return data_.substr(pos_ - n, n);
  }
  std::string_view short_string() { return bytes(static_cast<size_t>(uint(1))); }
  std::string_view long_string() { return bytes(static_cast<size_t>(uint(4))); }

 private:
  bool take(size_t n) {
    if (!ok_ || n > left()) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

std::string signed_text(uint64_t raw, size_t bytes) {
  int64_t v = static_cast<int64_t>(raw << (64 - 8 * bytes)) >> (64 - 8 * bytes);
  return std::to_string(v);
}

bool read_table(Reader& r, const std::string& prefix, int depth, AppResult& out);

// Reads one field value of type `type`; appends "key=value" pairs for scalars and recurses
// into tables. Returns false on a malformed value.
bool read_value(Reader& r, char type, const std::string& key, int depth, AppResult& out,
                std::string* text) {
  std::string value;
  switch (type) {
    case 't':
      value = r.uint(1) != 0 ? "true" : "false";
      break;
    case 'b':
      value = signed_text(r.uint(1), 1);
      break;
    case 'B':
      value = std::to_string(r.uint(1));
      break;
    case 's':
    case 'U':
      value = signed_text(r.uint(2), 2);
      break;
    case 'u':
      value = std::to_string(r.uint(2));
      break;
    case 'I':
      value = signed_text(r.uint(4), 4);
      break;
    case 'i':
      value = std::to_string(r.uint(4));
      break;
    case 'l':
      value = signed_text(r.uint(8), 8);
      break;
    case 'L':
    case 'T':
      value = std::to_string(r.uint(8));
      break;
    case 'f': {
      auto bits = static_cast<uint32_t>(r.uint(4));
      float f;
      std::memcpy(&f, &bits, sizeof f);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", static_cast<double>(f));
      value = buf;
      break;
    }
    case 'd': {
      uint64_t bits = r.uint(8);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", d);
      value = buf;
      break;
    }
    case 'D': {
      auto scale = r.uint(1);
      auto digits = r.uint(4);
      value = std::to_string(digits) + "e-" + std::to_string(scale);
      break;
    }
    case 'S':
    case 'x':
      value = printable(r.long_string(), kMaxValue);
      break;
    case 'V':
      break;
    case 'F': {
      if (depth >= kMaxDepth) return false;
      Reader inner(r.long_string());
      if (!r.ok()) return false;
      return read_table(inner, key + ".", depth + 1, out);
    }
    case 'A': {
      if (depth >= kMaxDepth) return false;
      Reader inner(r.long_string());
      if (!r.ok()) return false;
      std::string joined;
      while (inner.ok() && inner.left() > 0) {
        char t = static_cast<char>(inner.uint(1));
        std::string element;
        if (!inner.ok() || !read_value(inner, t, key, depth + 1, out, &element)) return false;
        if (!joined.empty()) joined += ",";
        joined += element;
      }
      value = printable(joined, kMaxValue);
      break;
    }
    default:
      return false;
  }
  if (!r.ok()) return false;
  if (text != nullptr) {
    *text = std::move(value);
  } else if (out.amqp_properties.size() < kMaxProperties) {
    out.amqp_properties.emplace_back(key, std::move(value));
  }
  return true;
}

bool read_table(Reader& r, const std::string& prefix, int depth, AppResult& out) {
  while (r.ok() && r.left() > 0) {
    std::string key = prefix + printable(r.short_string(), kMaxValue);
    char type = static_cast<char>(r.uint(1));
    if (!r.ok() || !read_value(r, type, key, depth, out, nullptr)) return false;
  }
  return r.ok();
}

std::string property(const AppResult& out, std::string_view key) {
  for (const auto& [k, v] : out.amqp_properties)
    if (k == key) return v;
  return {};
}

Feed parse_header(std::string_view received, AppResult& out) {
  if (received.size() < 8) return Feed::kNeedMore;
  auto b = [&](size_t i) { return static_cast<unsigned>(static_cast<uint8_t>(received[i])); };
  char buf[64];
  if (b(4) == 1) {  // the pre-1.0 layout: class 1, instance 1, major, minor (0-8, 0-10)
    std::snprintf(buf, sizeof buf, "%u-%u", b(6), b(7));
  } else {
    std::snprintf(buf, sizeof buf, "%u.%u.%u", b(5), b(6), b(7));
  }
  out.amqp_version = buf;
  if (b(4) == 2) out.amqp_version += "-tls";
  if (b(4) == 3) out.amqp_version += "-sasl";
  if (b(4) == 0 && b(5) == 0 && b(6) == 9 && b(7) == 1) out.amqp_version = "0-9-1";
  out.confirmed = true;
  out.error.clear();
  return Feed::kDone;
}

}  // namespace

std::string protocol_header() { return std::string("AMQP\x00\x00\x09\x01", 8); }

Feed parse_reply(std::string_view received, AppResult& out) {
  out.protocol = AppProtocol::kAmqp;
  if (received.empty()) return Feed::kNeedMore;
  if (received[0] == 'A') {
    auto n = std::min<size_t>(received.size(), 4);
    if (received.substr(0, n) != std::string_view("AMQP").substr(0, n))
      return fail(out, "not an AMQP reply: " + printable(received.substr(0, 16)));
    return parse_header(received, out);
  }
  if (received[0] != 1) return fail(out, "not an AMQP reply: " + printable(received.substr(0, 16)));
  if (received.size() < 7) return Feed::kNeedMore;
  Reader head(received.substr(0, 7));
  head.uint(1);
  auto channel = head.uint(2);
  auto size = static_cast<size_t>(head.uint(4));
  if (channel != 0) return fail(out, "AMQP method frame on channel " + std::to_string(channel));
  if (size > kMaxFrame) return fail(out, "AMQP frame of " + std::to_string(size) + " bytes");
  if (received.size() < 7 + size + 1) return Feed::kNeedMore;
  if (static_cast<uint8_t>(received[7 + size]) != 0xCE)
    return fail(out, "AMQP frame without the frame-end octet");
  Reader r(received.substr(7, size));
  auto class_id = r.uint(2);
  auto method_id = r.uint(2);
  if (!r.ok() || class_id != 10)
    return fail(out, "AMQP method frame of class " + std::to_string(class_id) + ", not Connection");
  out.amqp_version = "0-9-1";
  if (method_id != 10) {
    // Connection.Close (50) and the like: an AMQP server, but not a greeting.
    out.confirmed = true;
    out.error = "Connection method " + std::to_string(method_id) + " instead of Connection.Start";
    return Feed::kDone;
  }
  auto major = r.uint(1);
  auto minor = r.uint(1);
  Reader table(r.long_string());
  if (!r.ok()) return fail(out, "AMQP Connection.Start truncated");
  out.amqp_version = std::to_string(major) + "-" + std::to_string(minor) + (minor == 9 ? "-1" : "");
  if (!read_table(table, "", 0, out)) return fail(out, "AMQP server properties malformed");
  auto mechanisms = r.long_string();
  if (!r.ok()) return fail(out, "AMQP Connection.Start truncated");
  std::string_view rest = mechanisms;
  while (!rest.empty() && out.amqp_mechanisms.size() < 32) {
    auto space = rest.find(' ');
    auto word = rest.substr(0, space);
    if (!word.empty()) out.amqp_mechanisms.push_back(printable(word, kMaxValue));
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
  }
  out.amqp_product = property(out, "product");
  out.amqp_product_version = property(out, "version");
  out.confirmed = true;
  out.error.clear();
  return Feed::kDone;
}

}  // namespace iotmap::scanner::amqp
