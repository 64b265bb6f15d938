#include "fetch/lines.h"

#include <stdexcept>
#include <vector>

#include "fetch/decode.h"
#include "fetch/sha256.h"

namespace iotmap::fetch {

LineStream for_each_line(std::istream& in, const std::string& name,
                         const std::function<void(std::string_view, uint64_t)>& fn) {
  LineStream st;
  Sha256 digest;
  std::string pending;
  auto line_done = [&](std::string_view line) { fn(line, ++st.lines); };
  // Whole lines straight from each decoded piece; only a line cut by a piece's end is copied.
  auto decoder = make_decoder(Compression::sniff, [&](const char* data, size_t n) {
    std::string_view piece(data, n);
    for (size_t nl; (nl = piece.find('\n')) != std::string_view::npos;) {
      if (pending.empty()) {
        line_done(piece.substr(0, nl));
      } else {
        pending.append(piece.substr(0, nl));
        line_done(pending);
        pending.clear();
      }
      piece.remove_prefix(nl + 1);
    }
    pending.append(piece);
  });
  std::vector<char> buf(1 << 20);
  try {
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      auto n = static_cast<size_t>(in.gcount());
      if (n == 0) continue;
      digest.add(buf.data(), n);
      st.bytes += n;
      decoder->write(buf.data(), n);
    }
    decoder->finish();
  } catch (const std::exception& e) {
    throw std::runtime_error(name + ": " + e.what());
  }
  if (!pending.empty()) line_done(pending);
  st.sha256 = digest.hex();
  return st;
}

}  // namespace iotmap::fetch
