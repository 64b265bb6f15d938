#include "backend_map/classify.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <unordered_map>

namespace iotmap::backend_map {

namespace {

constexpr int32_t kUntouched = -2;  // anc value: the name has no CNAME edge that day
constexpr int32_t kMany = -3;       // anc value: aliases of several providers

int32_t combine(int32_t a, int32_t b) {
  if (a == -1) return b;
  if (b == -1 || a == b) return a;
  return kMany;
}

bool has_dns(uint8_t mask) { return (mask & kDnsSources) != 0; }

// Lazily computed per-name facts shared by every day.
struct NameFacts {
  const Dataset& data;
  const ProviderLookup& lookup;
  const Psl& psl;
  Classification& out;
  std::vector<uint32_t> domain;  // registrable domain id per name

  NameFacts(const Dataset& d, const ProviderLookup& l, const Psl& p, Classification& o)
      : data(d), lookup(l), psl(p), out(o) {
    size_t n = data.names.size();
    out.name_provider.assign(n, kUntouched);
    out.name_region.assign(n, -1);
    out.name_primary.assign(n, 1);
    domain.assign(n, kNone);
  }

  int32_t provider(NameId n) {
    int32_t& p = out.name_provider[n];
    if (p == kUntouched) {
      NameMatch m = lookup ? lookup(data.names[n]) : NameMatch{};
      p = m.provider < 0 ? -1 : m.provider;
      out.name_region[n] = p < 0 ? -1 : m.region;
      out.name_primary[n] = m.primary ? 1 : 0;
    }
    return p;
  }

  uint32_t registrable(NameId n) {
    uint32_t& d = domain[n];
    if (d == kNone) d = out.registrable.intern(psl.registrable(data.names[n]));
    return d;
  }

  void finish() {
    for (NameId n = 0; n < out.name_provider.size(); ++n) provider(n);
  }

