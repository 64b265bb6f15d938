// Checked reading of toml++ tables into plain structs, shared by the configuration
// (config/config.cpp) and the provider catalogue (config/catalogue.cpp). Every key is looked up
// in a list of known keys, so that a misspelt key is an error naming file:line and the key
// rather than a setting that silently does nothing.
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "config/config.h"

namespace iotmap::config::toml_walk {

// Throws ConfigError "<origin>:<line>: <key>: <msg>", the line being where `node` starts.
[[noreturn]] inline void fail(const std::string& origin, const toml::node& node,
                              const std::string& key, const std::string& msg) {
  std::ostringstream os;
  os << origin << ":" << node.source().begin.line << ": " << key << ": " << msg;
  throw ConfigError(os.str());
}

// One table's keys, each with a setter that checks the value's type and range.
class Table {
 public:
  // `set_at`, when given, learns "origin:line" of every key applied (key -> where), so that a
  // later check across keys can name the line of each.
  Table(const std::string& origin, const toml::table& t, std::string path,
        std::map<std::string, std::string>* set_at = nullptr)
      : origin_(origin), t_(t), path_(std::move(path)), set_at_(set_at) {}

  using Setter = std::function<void(const toml::node&, const std::string& key)>;
  Table& on(const std::string& key, Setter s) {
    setters_[key] = std::move(s);
    return *this;
  }
  void apply() const {
    for (const auto& [k, v] : t_) {
      std::string key = path_.empty() ? std::string(k.str()) : path_ + "." + std::string(k.str());
      auto it = setters_.find(std::string(k.str()));
      if (it == setters_.end()) fail(origin_, v, key, "unknown key");
      it->second(v, key);
      if (set_at_ != nullptr)
        (*set_at_)[key] = origin_ + ":" + std::to_string(v.source().begin.line);
    }
  }
  // Fails unless the table has `key`.
  void require(const std::string& key) const {
    if (!t_.contains(key)) fail(origin_, t_, path_.empty() ? key : path_ + "." + key, "missing");
  }
  const std::string& origin() const { return origin_; }
  const std::string& path() const { return path_; }

  // Typed setters.
  Setter str(std::string& out) const {
    return [this, &out](const toml::node& n, const std::string& key) {
      auto v = n.value<std::string>();
      if (!n.is_string() || !v) fail(origin_, n, key, "expected a string");
      out = *v;
    };
  }
  Setter boolean(bool& out) const {
    return [this, &out](const toml::node& n, const std::string& key) {
      if (!n.is_boolean()) fail(origin_, n, key, "expected true or false");
      out = *n.value<bool>();
    };
  }
  template <typename T>
  Setter number(T& out, double lo, double hi) const {
    return [this, &out, lo, hi](const toml::node& n, const std::string& key) {
      out = number_value<T>(origin_, n, key, lo, hi);
    };
  }
  Setter strings(std::vector<std::string>& out) const {
    return [this, &out](const toml::node& n, const std::string& key) {
      const auto* arr = n.as_array();
      if (arr == nullptr) fail(origin_, n, key, "expected an array of strings");
      out.clear();
      for (const auto& e : *arr) {
        if (!e.is_string()) fail(origin_, e, key, "expected an array of strings");
        out.push_back(*e.value<std::string>());
      }
    };
  }

  // A number of type T in [lo, hi]; integers are required for integral T.
  template <typename T>
  static T number_value(const std::string& origin, const toml::node& n, const std::string& key,
                        double lo, double hi) {
    if (!n.is_number()) fail(origin, n, key, "expected a number");
    double d = *n.value<double>();
    // Written so that NaN fails too: every comparison with NaN is false.
    if (!(d >= lo && d <= hi)) {
      std::ostringstream os;
      os << std::setprecision(12) << "must be between " << lo << " and " << hi;
      fail(origin, n, key, os.str());
    }
    if constexpr (std::is_integral_v<T>) {
      if (!n.is_integer()) fail(origin, n, key, "expected an integer");
      return static_cast<T>(*n.value<int64_t>());
    } else {
      return static_cast<T>(d);
    }
  }

 private:
  const std::string& origin_;
  const toml::table& t_;
  std::string path_;
  std::map<std::string, std::string>* set_at_;
  std::map<std::string, Setter> setters_;
};

// The whole of the file at `path`; a ConfigError "<path>: cannot open <what>" when it cannot be
// opened. A directory opens as a stream that reads as empty, which would pass for a file that
// sets nothing, so it is refused by name.
inline std::string read_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError(path + ": is a directory, not a " + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot open " + what);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Parses `text` and hands the root table to `apply`; a TOML syntax error becomes a ConfigError
// "<origin>:<line>: <description>".
template <typename F>
void parse(const std::string& text, const std::string& origin, F&& apply) {
  try {
    auto root = toml::parse(text, origin);
    apply(static_cast<const toml::table&>(root));
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << origin << ":" << e.source().begin.line << ": " << e.description();
    throw ConfigError(os.str());
  }
}

}  // namespace iotmap::config::toml_walk
