// Shared body of the reply-parser fuzz targets (scanner/fuzz_mqtt.cpp, fuzz_amqp.cpp,
// fuzz_http.cpp): the parser sees the input whole and cut at a few points, as bytes arrive in
// pieces from the network. Besides crashes, leaks and out-of-bounds reads (ASan, UBSan), it
// checks that a verdict reached on a prefix stands once more bytes arrive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scanner/probe.h"

namespace iotmap::scanner {

inline void fuzz_parser(ReplyParser parse, const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  AppResult whole;
  Feed full = parse(all, whole);
  if (full == Feed::kDone && whole.error.empty() && !whole.confirmed) __builtin_trap();
  for (size_t cut : {size_t{1}, size_t{2}, size_t{5}, size_t{8}, size / 2, size - 1}) {
    if (cut == 0 || cut >= size) continue;
    AppResult part;
    Feed f = parse(all.substr(0, cut), part);
    // Done on a prefix: the rest of the input cannot change that.
    if (f == Feed::kDone && full != Feed::kDone) __builtin_trap();
    (void)printable(part.error);
  }
  for (const auto& [k, v] : whole.amqp_properties) (void)printable(k + v);
}

}  // namespace iotmap::scanner
