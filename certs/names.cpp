#include "certs/names.h"

#include <libpsl.h>

#include <algorithm>
#include <unordered_set>

#include "lib/handle.h"
#include "lib/text.h"

namespace iotmap::certs {
namespace {

// The newest public suffix list available: the system's file when newer than libpsl's
// built-in copy. Loaded once; read-only afterwards, so shared by all threads.
const psl_ctx_t* psl() {
  static const Handle<psl_ctx_t, psl_free> latest(psl_latest(nullptr));
  return latest ? latest.get() : psl_builtin();
}

bool is_label_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '-' || ch == '_';
}

}  // namespace

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return out;
}

std::vector<std::string> names(const Certificate& c) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  auto add = [&](std::string_view raw) {
    // Spaces and tabs only: a CR or LF inside a certificate field is part of its value.
    std::string_view v = trim(raw, " \t");
    if (v.ends_with('.')) v.remove_suffix(1);
    if (v.empty()) return;
    std::string n = ascii_lower(v);
    if (seen.insert(n).second) out.push_back(std::move(n));
  };
  for (const auto& n : c.common_names) add(n);
  for (const auto& n : c.dns_sans) add(n);
  return out;
}

std::vector<std::string> candidate_names(const Certificate& c) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (const auto& n : names(c)) {
    std::string_view v = n;
    if (v.starts_with("*.")) v.remove_prefix(2);
    if (!is_domain_name(v)) continue;
    std::string fqdn = std::string(v) + ".";
    if (seen.insert(fqdn).second) out.push_back(std::move(fqdn));
  }
  return out;
}

bool valid_in_window(const Certificate& c, int64_t from, int64_t to) {
  return c.not_before <= to && c.not_after >= from && c.not_before <= c.not_after;
}

bool valid_on_day(std::optional<int64_t> not_before, std::optional<int64_t> not_after, int64_t t) {
  constexpr int64_t kDay = 86400;
  const int64_t first = (t >= 0 ? t : t - (kDay - 1)) / kDay * kDay, last = first + kDay - 1;
  return (!not_before || *not_before <= last) && (!not_after || *not_after >= first);
}

bool is_domain_name(std::string_view name) {
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  size_t labels = 0;
  std::string_view last;
  while (true) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-' ||
        !std::all_of(label.begin(), label.end(), is_label_char))
      return false;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  bool numeric_tld =
      std::all_of(last.begin(), last.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
  return labels >= 2 && !numeric_tld;
}

std::optional<std::string> registrable_domain(std::string_view name) {
  if (!is_domain_name(name)) return std::nullopt;
  if (name.ends_with('.')) name.remove_suffix(1);
  std::string lower = ascii_lower(name);
  const char* rd = psl_registrable_domain(psl(), lower.c_str());
  if (rd == nullptr) return std::nullopt;
  std::string_view registrable(rd);
  size_t dot = registrable.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  std::string suffix(registrable.substr(dot + 1));
  if (psl_is_public_suffix2(psl(), suffix.c_str(), PSL_TYPE_ANY | PSL_TYPE_NO_STAR_RULE) == 0)
    return std::nullopt;
  return std::string(registrable);
}

}  // namespace iotmap::certs