  // Looks every name up and finds every registrable domain on `threads` threads (the lookup
  // must be thread-safe), so that the day workers only read these facts.
  void prefetch(int threads) {
    const size_t n = out.name_provider.size();
    if (threads <= 1) return;
    std::vector<std::string> reg(n);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([this, t, threads, n, &reg] {
        for (size_t i = size_t(t); i < n; i += size_t(threads)) {
          provider(NameId(i));
          reg[i] = psl.registrable(data.names[NameId(i)]);
        }
      });
    for (auto& th : pool) th.join();
    for (size_t i = 0; i < n; ++i) {
      domain[i] = out.registrable.intern(reg[i]);
      std::string().swap(reg[i]);
    }
  }
};

struct Obs {
  uint64_t key;  // day offset << 32 | ip
  NameId name;
  uint8_t sources;
};

}  // namespace

const char* verdict_str(Verdict v) {
  switch (v) {
    case Verdict::kDedicated:
      return "dedicated";
    case Verdict::kShared:
      return "shared";
    default:
      return "unknown";
  }
}

std::optional<Rule> parse_rule(std::string_view text) {
  if (text == "exclusive") return Rule::kExclusive;
  if (text == "threshold") return Rule::kThreshold;
  return std::nullopt;
}

const char* rule_str(Rule r) { return r == Rule::kExclusive ? "exclusive" : "threshold"; }

ClassifyOptions ClassifyOptions::from(const config::ClassifySettings& s) {
  ClassifyOptions o;
  o.shared_threshold = s.shared_threshold;
  return o;
}

const IpDay* Classification::find(IpId ip, Day day) const {
  if (day < first_day || day > last_day || day_begin.empty()) return nullptr;
  auto off = static_cast<size_t>(day - first_day);
  auto b = ip_days.begin() + static_cast<ptrdiff_t>(day_begin[off]);
  auto e = ip_days.begin() + static_cast<ptrdiff_t>(day_begin[off + 1]);
  auto it = std::lower_bound(b, e, ip, [](const IpDay& r, IpId v) { return r.ip < v; });
  return it != e && it->ip == ip ? &*it : nullptr;
}

const DomainVerdict* Classification::domain(NameId name) const {
  auto it = std::lower_bound(domains.begin(), domains.end(), name,
                             [](const DomainVerdict& d, NameId v) { return d.domain < v; });
  return it != domains.end() && it->domain == name ? &*it : nullptr;
}

Verdict Classification::threshold_for(const IpDay& r, int32_t provider, uint32_t* nm) const {
  for (uint32_t i = r.providers_begin; i < r.providers_end; ++i) {
    if (ip_providers[i].provider != provider) continue;
    if (nm) *nm = ip_providers[i].not_matching;
    return ip_providers[i].threshold;
  }
  if (nm) *nm = r.names_total;
  if (r.names_total > static_cast<uint32_t>(std::max(0, options.shared_threshold)))
    return Verdict::kShared;
  return has_dns(r.sources) ? Verdict::kDedicated : Verdict::kUnknown;
}

bool certificate_identifies(const std::vector<std::string_view>& names, std::string_view domain,
                            const Psl& psl) {
  if (names.size() != 1 || domain.empty()) return false;
  std::string_view n = names[0];
  if (n == domain) return true;
  if (!n.starts_with("*.")) return false;
  auto dot = domain.find('.');
  if (dot == std::string_view::npos) return false;
  std::string_view parent = domain.substr(dot + 1);
  return n.substr(2) == parent && !psl.is_public_suffix(parent);
}

Classification classify(const Dataset& data, const ProviderLookup& lookup, Day first_day,
                        Day last_day, const ClassifyOptions& options, const Psl& psl) {
  Classification out;
  out.first_day = first_day;
  out.last_day = std::max(first_day - 1, last_day);
  out.options = options;
  NameFacts facts(data, lookup, psl, out);
  facts.prefetch(options.threads);
  const uint32_t threshold = static_cast<uint32_t>(std::max(0, options.shared_threshold));
  const size_t n_names = data.names.size();
  const size_t n_days = static_cast<size_t>(out.last_day - first_day + 1);
  auto in_window = [&](Day d) { return d >= first_day && d <= out.last_day; };

  // Observations of the window, sorted by (day, ip, name), duplicates merged.
  std::vector<Obs> obs;
  obs.reserve(data.observations.size());
  for (const auto& o : data.observations)
    if (in_window(o.day))
      obs.push_back({(uint64_t(o.day - first_day) << 32) | o.ip, o.name, o.sources});
  std::sort(obs.begin(), obs.end(), [](const Obs& a, const Obs& b) {
    return a.key != b.key ? a.key < b.key : a.name < b.name;
  });
  {
    size_t w = 0;
    for (size_t i = 0; i < obs.size(); ++i) {
      if (w > 0 && obs[w - 1].key == obs[i].key && obs[w - 1].name == obs[i].name)
        obs[w - 1].sources |= obs[i].sources;
      else
        obs[w++] = obs[i];
    }
    obs.resize(w);
  }

  // CNAME edges of the window, sorted by (day, target, name).
  std::vector<CnameEdge> edges;
  for (const auto& e : data.cnames)
    if (in_window(e.day) && e.name != e.target) edges.push_back(e);
  std::sort(edges.begin(), edges.end(), [](const CnameEdge& a, const CnameEdge& b) {
    if (a.day != b.day) return a.day < b.day;
    if (a.target != b.target) return a.target < b.target;
    return a.name < b.name;
  });
  edges.erase(std::unique(edges.begin(), edges.end(),
                          [](const CnameEdge& a, const CnameEdge& b) {
                            return a.day == b.day && a.name == b.name && a.target == b.target;
                          }),
              edges.end());

  struct ProvAcc {
    int32_t provider;
    uint32_t matching;
    uint8_t sources;
    std::vector<uint32_t> domains;  // registrable domains of its names on the IP
  };
  // Per-thread scratch, indexed by name and reset after each day or IP.
  struct Scratch {
    std::vector<uint32_t> rev_begin, rev_count, stamp, domain_stamp;
    std::vector<int32_t> anc;
    std::vector<uint8_t> mask;
    uint32_t cur = 0;
    std::vector<NameId> closure, work;
    std::vector<ProvAcc> provs;
    explicit Scratch(size_t n)
        : rev_begin(n, kNone), rev_count(n, 0), stamp(n, 0), anc(n, kUntouched), mask(n, 0) {}
  };
  // One day's results, concatenated in day order afterwards.
  struct DayOut {
    std::vector<IpDay> ip_days;
    std::vector<IpProvider> ip_providers;
    std::vector<NameId> ip_names;
    std::vector<DomainIp> domain_ips;
  };

  // A certificate name of provider `a`: in the registrable domain of one of its names on the
  // IP, or under one of the registrable domains the provider table lists for it.
  auto own_name = [&](NameId n, const ProvAcc& a) {
    if (std::find(a.domains.begin(), a.domains.end(), facts.registrable(n)) != a.domains.end())
      return true;
    if (!options.providers || a.provider < 0 || size_t(a.provider) >= options.providers->size())
      return false;
    std::string_view name = data.names[n];
    if (name.starts_with("*.")) name.remove_prefix(2);
    for (const auto& rd : (*options.providers)[size_t(a.provider)].registrable_domains)
      if (name == rd || (name.size() > rd.size() && name.ends_with(rd) &&
                         name[name.size() - rd.size() - 1] == '.'))
        return true;
    return false;
  };

  // Where each day starts among the sorted observations and edges.
  std::vector<size_t> obs_at(n_days + 1, obs.size()), edge_at(n_days + 1, edges.size());
  for (size_t i = obs.size(); i-- > 0;) obs_at[obs[i].key >> 32] = i;
  for (size_t i = edges.size(); i-- > 0;) edge_at[size_t(edges[i].day - first_day)] = i;
  for (size_t d = n_days; d-- > 0;) {
    obs_at[d] = std::min(obs_at[d], obs_at[d + 1]);
    edge_at[d] = std::min(edge_at[d], edge_at[d + 1]);
  }

  auto process_day = [&](size_t doff, Scratch& S, DayOut& D) {
    const Day day = first_day + static_cast<Day>(doff);

    // The day's reverse adjacency (target -> aliases) and provider ancestry.
    const size_t e_begin = edge_at[doff], ei = edge_at[doff + 1];
    for (size_t i = e_begin; i < ei;) {
      size_t j = i;
      while (j < ei && edges[j].target == edges[i].target) ++j;
      S.rev_begin[edges[i].target] = static_cast<uint32_t>(i);
      S.rev_count[edges[i].target] = static_cast<uint32_t>(j - i);
      i = j;
    }
    for (size_t i = e_begin; i < ei; ++i) {
      S.anc[edges[i].name] = facts.provider(edges[i].name);
      S.anc[edges[i].target] = facts.provider(edges[i].target);
    }
    for (int pass = 0; pass < 64; ++pass) {
      bool changed = false;
      for (size_t i = e_begin; i < ei; ++i) {
        int32_t v = combine(S.anc[edges[i].target], S.anc[edges[i].name]);
        if (v != S.anc[edges[i].target]) {
          S.anc[edges[i].target] = v;
          changed = true;
        }
      }
      if (!changed) break;
    }
    auto ancestry = [&](NameId n) { return S.anc[n] == kUntouched ? facts.provider(n) : S.anc[n]; };

    const uint64_t day_key = uint64_t(doff) << 32;
    for (size_t oi = obs_at[doff], o_end = obs_at[doff + 1]; oi < o_end;) {
      size_t ob = oi;
      while (oi < o_end && obs[oi].key == obs[ob].key) ++oi;
      const IpId ip = static_cast<IpId>(obs[ob].key - day_key);

      // Closure over aliases, with the sources that link each name to the IP.
      ++S.cur;
      S.closure.clear();
      S.work.clear();
      uint8_t all_sources = 0;
      auto reach = [&](NameId n, uint8_t m) {
        if (S.stamp[n] != S.cur) {
          S.stamp[n] = S.cur;
          S.mask[n] = m;
          S.closure.push_back(n);
          S.work.push_back(n);
        } else if ((S.mask[n] | m) != S.mask[n]) {
          S.mask[n] |= m;
          S.work.push_back(n);
        }
      };
      for (size_t i = ob; i < oi; ++i) {
        reach(obs[i].name, obs[i].sources);
        all_sources |= obs[i].sources;
      }
      while (!S.work.empty()) {
        NameId n = S.work.back();
        S.work.pop_back();
        if (S.rev_begin[n] == kNone) continue;
        for (uint32_t k = S.rev_begin[n], end = S.rev_begin[n] + S.rev_count[n]; k < end; ++k)
          reach(edges[k].name, S.mask[n]);
      }

      IpDay row;
      row.day = day;
      row.ip = ip;
      row.sources = all_sources;
      row.names_total = static_cast<uint32_t>(S.closure.size());

      // Providers present, with the registrable domains of their names on the IP.
      S.provs.clear();
      for (NameId n : S.closure) {
        int32_t p = facts.provider(n);
        if (p < 0) continue;
        auto it = std::find_if(S.provs.begin(), S.provs.end(),
                               [&](const ProvAcc& a) { return a.provider == p; });
        if (it == S.provs.end()) {
          S.provs.push_back({p, 0, 0, {}});
          it = S.provs.end() - 1;
        }
        ++it->matching;
        it->sources |= S.mask[n];
        uint32_t d = facts.registrable(n);
        if (std::find(it->domains.begin(), it->domains.end(), d) == it->domains.end())
          it->domains.push_back(d);
        if (!data.names[n].starts_with("*.")) D.domain_ips.push_back({n, ip, day, S.mask[n]});
      }
      // Exclusive rule: registrable domains of the DNS root names.
      uint32_t single = kNone, count = 0;
      auto count_domain = [&](NameId n) {
        uint32_t d = facts.registrable(n);
        if (S.domain_stamp.size() <= d) S.domain_stamp.resize(out.registrable.size() + 1024, 0);
        if (S.domain_stamp[d] == S.cur) return;
        S.domain_stamp[d] = S.cur;
        ++count;
        single = d;
      };
      for (NameId n : S.closure)
        if (has_dns(S.mask[n]) && S.rev_begin[n] == kNone) count_domain(n);
      if (count == 0)  // only CNAME loops: every DNS name counts
        for (NameId n : S.closure)
          if (has_dns(S.mask[n])) count_domain(n);
      const bool dns_domains = count > 0;
      // Certificate names of other organisations (a CDN's many-site certificate) show sharing
      // too; those of a provider present on the IP do not.
      for (NameId n : S.closure) {
        if (has_dns(S.mask[n])) continue;
        bool own = false;
        for (const auto& a : S.provs) own = own || own_name(n, a);
        if (!own) count_domain(n);
      }
      row.registrable_domains = count;
      row.domain = count == 1 ? single : kNone;
      if (count > 1) {
        row.exclusive = Verdict::kShared;
        row.exclusive_reason = Reason::kSeveralRegistrableDomains;
      } else if (count == 1 && dns_domains) {
        row.exclusive = Verdict::kDedicated;
        row.exclusive_reason = Reason::kOneRegistrableDomain;
      } else {
        row.exclusive = Verdict::kUnknown;
        row.exclusive_reason = Reason::kOnlyCertificates;
      }

      // Threshold rule, per provider present.
      row.providers_begin = static_cast<uint32_t>(D.ip_providers.size());
      for (const auto& a : S.provs) {
        IpProvider ipp;
        ipp.provider = a.provider;
        ipp.matching = a.matching;
        ipp.sources = a.sources;
        for (NameId n : S.closure) {
          if (facts.provider(n) == a.provider) continue;
          int32_t an = ancestry(n);
          if (an == a.provider || an == kMany) continue;  // downstream of a provider name
          if (!has_dns(S.mask[n]) && own_name(n, a))
            continue;  // the provider's own certificate names
          ++ipp.not_matching;
        }
        if (ipp.not_matching > threshold) {
          ipp.threshold = Verdict::kShared;
          ipp.threshold_reason = Reason::kAboveThreshold;
        } else if (!has_dns(all_sources)) {
          ipp.threshold = Verdict::kUnknown;
          ipp.threshold_reason = Reason::kOnlyCertificates;
        } else {
          ipp.threshold = Verdict::kDedicated;
          ipp.threshold_reason = Reason::kWithinThreshold;
        }
        D.ip_providers.push_back(ipp);
      }
      row.providers_end = static_cast<uint32_t>(D.ip_providers.size());
      row.names_begin = D.ip_names.size();
      if (options.keep_names) {
        std::vector<NameId> sorted = S.closure;
        std::sort(sorted.begin(), sorted.end());
        D.ip_names.insert(D.ip_names.end(), sorted.begin(), sorted.end());
      }
      row.names_end = D.ip_names.size();
      D.ip_days.push_back(row);
    }

    // Reset the day's scratch state.
    for (size_t i = e_begin; i < ei; ++i) {
      S.rev_begin[edges[i].target] = kNone;
      S.rev_count[edges[i].target] = 0;
      S.anc[edges[i].name] = kUntouched;
      S.anc[edges[i].target] = kUntouched;
    }
  };

  std::vector<DayOut> days(n_days);
  const int threads = std::max(1, std::min<int>(options.threads, int(n_days)));
  if (threads <= 1) {
    Scratch scratch(n_names);
    for (size_t doff = 0; doff < n_days; ++doff) process_day(doff, scratch, days[doff]);
  } else {
    // Days are independent: facts were precomputed, so workers only read shared state.
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        Scratch scratch(n_names);
        for (size_t doff; (doff = next.fetch_add(1)) < n_days;)
          process_day(doff, scratch, days[doff]);
      });
    for (auto& th : pool) th.join();
  }
  out.day_begin.assign(n_days + 1, 0);
  for (size_t doff = 0; doff < n_days; ++doff) {
    DayOut& D = days[doff];
    out.day_begin[doff] = out.ip_days.size();
    const auto prov_off = static_cast<uint32_t>(out.ip_providers.size());
    const uint64_t name_off = out.ip_names.size();
    for (auto& r : D.ip_days) {
      r.providers_begin += prov_off;
      r.providers_end += prov_off;
      r.names_begin += name_off;
      r.names_end += name_off;
      out.ip_days.push_back(r);
    }
    out.ip_providers.insert(out.ip_providers.end(), D.ip_providers.begin(), D.ip_providers.end());
    out.ip_names.insert(out.ip_names.end(), D.ip_names.begin(), D.ip_names.end());
    out.domain_ips.insert(out.domain_ips.end(), D.domain_ips.begin(), D.domain_ips.end());
    D = DayOut{};
  }
  out.day_begin[n_days] = out.ip_days.size();
  std::vector<Obs>().swap(obs);
  std::vector<CnameEdge>().swap(edges);

  // --- Domains over the window ---
  auto by_domain = [](const DomainIp& a, const DomainIp& b) {
    if (a.domain != b.domain) return a.domain < b.domain;
    if (a.ip != b.ip) return a.ip < b.ip;
    return a.day < b.day;
  };
  std::sort(out.domain_ips.begin(), out.domain_ips.end(), by_domain);

  std::vector<NameId> domain_ids;
  for (size_t i = 0; i < out.domain_ips.size(); ++i)
    if (i == 0 || out.domain_ips[i].domain != out.domain_ips[i - 1].domain)
      domain_ids.push_back(out.domain_ips[i].domain);
  for (NameId n : data.domains)
    if (!data.names[n].starts_with("*.")) domain_ids.push_back(n);
  std::sort(domain_ids.begin(), domain_ids.end());
  domain_ids.erase(std::unique(domain_ids.begin(), domain_ids.end()), domain_ids.end());

  // Certificates with a single name, by that name, and sightings by certificate.
  std::vector<std::pair<NameId, uint32_t>> single_name_certs;
  for (uint32_t c = 0; c < data.certs.size(); ++c)
    if (data.certs[c].names.size() == 1) single_name_certs.push_back({data.certs[c].names[0], c});
  std::sort(single_name_certs.begin(), single_name_certs.end());
  std::vector<CertSighting> sightings;
  for (const auto& s : data.cert_sightings)
    if (in_window(s.day)) sightings.push_back(s);
  std::sort(sightings.begin(), sightings.end(), [](const CertSighting& a, const CertSighting& b) {
    if (a.cert != b.cert) return a.cert < b.cert;
    if (a.ip != b.ip) return a.ip < b.ip;
    return a.day < b.day;
  });

  // Each IP's rows in day order, and its exclusive-rule summary over the window.
  const size_t n_ips = data.ips.size();
  std::vector<uint32_t> ip_row_begin(n_ips + 1, 0), ip_rows(out.ip_days.size());
  for (const auto& r : out.ip_days) ++ip_row_begin[r.ip + 1];
  for (size_t i = 0; i < n_ips; ++i) ip_row_begin[i + 1] += ip_row_begin[i];
  {
    std::vector<uint32_t> fill(ip_row_begin.begin(), ip_row_begin.end() - 1);
    for (uint32_t q = 0; q < out.ip_days.size(); ++q) ip_rows[fill[out.ip_days[q].ip]++] = q;
  }
  struct IpSummary {
    uint32_t shared_row = kNone, conflict_row = kNone, first_row = kNone, domain = kNone;
    bool seen = false;  // dedicated (one registrable domain) on at least one day
  };
  std::vector<IpSummary> summaries;
  std::vector<uint8_t> summarised;
  auto summary = [&](IpId ip) -> const IpSummary& {
    if (summaries.empty()) {
      summaries.resize(n_ips);
      summarised.assign(n_ips, 0);
    }
    IpSummary& s = summaries[ip];
    if (summarised[ip]) return s;
    summarised[ip] = 1;
    for (uint32_t q = ip_row_begin[ip]; q < ip_row_begin[ip + 1]; ++q) {
      const IpDay& r = out.ip_days[ip_rows[q]];
      if (r.exclusive == Verdict::kShared && s.shared_row == kNone) s.shared_row = ip_rows[q];
      if (r.exclusive != Verdict::kDedicated) continue;
      if (!s.seen) {
        s.seen = true;
        s.domain = r.domain;
        s.first_row = ip_rows[q];
      } else if (r.domain != s.domain && s.conflict_row == kNone) {
        s.conflict_row = ip_rows[q];
      }
    }
    return s;
  };

  std::vector<DomainIp> fallback_ips;
  size_t di = 0;
  for (NameId dom : domain_ids) {
    DomainVerdict v;
    v.domain = dom;
    v.provider = facts.provider(dom);
    v.region = out.name_region[dom];
    while (di < out.domain_ips.size() && out.domain_ips[di].domain < dom) ++di;
    size_t dj = di;
    bool any_dns = false;
    while (dj < out.domain_ips.size() && out.domain_ips[dj].domain == dom) {
      any_dns = any_dns || has_dns(out.domain_ips[dj].sources);
      ++dj;
    }

    auto shared = [](Verdict& verdict, Reason& reason, IpId& vip, Day& vday, Reason why, IpId ip,
                     Day day) {
      if (verdict == Verdict::kShared) return;
      verdict = Verdict::kShared;
      reason = why;
      vip = ip;
      vday = day;
    };

    if (any_dns) {
      uint32_t expect = kNone;
      bool ex_unknown = false, th_unknown = false;
      IpId ex_unknown_ip = kNone, th_unknown_ip = kNone;
      for (size_t k = di; k < dj;) {
        IpId ip = out.domain_ips[k].ip;
        while (k < dj && out.domain_ips[k].ip == ip) ++k;
        ++v.ips_total;
        // Exclusive rule, from the IP's summary over the window.
        const IpSummary& s = summary(ip);
        bool ex_bad = false;
        if (s.shared_row != kNone) {
          ex_bad = true;
          shared(v.exclusive, v.exclusive_reason, v.exclusive_ip, v.exclusive_day,
                 Reason::kIpShared, ip, out.ip_days[s.shared_row].day);
        } else if (s.conflict_row != kNone) {
          ex_bad = true;
          shared(v.exclusive, v.exclusive_reason, v.exclusive_ip, v.exclusive_day,
                 Reason::kOtherRegistrableDomain, ip, out.ip_days[s.conflict_row].day);
        } else if (s.seen) {
          if (expect == kNone) expect = s.domain;
          if (s.domain != expect) {
            ex_bad = true;
            shared(v.exclusive, v.exclusive_reason, v.exclusive_ip, v.exclusive_day,
                   Reason::kOtherRegistrableDomain, ip, out.ip_days[s.first_row].day);
          }
        }
        if (s.seen && !ex_bad) ++v.ips_exclusive;
        if (!s.seen && !ex_unknown) {
          ex_unknown = true;
          ex_unknown_ip = ip;
        }
        // Threshold rule, per day of the IP.
        bool th_seen = false;
        for (uint32_t q = ip_row_begin[ip]; q < ip_row_begin[ip + 1]; ++q) {
          const IpDay& r = out.ip_days[ip_rows[q]];
          Verdict t = out.threshold_for(r, v.provider);
          if (t == Verdict::kShared)
            shared(v.threshold, v.threshold_reason, v.threshold_ip, v.threshold_day,
                   Reason::kIpShared, ip, r.day);
          else if (t == Verdict::kDedicated)
            th_seen = true;
        }
        if (!th_seen && !th_unknown) {
          th_unknown = true;
          th_unknown_ip = ip;
        }
      }
      if (v.exclusive != Verdict::kShared) {
        v.exclusive = ex_unknown ? Verdict::kUnknown : Verdict::kDedicated;
        v.exclusive_reason = ex_unknown ? Reason::kIpNeverExclusive : Reason::kAllIpsExclusive;
        v.exclusive_ip = ex_unknown_ip;
      }
      if (v.threshold != Verdict::kShared) {
        v.threshold = th_unknown ? Verdict::kUnknown : Verdict::kDedicated;
        v.threshold_reason = th_unknown ? Reason::kIpNeverExclusive : Reason::kAllIpsExclusive;
        v.threshold_ip = th_unknown_ip;
      }
    } else {
      // Certificate fallback: a certificate naming only this domain or "*." its parent.
      std::vector<uint32_t> certs;
      auto add_certs = [&](NameId name) {
        if (name == kNone) return;
        auto it = std::lower_bound(single_name_certs.begin(), single_name_certs.end(),
                                   std::pair<NameId, uint32_t>{name, 0});
        for (; it != single_name_certs.end() && it->first == name; ++it)
          certs.push_back(it->second);
      };
      std::string_view dname = data.names[dom];
      add_certs(dom);
      if (auto dot = dname.find('.'); dot != std::string_view::npos) {
        std::string_view parent = dname.substr(dot + 1);
        if (!psl.is_public_suffix(parent)) add_certs(data.names.find("*." + std::string(parent)));
      }
      std::vector<std::pair<IpId, Day>> seen;
      for (uint32_t c : certs) {
        auto it = std::lower_bound(sightings.begin(), sightings.end(), c,
                                   [](const CertSighting& s, uint32_t v) { return s.cert < v; });
        for (; it != sightings.end() && it->cert == c; ++it) seen.push_back({it->ip, it->day});
        if (v.cert == kNone) v.cert = c;
      }
      std::sort(seen.begin(), seen.end());
      seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
      if (seen.empty()) {
        v.exclusive = v.threshold = Verdict::kUnknown;
        v.exclusive_reason = v.threshold_reason = Reason::kNoData;
        v.cert = kNone;
      } else {
        v.exclusive = v.threshold = Verdict::kDedicated;
        v.exclusive_reason = v.threshold_reason = Reason::kCertificateFallback;
        IpId last = kNone;
        for (auto [ip, day] : seen) {
          if (ip != last) ++v.ips_total;
          last = ip;
          fallback_ips.push_back({dom, ip, day, kCertificate});
          const IpDay* r = out.find(ip, day);
          if (!r) continue;
          if (r->exclusive == Verdict::kShared)
            shared(v.exclusive, v.exclusive_reason, v.exclusive_ip, v.exclusive_day,
                   Reason::kCertificateFallback, ip, day);
          if (out.threshold_for(*r, v.provider) == Verdict::kShared)
            shared(v.threshold, v.threshold_reason, v.threshold_ip, v.threshold_day,
                   Reason::kCertificateFallback, ip, day);
        }
        if (v.exclusive == Verdict::kDedicated) v.ips_exclusive = v.ips_total;
      }
    }
    out.domains.push_back(v);
  }
  if (!fallback_ips.empty()) {
    out.domain_ips.insert(out.domain_ips.end(), fallback_ips.begin(), fallback_ips.end());
    std::sort(out.domain_ips.begin(), out.domain_ips.end(), by_domain);
  }
  facts.finish();
  return out;
}

