// API keys (DNSDB, RIPE Atlas): read from the environment or a key file, handed to libcurl as a
// request header and nowhere else. A Secret has no way to be printed; every message the crawler
// prints or stores passes through Redactor, which replaces any known key with "[redacted]" in
// case a server echoes it back in an error body.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace iotmap::fetch {

class Secret {
 public:
  // The key from environment variable `env` when it is set and not empty, else the first line
  // of `file` (when `file` is not empty). nullopt when neither gives a key; `*error` then says
  // why (without the key). A key file readable by group or others is refused: it is a secret.
  static std::optional<Secret> load(const std::string& env, const std::string& file,
                                    std::string* error);
  explicit Secret(std::string value) : value_(std::move(value)) {}
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  ~Secret();

  // The key itself: only for building the request header.
  const std::string& reveal() const { return value_; }

 private:
  std::string value_;
};

// Replaces every registered secret (and its URL-encoded form) in a text.
class Redactor {
 public:
  Redactor() = default;
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;
  ~Redactor();
  void add(const Secret& s);
  std::string operator()(std::string text) const;

 private:
  std::vector<std::string> values_;
};

}  // namespace iotmap::fetch
