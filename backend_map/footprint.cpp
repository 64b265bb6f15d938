#include "backend_map/footprint.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace iotmap::backend_map {

namespace {

struct ProvIpDay {
  int32_t provider;
  IpId ip;
  Day day;
  uint8_t sources;
  Verdict exclusive;
};

struct ProvIpRegion {
  int32_t provider;
  IpId ip;
  int32_t region;
};

bool contains(const std::vector<uint32_t>& v, uint32_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

uint32_t popcount8(uint8_t m) { return uint32_t(__builtin_popcount(m)); }

template <typename T>
size_t count_distinct(std::vector<T>& v) {
  std::sort(v.begin(), v.end());
  return size_t(std::unique(v.begin(), v.end()) - v.begin());
}

// Distinct IPv4 addresses covered by `prefixes` (overlaps merged).
uint64_t v4_addresses(const std::vector<Prefix>& prefixes) {
  std::vector<std::pair<uint64_t, uint64_t>> iv;
  for (const auto& p : prefixes) {
    if (p.base.v6) continue;
    uint64_t lo = p.base.v4_value();
    iv.push_back({lo, lo + (uint64_t{1} << (32 - p.length))});
  }
  std::sort(iv.begin(), iv.end());
  uint64_t total = 0, end = 0;
  for (auto [lo, hi] : iv) {
    if (hi <= end) continue;
    total += hi - std::max(lo, end);
    end = hi;
  }
  return total;
}

// The categories present among the announced addresses, in the order DI, PR, other.
std::string strategy_of(const ProviderFootprint& f) {
  std::string out;
  auto add = [&](uint32_t n, const char* name) {
    if (n == 0) return;
    if (!out.empty()) out += '+';
    out += name;
  };
  add(f.di_ips, "DI");
  add(f.pr_ips, "PR");
  add(f.other_ips, "other");
  return out;
}

}  // namespace

Footprint compute_footprint(const Dataset& data, const Classification& cls,
                            const FootprintInputs& in) {
  Footprint out;
  out.first_day = cls.first_day;
  out.last_day = cls.last_day;
  out.blocklist_name = in.blocklist_name;
  out.coverage = evidence_coverage(cls, cls.last_day);
  static const std::vector<Provider> kNoProviders;
  const auto& providers = in.providers ? *in.providers : kNoProviders;
  const auto& cloud_ases = in.cloud_ases ? *in.cloud_ases : embedded_cloud_ases();

  std::vector<ProvIpDay> rows;
  for (const auto& r : cls.ip_days)
    for (uint32_t i = r.providers_begin; i < r.providers_end; ++i)
      rows.push_back(
          {cls.ip_providers[i].provider, r.ip, r.day, cls.ip_providers[i].sources, r.exclusive});
  std::sort(rows.begin(), rows.end(), [](const ProvIpDay& a, const ProvIpDay& b) {
    return std::tie(a.provider, a.ip, a.day) < std::tie(b.provider, b.ip, b.day);
  });

  std::vector<ProvIpRegion> regions;
  for (size_t i = 0; i < cls.domain_ips.size(); ++i) {
    const auto& d = cls.domain_ips[i];
    if (i > 0 && cls.domain_ips[i - 1].domain == d.domain && cls.domain_ips[i - 1].ip == d.ip)
      continue;
    int32_t p = d.domain < cls.name_provider.size() ? cls.name_provider[d.domain] : -1;
    int32_t reg = d.domain < cls.name_region.size() ? cls.name_region[d.domain] : -1;
    if (p >= 0 && reg >= 0) regions.push_back({p, d.ip, reg});
  }
  std::sort(regions.begin(), regions.end(), [](const ProvIpRegion& a, const ProvIpRegion& b) {
    return std::tie(a.provider, a.ip) < std::tie(b.provider, b.ip);
  });

  const std::vector<ServiceAt> services = cls.window_services(data);

  PrefixTable blocklist;
  for (const auto& p : in.blocklist) blocklist.add(p, std::vector<uint32_t>{0});

  const size_t n_days = size_t(cls.last_day - cls.first_day + 1);
  size_t ri = 0;
  for (size_t i = 0; i < rows.size();) {
    const int32_t pid = rows[i].provider;
    size_t end = i;
    while (end < rows.size() && rows[end].provider == pid) ++end;
    ProviderFootprint f;
    f.provider = pid;
    const Provider* prov =
        pid >= 0 && size_t(pid) < providers.size() ? &providers[size_t(pid)] : nullptr;

    std::vector<IpAddress> v4_24, v6_56;
    std::vector<const PrefixTable::Entry*> announced;
    std::map<uint32_t, uint32_t> as_ips;
    std::map<std::pair<std::string, std::string>, uint32_t> locations;
    std::map<std::pair<uint16_t, uint8_t>, uint32_t> ports;
    std::vector<std::vector<uint8_t>> present;  // per IP, per day
    std::vector<IpAddress> ips;

    // Published ranges of this provider, as containment tables.
    struct Published {
      PrefixTable table;
      std::vector<uint32_t> hits;  // per entry
      bool v4 = false, v6 = false;
      const PublishedRanges* src;
    };
    std::vector<Published> published;
    for (const auto& [p, ranges] : in.published) {
      if (p != pid) continue;
      Published pub;
      pub.src = &ranges;
      for (const auto& r : ranges.ranges) {
        pub.table.add(r.prefix, std::vector<uint32_t>{0});
        (r.prefix.base.v6 ? pub.v6 : pub.v4) = true;
      }
      pub.hits.assign(pub.table.size(), 0);
      published.push_back(std::move(pub));
    }
    std::vector<RangeValidation> validation(published.size());

    for (size_t j = i; j < end;) {
      const IpId ipid = rows[j].ip;
      const IpAddress& ip = data.ips[ipid];
      uint8_t sources = 0;
      bool shared = false, dedicated = false;
      std::vector<uint8_t> days(n_days, 0);
      for (; j < end && rows[j].ip == ipid; ++j) {
        sources |= rows[j].sources;
        shared = shared || rows[j].exclusive == Verdict::kShared;
        dedicated = dedicated || rows[j].exclusive == Verdict::kDedicated;
        days[size_t(rows[j].day - cls.first_day)] = 1;
      }
      present.push_back(std::move(days));
      ips.push_back(ip);
      if (shared)
        ++f.shared;
      else if (dedicated)
        ++f.dedicated;
      else
        ++f.unknown;

      if (ip.v6) {
        ++f.ipv6;
        v6_56.push_back(mask(ip, 56));
      } else {
        ++f.ipv4;
        v4_24.push_back(mask(ip, 24));
      }
      SourceCounts& sc = ip.v6 ? f.sources_v6 : f.sources_v4;
      // Fig. 7.3's three sources: passive DNS found through the address is passive DNS, a
      // forward-DNS data set is active DNS (someone else's).
      if (sources & kAddressPdns) sources = uint8_t((sources & ~kAddressPdns) | kPassiveDns);
      if (sources & kBulkDns) sources = uint8_t((sources & ~kBulkDns) | kActiveDns);
      if (popcount8(sources) > 1)
        ++sc.several;
      else if (sources == kCertificate)
        ++sc.cert;
      else if (sources == kPassiveDns)
        ++sc.pdns;
      else if (sources == kActiveDns)
        ++sc.active_dns;

      // Prefix, AS and strategy.
      const PrefixTable::Entry* e = in.pfx2as ? in.pfx2as->lookup(ip) : nullptr;
      if (e == nullptr) {
        ++f.unrouted;
      } else {
        announced.push_back(e);
        bool own = false, cloud = false;
        for (uint32_t asn : in.pfx2as->origins(*e)) {
          ++as_ips[asn];
          own = own || (prov && contains(prov->asns, asn));
          cloud = cloud || is_cloud_as(cloud_ases, asn);
        }
        ++(own ? f.di_ips : cloud ? f.pr_ips : f.other_ips);
      }

      // Location: regions of the provider's names on the IP, the geolocation database, vote.
      std::map<std::pair<std::string, std::string>, std::pair<uint32_t, bool>> votes;
      while (ri < regions.size() &&
             std::tie(regions[ri].provider, regions[ri].ip) < std::tie(pid, ipid))
        ++ri;
      bool by_name = false;
      for (; ri < regions.size() && regions[ri].provider == pid && regions[ri].ip == ipid; ++ri) {
        if (!prov || regions[ri].region >= int32_t(prov->regions.size())) continue;
        const Region& reg = prov->regions[size_t(regions[ri].region)];
        if (reg.country.empty() && reg.city.empty()) continue;
        auto& v = votes[{reg.city, reg.country}];
        ++v.first;
        v.second = true;
        by_name = true;
      }
      if (in.geo) {
        if (auto loc = in.geo(ip)) {
          auto& v = votes[{loc->city, loc->country}];
          ++v.first;
        }
      }
      if (votes.size() > 1) ++f.votes_disagreed;
      if (votes.empty()) {
        ++f.unlocated;
      } else {
        auto best = votes.begin();
        for (auto it = votes.begin(); it != votes.end(); ++it)
          if (it->second.first > best->second.first ||
              (it->second.first == best->second.first && it->second.second && !best->second.second))
            best = it;
        ++locations[best->first];
        ++(by_name ? f.located_by_name : f.located_by_geo);
      }

      // Services seen.
      auto s = std::lower_bound(services.begin(), services.end(), ServiceAt{ipid, 0, 0});
      for (; s != services.end() && s->ip == ipid; ++s) ++ports[{s->port, s->protocol}];

      // Validation and blocklist.
      for (size_t k = 0; k < published.size(); ++k) {
        auto& pub = published[k];
        if (const auto* hit = pub.table.lookup(ip)) {
          ++validation[k].found_inside;
          ++pub.hits[size_t(hit - pub.table.entries().data())];
        } else if (ip.v6 ? pub.v6 : pub.v4) {
          ++validation[k].found_outside;
        }
      }
      if (auto ptr = data.ptr_of(ipid); !ptr.empty()) {
        ++f.ptr_ips;
        for (auto n : ptr)
          if (f.ptr_sample.size() < 20) f.ptr_sample.emplace_back(ip, std::string(n));
      }
      if (blocklist.lookup(ip)) {
        ++f.blocklisted;
        if (f.blocklisted_ips.size() < 20) f.blocklisted_ips.push_back(ip);
      }
    }

    f.prefixes_v4 = uint32_t(count_distinct(v4_24));
    f.prefixes_v6 = uint32_t(count_distinct(v6_56));
    std::sort(announced.begin(), announced.end());
    for (size_t a = 0; a < announced.size();) {
      size_t b = a;
      while (b < announced.size() && announced[b] == announced[a]) ++b;
      auto origins = in.pfx2as->origins(*announced[a]);
      f.prefixes.push_back(
          {announced[a]->prefix, {origins.begin(), origins.end()}, uint32_t(b - a)});
      a = b;
    }
    f.announced_prefixes = uint32_t(f.prefixes.size());
    std::stable_sort(f.prefixes.begin(), f.prefixes.end(),
                     [](const PrefixCount& x, const PrefixCount& y) { return x.ips > y.ips; });
    for (auto [asn, n] : as_ips) {
      AsCount a;
      a.asn = asn;
      a.ips = n;
      a.own = prov && contains(prov->asns, asn);
      a.cloud = is_cloud_as(cloud_ases, asn);
      if (in.as2org) {
        if (auto it = in.as2org->find(asn); it != in.as2org->end())
          a.name = it->second.org_name.empty() ? it->second.as_name : it->second.org_name;
      }
      if (a.name.empty() && a.own && prov) a.name = prov->name;  // the catalogue says whose it is
      f.ases.push_back(std::move(a));
    }
    std::stable_sort(f.ases.begin(), f.ases.end(),
                     [](const AsCount& a, const AsCount& b) { return a.ips > b.ips; });
    f.strategy = strategy_of(f);
    std::vector<std::string> countries;
    for (const auto& [loc, n] : locations) {
      f.locations.push_back({{loc.first, loc.second}, n});
      if (!loc.second.empty()) countries.push_back(loc.second);
    }
    f.countries = uint32_t(count_distinct(countries));
    std::stable_sort(f.locations.begin(), f.locations.end(),
                     [](const LocationCount& a, const LocationCount& b) { return a.ips > b.ips; });
    for (const auto& [key, n] : ports)
      f.ports.push_back(
          {key.first, key.second < data.protocols.size() ? data.protocols[key.second] : "", n});

    for (size_t d = 1; d < n_days; ++d) {
      StabilityPoint sp;
      sp.day = cls.first_day + Day(d);
      for (const auto& days : present) {
        if (days[0] && days[d])
          ++sp.both;
        else if (days[d])
          ++sp.added;
        else if (days[0])
          ++sp.gone;
      }
      f.stability.push_back(sp);
    }

    for (size_t k = 0; k < published.size(); ++k) {
      auto& v = validation[k];
      const auto& pub = published[k];
      v.format = range_format_str(pub.src->format);
      v.published_prefixes = uint32_t(pub.table.size());
      std::vector<Prefix> prefixes;
      for (size_t e = 0; e < pub.table.size(); ++e) {
        prefixes.push_back(pub.table.entries()[e].prefix);
        if (pub.hits[e] == 0) ++v.prefixes_without_found_ip;
      }
      v.published_v4_addresses = v4_addresses(prefixes);
      // Found IPs inside are counted once each, whichever prefix matched.
      uint64_t inside_v4 = 0;
      for (const auto& ip : ips)
        if (!ip.v6 && pub.table.lookup(ip)) ++inside_v4;
      v.published_v4_not_found =
          v.published_v4_addresses - std::min(inside_v4, v.published_v4_addresses);
    }
    f.validation = std::move(validation);
    out.providers.push_back(std::move(f));
    i = end;
  }
  return out;
}

}  // namespace iotmap::backend_map