std::string Classification::ip_reason(const Dataset& data, const IpDay& r, Rule rule,
                                      const IpProvider* p) const {
  if (rule == Rule::kThreshold && p != nullptr) {
    std::string counts = std::to_string(p->not_matching) +
                         " names not matching the provider (threshold " +
                         std::to_string(options.shared_threshold) + ")";
    switch (p->threshold_reason) {
      case Reason::kAboveThreshold:
        return counts + ": shared";
      case Reason::kOnlyCertificates:
        return counts + "; certificate names only, no DNS data";
      default:
        return counts;
    }
  }
  switch (r.exclusive_reason) {
    case Reason::kOneRegistrableDomain:
      return "only names of " + std::string(registrable[r.domain]) + " and their CNAME targets";
    case Reason::kSeveralRegistrableDomains: {
      std::string text = std::to_string(r.registrable_domains) + " registrable domains";
      // Name a few, from the names kept for the IP.
      std::vector<std::string_view> some;
      for (uint64_t i = r.names_begin; i < r.names_end && some.size() < 3; ++i) {
        NameId n = ip_names[i];
        std::string_view d = data.names[n];
        if (std::find(some.begin(), some.end(), d) == some.end()) some.push_back(d);
      }
      if (!some.empty()) {
        text += " (names include ";
        for (size_t i = 0; i < some.size(); ++i) text += (i ? ", " : "") + std::string(some[i]);
        text += ")";
      }
      return text;
    }
    case Reason::kOnlyCertificates:
      return "certificate names only, no DNS data";
    default:
      return "";
  }
}

