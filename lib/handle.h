// RAII ownership for C library handles (sqlite3*, SSL*, event_base*, ares_channel, ...).
// Every C handle in iotmap is held by one of these so that no code path can leak it.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>

namespace iotmap {

template <auto Free>
struct CFree {
  template <typename T>
  void operator()(T* p) const noexcept {
    // Handing the pointer to its C free function is what this RAII wrapper is for.
    if (p != nullptr) Free(p);  // NOLINT(cppcoreguidelines-owning-memory)
  }
};

// Handle<sqlite3, sqlite3_close> owns a sqlite3* and closes it once.
template <typename T, auto Free>
using Handle = std::unique_ptr<T, CFree<Free>>;

// Bytes a C library allocated with malloc and handed over (ldns_pkt2wire's buffer).
inline void free_malloced(void* p) noexcept {
  std::free(p);  // NOLINT(cppcoreguidelines-no-malloc,cppcoreguidelines-owning-memory)
}
using MallocBytes = Handle<uint8_t, free_malloced>;

}  // namespace iotmap
