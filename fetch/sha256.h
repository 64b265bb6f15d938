// SHA-256 of downloads and imported files, as lowercase hex. The downloads themselves are
// written through lib/atomic_file.h.
#pragma once

#include <openssl/evp.h>

#include <cstddef>
#include <string>

#include "lib/handle.h"

namespace iotmap::fetch {

class Sha256 {
 public:
  Sha256();
  void add(const void* data, size_t n);
  std::string hex();  // finishes; call once

 private:
  Handle<EVP_MD_CTX, EVP_MD_CTX_free> ctx_;
};

// sha256 of a whole file, read in blocks; "" when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace iotmap::fetch
