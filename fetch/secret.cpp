#include "fetch/secret.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "fetch/http.h"
#include "lib/text.h"

namespace iotmap::fetch {

std::optional<Secret> Secret::load(const std::string& env, const std::string& file,
                                   std::string* error) {
  if (!env.empty()) {
    if (const char* v = std::getenv(env.c_str()); v != nullptr && *v != '\0') {
      std::string key(trim(v));
      if (!key.empty()) return Secret(std::move(key));
    }
  }
  if (file.empty()) {
    if (error) *error = "no API key: set " + (env.empty() ? "a key_file" : env + " or a key_file");
    return std::nullopt;
  }
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (error) *error = "cannot read the key file " + file;
    return std::nullopt;
  }
  if ((st.st_mode & 077) != 0) {
    if (error) *error = "the key file " + file + " is readable by group or others (chmod 600 it)";
    return std::nullopt;
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line) || trim(line).empty()) {
    if (error) *error = "the key file " + file + " holds no key";
    return std::nullopt;
  }
  std::string key(trim(line));
  OPENSSL_cleanse(line.data(), line.size());
  return Secret(std::move(key));
}

Secret::~Secret() {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
}

Redactor::~Redactor() {
  for (auto& v : values_) OPENSSL_cleanse(v.data(), v.size());
}

void Redactor::add(const Secret& s) {
  if (s.reveal().empty()) return;
  values_.push_back(s.reveal());
  std::string enc = url_escape(s.reveal());
  if (enc != s.reveal()) values_.push_back(enc);
}

std::string Redactor::operator()(std::string text) const {
  for (const auto& v : values_) {
    for (auto at = text.find(v); at != std::string::npos; at = text.find(v, at))
      text.replace(at, v.size(), "[redacted]");
  }
  return text;
}

}  // namespace iotmap::fetch
