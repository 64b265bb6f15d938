#include "src/cli.h"

#include <cmath>
#include <cstdio>
#include <iostream>

#include "db/store.h"
#include "lib/atomic_file.h"
#include "lib/date.h"

namespace iotmap::cli {

void write_output(const std::optional<std::string>& output, const std::string& text) {
  if (output) return write_file_atomically(*output, text);
  std::cout << text << std::flush;
  if (!std::cout) throw std::runtime_error("cannot write to standard output");
}

int32_t date_option(const std::string& flag, const std::string& text) {
  auto day = parse_date(text);
  if (!day) throw UsageError(flag + " wants a date that exists, YYYY-MM-DD, not '" + text + "'");
  return *day;
}

int64_t hour_option(const std::string& flag, const std::string& text) {
  auto hour = parse_hour(text);
  if (!hour)
    throw UsageError(flag + " wants an hour that exists, YYYY-MM-DDTHH (UTC), not '" + text + "'");
  return *hour;
}

namespace {

std::string shortest(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

double real_option(const std::string& flag, const std::string& text, double lo, double hi) {
  double v = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, v);
  // `!(lo <= v && v <= hi)` is also true for NaN, which passes `v < lo || v > hi`.
  if (text.empty() || ec != std::errc() || stop != end || !std::isfinite(v) ||
      !(lo <= v && v <= hi))
    throw UsageError(flag + " wants a number from " + shortest(lo) + " to " + shortest(hi) +
                     ", not '" + text + "'");
  return v;
}

bool Args::flag(const std::string& name) {
  for (auto it = argv_.begin(); it != argv_.end(); ++it) {
    if (*it == "--") break;
    if (*it == name) {
      argv_.erase(it);
      return true;
    }
  }
  return false;
}

std::optional<std::string> Args::option(const std::string& name) {
  auto all = options(name);
  if (all.size() > 1) throw UsageError(name + " given more than once");
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::vector<std::string> Args::options(const std::string& name) {
  std::vector<std::string> out;
  for (size_t i = 0; i < argv_.size();) {
    const std::string& a = argv_[i];
    if (a == "--") break;
    if (a == name) {
      if (i + 1 >= argv_.size()) throw UsageError(name + " needs a value");
      out.push_back(argv_[i + 1]);
      argv_.erase(argv_.begin() + static_cast<long>(i), argv_.begin() + static_cast<long>(i) + 2);
    } else if (a.rfind(name + "=", 0) == 0) {
      out.push_back(a.substr(name.size() + 1));
      argv_.erase(argv_.begin() + static_cast<long>(i));
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<std::string> Args::positionals() {
  std::vector<std::string> out;
  bool rest = false;
  for (const auto& a : argv_) {
    if (!rest && a == "--") {
      rest = true;
    } else if (!rest && a.size() > 1 && a[0] == '-') {
      throw UsageError("unknown option " + a);
    } else {
      out.push_back(a);
    }
  }
  argv_.clear();
  return out;
}

const config::Config& Context::config() {
  if (!config_) config_ = config::load(config_file);
  return *config_;
}

std::string Context::db_path() { return db_file ? *db_file : config().db_path; }

void Context::track_run(const std::string& db_path, int64_t id) { runs_.emplace_back(db_path, id); }

void Context::fail_unfinished_runs(const std::string& why) noexcept {
  for (const auto& [path, id] : runs_) {
    try {
      db::Store store(path);
      auto run = store.run(id);
      if (run && run->status == "running") store.finish_run(id, "failed", run->counts, why);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "iotmap: could not mark run #%lld failed: %s\n",
                   static_cast<long long>(id), e.what());
    }
  }
  runs_.clear();
}

int not_built(const char* command, const char* what) {
  std::fprintf(stderr, "iotmap %s: %s is not built yet; nothing was done\n", command, what);
  return kNotBuilt;
}

}  // namespace iotmap::cli
