#include "resolver/incremental.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <utility>

#include "db/resolution_status.h"
#include "lib/dns_name.h"

namespace iotmap::resolver {
namespace {

// FNV-1a, 64 bits: a stable digest (unlike std::hash) that needs no library. It only has to
// notice that the catalogue changed; nobody attacks it.
struct Fnv {
  uint64_t h = 14695981039346656037ull;
  void add(const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // a separator that no text byte equals ends each field
  }
};

std::string catalogue_digest(const config::Catalogue& cat) {
  Fnv f;
  for (const auto& p : cat.providers()) {
    f.add("provider " + p.id);
    for (const auto& x : p.patterns) f.add(x);
    for (const auto& filter : p.filters) {
      for (const auto& x : filter.require) f.add("require " + x);
      for (const auto& x : filter.exclude) f.add("exclude " + x);
    }
    for (const auto& r : p.regions) f.add("region " + r.code);
  }
  for (const auto& s : cat.services()) {
    f.add("service " + s.id);
    for (const auto& d : s.domains) f.add(d.pattern + (d.primary ? " primary" : " support"));
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(f.h));
  return buf;
}

}  // namespace

CertCursor cert_cursor(const std::optional<db::RunRecord>& previous) {
  if (!previous) return {};
  auto it = previous->counts.find(kCertObservationCount);
  return {it == previous->counts.end() ? 0 : it->second, previous->info.started_at};
}

std::vector<db::NameRow> cert_name_rows(const config::Catalogue& cat,
                                        const std::vector<db::ObservedCertName>& seen) {
  std::map<std::string, std::pair<int64_t, int64_t>> span;  // name -> (first, last)
  for (const auto& s : seen) {
    std::string_view n = s.name;
    if (n.rfind("*.", 0) == 0) n.remove_prefix(2);
    auto norm = normalise_dns_name(n);
    if (!norm || (*norm)[0] == '*' || !cat.match(*norm)) continue;
    auto [it, fresh] = span.try_emplace(*norm, s.first_seen, s.last_seen);
    if (fresh) continue;
    it->second.first = std::min(it->second.first, s.first_seen);
    it->second.second = std::max(it->second.second, s.last_seen);
  }
  std::vector<db::NameRow> rows;
  for (const auto& [name, t] : span) {
    rows.push_back(catalogue_name_row(cat, name, "cert", t.first));
    if (t.second != t.first) rows.push_back(catalogue_name_row(cat, name, "cert", t.second));
  }
  return rows;
}

std::string pdns_filter_key(const PdnsFilter& filter, const config::Catalogue& cat) {
  std::string types;
  for (const auto& t : filter.rrtypes) types += (types.empty() ? "" : ",") + t;
  return "window=" + std::to_string(filter.from) + ".." + std::to_string(filter.to) +
         " types=" + types + " catalogue=" + catalogue_digest(cat);
}

bool pdns_file_unchanged(const std::optional<db::PdnsFileRow>& stored, const std::string& sha256,
                         const std::string& filter_key) {
  return stored && !sha256.empty() && stored->sha256 == sha256 && stored->filter == filter_key;
}

HourJobs::HourJobs(std::vector<std::string> qtypes, std::vector<std::string> vantages)
    : qtypes_(std::move(qtypes)), vantages_(std::move(vantages)) {}

void HourJobs::add(const db::ResolutionRow& stored) {
  if (db::resolution_unanswered(stored.status)) return;
  auto t = std::find(qtypes_.begin(), qtypes_.end(), stored.qtype);
  auto v = std::find(vantages_.begin(), vantages_.end(), stored.vantage);
  if (t == qtypes_.end() || v == vantages_.end()) return;
  auto& bits = done_[stored.name];
  bits.resize(qtypes_.size() * vantages_.size());
  bits[static_cast<size_t>(t - qtypes_.begin()) * vantages_.size() +
       static_cast<size_t>(v - vantages_.begin())] = true;
}

bool HourJobs::done(const std::string& name, size_t type, size_t vantage) const {
  auto it = done_.find(name);
  return it != done_.end() && it->second[type * vantages_.size() + vantage];
}

bool HourJobs::complete(const std::string& name) const {
  auto it = done_.find(name);
  return it != done_.end() &&
         std::find(it->second.begin(), it->second.end(), false) == it->second.end();
}

uint64_t HourJobs::missing(const std::vector<std::string>& names) const {
  const uint64_t per_name = qtypes_.size() * vantages_.size();
  uint64_t n = 0;
  for (const auto& name : names) {
    auto it = done_.find(name);
    n += it == done_.end()
             ? per_name
             : static_cast<uint64_t>(std::count(it->second.begin(), it->second.end(), false));
  }
  return n;
}

size_t keep_unfinished(const HourJobs& jobs, std::vector<std::string>& names,
                       std::vector<int64_t>& ids) {
  if (jobs.empty()) return 0;
  size_t kept = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (jobs.complete(names[i])) continue;
    // Moving a string onto itself may empty it: a kept name stays where it is until the
    // first dropped one opens a gap.
    if (kept != i) {
      names[kept] = std::move(names[i]);
      if (!ids.empty()) ids[kept] = ids[i];
    }
    ++kept;
  }
  const size_t dropped = names.size() - kept;
  names.resize(kept);
  if (!ids.empty()) ids.resize(kept);
  return dropped;
}

}  // namespace iotmap::resolver
