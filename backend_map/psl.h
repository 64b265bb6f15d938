// Registrable domains (the "second-level domain" of the papers) from the Public Suffix List,
// via libpsl. One context is loaded per process; lookups are cached by the callers per name id.
#pragma once

#include <libpsl.h>

#include <string>
#include <string_view>

#include "lib/handle.h"

namespace iotmap::backend_map {

class Psl {
 public:
  // The newest list on this system (psl_latest: the distribution's file when it is newer than
  // the list built into libpsl), else the built-in one.
  Psl();
  Psl(const Psl&) = delete;
  Psl& operator=(const Psl&) = delete;

  // "a.b.example.co.uk" -> "example.co.uk". A leading "*." is dropped first. When the name is
  // itself a public suffix or has one label, the name itself is returned, so that every name
  // has a domain to compare. `name` must be normalised (lowercase, no trailing dot).
  std::string registrable(std::string_view name) const;
  // True for "com", "co.uk", "compute-1.amazonaws.com" (private section included).
  bool is_public_suffix(std::string_view name) const;

  // Shared by the whole process; loaded on first use.
  static const Psl& system();

 private:
  Handle<psl_ctx_t, psl_free> owned_;
  const psl_ctx_t* ctx_ = nullptr;
};

}  // namespace iotmap::backend_map
