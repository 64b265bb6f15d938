#include "resolver/address_evidence.h"

#include <algorithm>

namespace iotmap::resolver {

AddressEvidence::AddressEvidence(IsProvider is_provider,
                                 const std::vector<std::string>& candidate_ips)
    : is_provider_(std::move(is_provider)), ips_(candidate_ips.begin(), candidate_ips.end()) {}

bool AddressEvidence::add_down(const std::string& name) {
  bool fresh = down_.insert(name).second;
  changed_ = changed_ || fresh;
  return fresh;
}

bool AddressEvidence::add_point(const std::string& name, const std::string& ip) {
  auto& ips = points_[name];
  if (std::find(ips.begin(), ips.end(), ip) != ips.end()) return false;
  ips.push_back(ip);
  changed_ = true;
  return true;
}

void AddressEvidence::keep(const std::string& ip, const PdnsRecord& r, const std::string& target) {
  auto [it, fresh] = kept_.try_emplace({ip, r.rrname, r.rrtype, target}, r.time_first, r.time_last);
  if (fresh) return;
  it->second.first = std::min(it->second.first, r.time_first);
  it->second.second = std::max(it->second.second, r.time_last);
}

void AddressEvidence::see(const PdnsRecord& r) {
  const bool address = r.rrtype == "A" || r.rrtype == "AAAA";
  const bool cname = r.rrtype == "CNAME";
  if (!address && !cname) return;
  // A provider name, or a name a provider name's CNAME chain reaches (a CDN edge name): its
  // addresses are candidate addresses.
  bool on_chain = down_.count(r.rrname) > 0;
  if (!on_chain && is_provider_(r.rrname)) {
    add_down(r.rrname);
    on_chain = true;
  }
  if (on_chain && cname) add_down(r.rdata);
  if (on_chain && address && ips_.insert(r.rdata).second) changed_ = true;
  if (address) {
    if (ips_.count(r.rdata) == 0) return;
    keep(r.rdata, r, "");
    add_point(r.rrname, r.rdata);
    return;
  }
  auto it = points_.find(r.rdata);
  if (it == points_.end()) return;
  const std::vector<std::string> ips = it->second;  // add_point may rehash points_
  for (const auto& ip : ips) {
    keep(ip, r, r.rdata);
    add_point(r.rrname, ip);
  }
}

std::vector<db::AddressNameRow> AddressEvidence::rows(const std::string& kind,
                                                      const std::string& source) const {
  std::vector<db::AddressNameRow> out;
  out.reserve(kept_.size());
  for (const auto& [key, t] : kept_) {
    const auto& [ip, name, type, target] = key;
    out.push_back({ip, name, type, target, t.first, t.second, kind, source});
  }
  return out;
}

void ProviderNames::add(const std::string& name, int64_t seen) {
  std::string fqdn = name.ends_with('.') ? name : name + ".";
  if (!is_provider_(fqdn)) return;
  auto [it, added] = last_seen_.try_emplace(std::move(fqdn), seen);
  if (!added) it->second = std::max(it->second, seen);
}

void ProviderNames::see(const PdnsRecord& r) {
  add(r.rrname, r.time_last);
  if (r.rrtype == "CNAME") add(r.rdata, r.time_last);
}

std::vector<std::pair<std::string, int64_t>> ProviderNames::names() const {
  std::vector<std::pair<std::string, int64_t>> out(last_seen_.begin(), last_seen_.end());
  std::sort(out.begin(), out.end());
  return out;
}

AddressImport import_address_evidence(const RecordReader& read_once, int64_t from, int64_t to,
                                      const std::string& kind, const std::string& source,
                                      const config::Catalogue& cat, db::Store& store) {
  AddressEvidence ev([&](const std::string& n) { return cat.match(n).has_value(); },
                     store.candidate_addresses(from, to));
  AddressImport out;
  out.converged = false;
  while (out.passes < AddressImport::kMaxPasses) {
    ev.begin_pass();
    read_once([&](const PdnsRecord& r) { ev.see(r); });
    ++out.passes;
    if (!ev.changed()) {
      out.converged = true;
      break;
    }
  }
  auto rows = ev.rows(kind, source);
  constexpr size_t kBatch = 10000;
  for (size_t i = 0; i < rows.size(); i += kBatch)
    store.upsert_address_names(std::span(rows).subspan(i, std::min(kBatch, rows.size() - i)));
  out.candidate_addresses = ev.candidate_addresses();
  out.records = rows.size();
  return out;
}

RecordReader dnsdb_reader(std::istream& in, const std::string& origin, PdnsFilter filter) {
  filter.name = nullptr;
  return [&in, origin, filter](const std::function<void(const PdnsRecord&)>& fn) {
    in.clear();
    in.seekg(0);
    read_dnsdb(in, origin, filter, fn);
  };
}

}  // namespace iotmap::resolver