std::string Classification::domain_reason(const Dataset& data, const DomainVerdict& d,
                                          Rule rule) const {
  Reason why = rule == Rule::kExclusive ? d.exclusive_reason : d.threshold_reason;
  IpId ip = rule == Rule::kExclusive ? d.exclusive_ip : d.threshold_ip;
  Day day = rule == Rule::kExclusive ? d.exclusive_day : d.threshold_day;
  Verdict v = d.verdict(rule);
  std::string at = ip == kNone ? "" : data.ips[ip].str();
  switch (why) {
    case Reason::kNoData:
      return "no data in the window";
    case Reason::kAllIpsExclusive:
      return "all " + std::to_string(d.ips_total) + " IPs exclusive on every day seen";
    case Reason::kIpNeverExclusive:
      return "IP " + at + " has certificate data only";
    case Reason::kIpShared: {
      std::string text = "IP " + at + " shared on " + day_str(day);
      if (const IpDay* r = find(ip, day)) {
        const IpProvider* p = nullptr;
        for (uint32_t i = r->providers_begin; i < r->providers_end; ++i)
          if (ip_providers[i].provider == d.provider) p = &ip_providers[i];
        std::string detail = ip_reason(data, *r, rule, p);
        if (rule == Rule::kThreshold && p == nullptr)
          detail = std::to_string(r->names_total) + " names, none of the provider";
        if (!detail.empty()) text += ": " + detail;
      }
      return text;
    }
    case Reason::kOtherRegistrableDomain:
      return "IP " + at + " exclusive to another registrable domain on " + day_str(day);
    case Reason::kCertificateFallback: {
      std::string cert = d.cert == kNone ? "" : data.certs[d.cert].fingerprint.substr(0, 16);
      if (v == Verdict::kShared)
        return "certificate fallback (" + cert + "): IP " + at + " shared on " + day_str(day);
      return "no DNS data; certificate " + cert + " names only this domain, served by " +
             std::to_string(d.ips_total) + " IPs";
    }
    default:
      return "";
  }
}

std::vector<ServiceAt> Classification::window_services(const Dataset& data) const {
  std::vector<ServiceAt> services;
  for (const auto& s : data.services)
    if (s.ok && s.day >= first_day && s.day <= last_day)
      services.push_back({s.ip, s.port, s.protocol});
  std::sort(services.begin(), services.end());
  services.erase(std::unique(services.begin(), services.end()), services.end());
  return services;
}

}  // namespace iotmap::backend_map
