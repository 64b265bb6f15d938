#include "backend_map/classify.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
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
  std::vector<uint8_t> cert_ok;  // per name: a certificate naming it attributes its provider

  NameFacts(const Dataset& d, const ProviderLookup& l, const Psl& p, Classification& o)
      : data(d), lookup(l), psl(p), out(o) {
    size_t n = data.names.size();
    out.name_provider.assign(n, kUntouched);
    out.name_region.assign(n, -1);
    out.name_primary.assign(n, 1);
    domain.assign(n, kNone);
    cert_ok.assign(n, 1);
  }

  int32_t provider(NameId n) {
    int32_t& p = out.name_provider[n];
    if (p == kUntouched) {
      NameMatch m = lookup ? lookup(data.names[n]) : NameMatch{};
      p = m.provider < 0 ? -1 : m.provider;
      out.name_region[n] = p < 0 ? -1 : m.region;
      out.name_primary[n] = m.primary ? 1 : 0;
      cert_ok[n] = m.cert_attributes ? 1 : 0;
    }
    return p;
  }

  // A provider name that the certificate post-filters reject: a certificate naming it
  // attributes nothing.
  bool cert_rejected(NameId n) { return provider(n) >= 0 && !cert_ok[n]; }

  // The provider a name links the address to through `sources` (-1: none).
  int32_t attributed_provider(NameId n, uint8_t sources) {
    return !has_dns(sources) && cert_rejected(n) ? -1 : provider(n);
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

namespace {

// Observations of the window, sorted by (day, ip, name), duplicates merged.
std::vector<Obs> window_observations(const Dataset& data, Day first_day, Day last_day) {
  std::vector<Obs> obs;
  obs.reserve(data.observations.size());
  for (const auto& o : data.observations)
    if (o.day >= first_day && o.day <= last_day)
      obs.push_back({(uint64_t(o.day - first_day) << 32) | o.ip, o.name, o.sources});
  std::sort(obs.begin(), obs.end(), [](const Obs& a, const Obs& b) {
    return a.key != b.key ? a.key < b.key : a.name < b.name;
  });
  size_t w = 0;
  for (size_t i = 0; i < obs.size(); ++i) {
    if (w > 0 && obs[w - 1].key == obs[i].key && obs[w - 1].name == obs[i].name)
      obs[w - 1].sources |= obs[i].sources;
    else
      obs[w++] = obs[i];
  }
  obs.resize(w);
  return obs;
}

// CNAME edges of the window, sorted by (day, target, name), each once.
std::vector<CnameEdge> window_edges(const Dataset& data, Day first_day, Day last_day) {
  std::vector<CnameEdge> edges;
  for (const auto& e : data.cnames)
    if (e.day >= first_day && e.day <= last_day && e.name != e.target) edges.push_back(e);
  std::sort(edges.begin(), edges.end(), [](const CnameEdge& a, const CnameEdge& b) {
    if (a.day != b.day) return a.day < b.day;
    if (a.target != b.target) return a.target < b.target;
    return a.name < b.name;
  });
  size_t w = 0;  // one edge per (day, target, name), with the sources of all its copies
  for (size_t i = 0; i < edges.size(); ++i) {
    if (w > 0 && edges[w - 1].day == edges[i].day && edges[w - 1].name == edges[i].name &&
        edges[w - 1].target == edges[i].target)
      edges[w - 1].sources |= edges[i].sources;
    else
      edges[w++] = edges[i];
  }
  edges.resize(w);
  return edges;
}

// Where each day starts in a vector sorted by day; size days + 1.
template <typename Row, typename DayOf>
std::vector<size_t> day_starts(const std::vector<Row>& rows, size_t n_days, DayOf day_of) {
  std::vector<size_t> at(n_days + 1, rows.size());
  for (size_t i = rows.size(); i-- > 0;) at[day_of(rows[i])] = i;
  for (size_t d = n_days; d-- > 0;) at[d] = std::min(at[d], at[d + 1]);
  return at;
}

struct ProvAcc {
  int32_t provider;
  uint32_t matching;
  uint8_t sources;
  std::vector<uint32_t> domains;  // registrable domains of its names on the IP
};

// Per-thread scratch, indexed by name and reset after each day or IP.
struct Scratch {
  std::vector<uint32_t> rev_begin, rev_count, stamp, domain_stamp, against;
  std::vector<int32_t> anc;
  std::vector<uint8_t> mask;
  // The sources each name is attributed to: an observation's, or for an alias the source of
  // the CNAME record that names it (what told us the site is there), not its target's.
  std::vector<uint8_t> attr;
  uint32_t cur = 0;
  std::vector<NameId> closure, work;
  std::vector<ProvAcc> provs;
  explicit Scratch(size_t n)
      : rev_begin(n, kNone),
        rev_count(n, 0),
        stamp(n, 0),
        against(n, 0),
        anc(n, kUntouched),
        mask(n, 0),
        attr(n, 0) {}
};

// One day's results, concatenated in day order afterwards.
struct DayOut {
  std::vector<IpDay> ip_days;
  std::vector<IpProvider> ip_providers;
  std::vector<NameId> ip_names;
  std::vector<uint8_t> ip_name_sources, ip_name_other;
  std::vector<DomainIp> domain_ips;
};

// Classifies the IPs of one day: names on each IP, providers present, both rules.
class DayWork {
 public:
  DayWork(const Dataset& data, NameFacts& facts, const ClassifyOptions& options,
          const std::vector<Obs>& obs, const std::vector<CnameEdge>& edges, Day first_day,
          size_t n_days)
      : data_(data),
        facts_(facts),
        options_(options),
        obs_(obs),
        edges_(edges),
        first_day_(first_day),
        threshold_(static_cast<uint32_t>(std::max(0, options.shared_threshold))),
        obs_at_(day_starts(obs, n_days, [](const Obs& o) { return size_t(o.key >> 32); })),
        edge_at_(day_starts(edges, n_days,
                            [&](const CnameEdge& e) { return size_t(e.day - first_day); })) {}

  void run(size_t doff, Scratch& S, DayOut& D) const {
    const size_t e_begin = edge_at_[doff], e_end = edge_at_[doff + 1];
    index_edges(e_begin, e_end, S);
    const uint64_t day_key = uint64_t(doff) << 32;
    for (size_t oi = obs_at_[doff], o_end = obs_at_[doff + 1]; oi < o_end;) {
      size_t ob = oi;
      while (oi < o_end && obs_[oi].key == obs_[ob].key) ++oi;
      IpDay row;
      row.day = first_day_ + static_cast<Day>(doff);
      row.ip = static_cast<IpId>(obs_[ob].key - day_key);
      classify_ip(ob, oi, S, D, row);
      D.ip_days.push_back(row);
    }
    for (size_t i = e_begin; i < e_end; ++i) {
      S.rev_begin[edges_[i].target] = kNone;
      S.rev_count[edges_[i].target] = 0;
      S.anc[edges_[i].name] = kUntouched;
      S.anc[edges_[i].target] = kUntouched;
    }
  }

 private:
  // The day's reverse adjacency (target -> aliases) and each name's provider ancestry: the
  // provider whose names CNAME to it (kMany: several).
  void index_edges(size_t e_begin, size_t e_end, Scratch& S) const {
    for (size_t i = e_begin; i < e_end;) {
      size_t j = i;
      while (j < e_end && edges_[j].target == edges_[i].target) ++j;
      S.rev_begin[edges_[i].target] = static_cast<uint32_t>(i);
      S.rev_count[edges_[i].target] = static_cast<uint32_t>(j - i);
      i = j;
    }
    for (size_t i = e_begin; i < e_end; ++i) {
      S.anc[edges_[i].name] = facts_.provider(edges_[i].name);
      S.anc[edges_[i].target] = facts_.provider(edges_[i].target);
    }
    for (int pass = 0; pass < 64; ++pass) {
      bool changed = false;
      for (size_t i = e_begin; i < e_end; ++i) {
        int32_t v = combine(S.anc[edges_[i].target], S.anc[edges_[i].name]);
        if (v != S.anc[edges_[i].target]) {
          S.anc[edges_[i].target] = v;
          changed = true;
        }
      }
      if (!changed) break;
    }
  }

  int32_t ancestry(const Scratch& S, NameId n) const {
    return S.anc[n] == kUntouched ? facts_.provider(n) : S.anc[n];
  }

  void classify_ip(size_t ob, size_t oe, Scratch& S, DayOut& D, IpDay& row) const {
    row.sources = names_on_ip(ob, oe, S);
    row.names_total = static_cast<uint32_t>(S.closure.size());
    providers_present(S, D, row);
    exclusive_rule(S, row);
    row.providers_begin = static_cast<uint32_t>(D.ip_providers.size());
    for (const auto& a : S.provs) D.ip_providers.push_back(threshold_rule(S, a, row.sources));
    row.providers_end = static_cast<uint32_t>(D.ip_providers.size());
    keep_names(S, D, row);
  }

  // The closure over aliases of the observed names, with the sources that link each name to
  // the IP (S.closure, S.mask). Returns every source that saw the IP.
  uint8_t names_on_ip(size_t ob, size_t oe, Scratch& S) const {
    ++S.cur;
    S.closure.clear();
    S.work.clear();
    uint8_t all_sources = 0;
    auto reach = [&](NameId n, uint8_t m, uint8_t a) {
      if (S.stamp[n] != S.cur) {
        S.stamp[n] = S.cur;
        S.mask[n] = m;
        S.attr[n] = a;
        S.against[n] = 0;
        S.closure.push_back(n);
        S.work.push_back(n);
        return;
      }
      S.attr[n] |= a;
      if ((S.mask[n] | m) != S.mask[n]) {
        S.mask[n] |= m;
        S.work.push_back(n);
      }
    };
    for (size_t i = ob; i < oe; ++i) {
      reach(obs_[i].name, obs_[i].sources, obs_[i].sources);
      all_sources |= obs_[i].sources;
    }
    while (!S.work.empty()) {
      NameId n = S.work.back();
      S.work.pop_back();
      if (S.rev_begin[n] == kNone) continue;
      for (uint32_t k = S.rev_begin[n], end = S.rev_begin[n] + S.rev_count[n]; k < end; ++k)
        reach(edges_[k].name, S.mask[n], edges_[k].sources ? edges_[k].sources : S.attr[n]);
    }
    return all_sources;
  }

  // Providers present, with the registrable domains of their names on the IP (S.provs).
  void providers_present(Scratch& S, DayOut& D, const IpDay& row) const {
    S.provs.clear();
    for (NameId n : S.closure) {
      int32_t p = facts_.attributed_provider(n, S.mask[n]);
      if (p < 0) continue;
      auto it = std::find_if(S.provs.begin(), S.provs.end(),
                             [&](const ProvAcc& a) { return a.provider == p; });
      if (it == S.provs.end()) {
        S.provs.push_back({p, 0, 0, {}});
        it = S.provs.end() - 1;
      }
      ++it->matching;
      it->sources |= S.mask[n];
      uint32_t d = facts_.registrable(n);
      if (std::find(it->domains.begin(), it->domains.end(), d) == it->domains.end())
        it->domains.push_back(d);
      if (!data_.names[n].starts_with("*."))
        D.domain_ips.push_back({n, row.ip, row.day, S.mask[n]});
    }
  }

  // A certificate name of provider `a`: in the registrable domain of one of its names on the
  // IP, or under one of the registrable domains the provider table lists for it.
  bool own_name(NameId n, const ProvAcc& a) const {
    if (std::find(a.domains.begin(), a.domains.end(), facts_.registrable(n)) != a.domains.end())
      return true;
    if (!options_.providers || a.provider < 0 || size_t(a.provider) >= options_.providers->size())
      return false;
    std::string_view name = data_.names[n];
    if (name.starts_with("*.")) name.remove_prefix(2);
    for (const auto& rd : (*options_.providers)[size_t(a.provider)].registrable_domains)
      if (name == rd || (name.size() > rd.size() && name.ends_with(rd) &&
                         name[name.size() - rd.size() - 1] == '.'))
        return true;
    return false;
  }

  // Exclusive rule: registrable domains of the DNS root names, and of certificate names of
  // other organisations (a CDN's many-site certificate); those of a provider present do not
  // count.
  void exclusive_rule(Scratch& S, IpDay& row) const {
    uint32_t single = kNone, count = 0;
    auto count_domain = [&](NameId n) {
      uint32_t d = facts_.registrable(n);
      if (S.domain_stamp.size() <= d)
        S.domain_stamp.resize(facts_.out.registrable.size() + 1024, 0);
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
  }

  // Threshold rule for one provider present: the names that do not match it, except those
  // downstream of a provider name and the provider's own certificate names. Each counted name
  // is noted (S.against) and counted per source that linked it.
  IpProvider threshold_rule(Scratch& S, const ProvAcc& a, uint8_t all_sources) const {
    IpProvider ipp;
    ipp.provider = a.provider;
    ipp.matching = a.matching;
    ipp.sources = a.sources;
    for (NameId n : S.closure) {
      if (facts_.provider(n) == a.provider) continue;
      int32_t an = ancestry(S, n);
      if (an == a.provider || an == kMany) continue;        // downstream of a provider name
      if (!has_dns(S.mask[n]) && own_name(n, a)) continue;  // the provider's own certificate names
      ++ipp.not_matching;
      ++S.against[n];
      for (int bit = 0; bit < kSourceBits; ++bit)
        if (S.attr[n] & (1u << bit)) ++ipp.sharing[size_t(bit)];
    }
    if (ipp.not_matching > threshold_) {
      ipp.threshold = Verdict::kShared;
      ipp.threshold_reason = Reason::kAboveThreshold;
    } else if (!has_dns(all_sources)) {
      ipp.threshold = Verdict::kUnknown;
      ipp.threshold_reason = Reason::kOnlyCertificates;
    } else {
      ipp.threshold = Verdict::kDedicated;
      ipp.threshold_reason = Reason::kWithinThreshold;
    }
    return ipp;
  }

  // The names on the IP, sorted, with their sources and whether they are another site's
  // (counted against every provider present; every name when none is).
  void keep_names(const Scratch& S, DayOut& D, IpDay& row) const {
    row.names_begin = D.ip_names.size();
    if (options_.keep_names) {
      std::vector<NameId> sorted = S.closure;
      std::sort(sorted.begin(), sorted.end());
      const auto providers = static_cast<uint32_t>(S.provs.size());
      for (NameId n : sorted) {
        D.ip_names.push_back(n);
        D.ip_name_sources.push_back(S.attr[n]);
        D.ip_name_other.push_back(providers == 0 || S.against[n] == providers ? 1 : 0);
      }
    }
    row.names_end = D.ip_names.size();
  }

  const Dataset& data_;
  NameFacts& facts_;
  const ClassifyOptions& options_;
  const std::vector<Obs>& obs_;
  const std::vector<CnameEdge>& edges_;
  const Day first_day_;
  const uint32_t threshold_;
  const std::vector<size_t> obs_at_, edge_at_;
};

// Runs `work` over every day, on options.threads threads (days are independent: the name
// facts were precomputed, so workers only read shared state), then concatenates the days.
void classify_days(const DayWork& work, size_t n_names, size_t n_days, int threads_wanted,
                   Classification& out) {
  std::vector<DayOut> days(n_days);
  const int threads = std::max(1, std::min<int>(threads_wanted, int(n_days)));
  if (threads <= 1) {
    Scratch scratch(n_names);
    for (size_t doff = 0; doff < n_days; ++doff) work.run(doff, scratch, days[doff]);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&] {
        Scratch scratch(n_names);
        for (size_t doff; (doff = next.fetch_add(1)) < n_days;) work.run(doff, scratch, days[doff]);
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
    auto append = [](auto& to, const auto& from) { to.insert(to.end(), from.begin(), from.end()); };
    append(out.ip_providers, D.ip_providers);
    append(out.ip_names, D.ip_names);
    append(out.ip_name_sources, D.ip_name_sources);
    append(out.ip_name_other, D.ip_name_other);
    append(out.domain_ips, D.domain_ips);
    D = DayOut{};
  }
  out.day_begin[n_days] = out.ip_days.size();
}

bool by_domain(const DomainIp& a, const DomainIp& b) {
  if (a.domain != b.domain) return a.domain < b.domain;
  if (a.ip != b.ip) return a.ip < b.ip;
  return a.day < b.day;
}

// Marks a domain verdict shared under one rule, keeping the first deciding IP and day.
void mark_shared(Verdict& verdict, Reason& reason, IpId& vip, Day& vday, Reason why, IpId ip,
                 Day day) {
  if (verdict == Verdict::kShared) return;
  verdict = Verdict::kShared;
  reason = why;
  vip = ip;
  vday = day;
}

// Domain verdicts over the window (docs/method.md section 3): from the IP-day verdicts of the
// domain's IPs, or through the certificate fallback for a domain without DNS data.
class DomainWork {
 public:
  DomainWork(const Dataset& data, NameFacts& facts, const Psl& psl, Classification& out)
      : data_(data), facts_(facts), psl_(psl), out_(out) {
    index_ip_rows();
    index_certificates();
  }

  void run() {
    std::sort(out_.domain_ips.begin(), out_.domain_ips.end(), by_domain);
    std::vector<DomainIp> fallback_ips;
    size_t di = 0;
    for (NameId dom : domain_ids()) {
      DomainVerdict v;
      v.domain = dom;
      v.provider = facts_.provider(dom);
      v.region = out_.name_region[dom];
      while (di < out_.domain_ips.size() && out_.domain_ips[di].domain < dom) ++di;
      size_t dj = di;
      bool any_dns = false;
      for (; dj < out_.domain_ips.size() && out_.domain_ips[dj].domain == dom; ++dj)
        any_dns = any_dns || has_dns(out_.domain_ips[dj].sources);
      if (any_dns)
        from_dns(v, di, dj);
      else
        from_certificates(v, fallback_ips);
      out_.domains.push_back(v);
    }
    if (!fallback_ips.empty()) {
      out_.domain_ips.insert(out_.domain_ips.end(), fallback_ips.begin(), fallback_ips.end());
      std::sort(out_.domain_ips.begin(), out_.domain_ips.end(), by_domain);
    }
  }

 private:
  struct IpSummary {
    uint32_t shared_row = kNone, conflict_row = kNone, first_row = kNone, domain = kNone;
    bool seen = false;  // dedicated (one registrable domain) on at least one day
  };

  // Provider names with observations, and candidate names known without them.
  std::vector<NameId> domain_ids() const {
    std::vector<NameId> ids;
    for (size_t i = 0; i < out_.domain_ips.size(); ++i)
      if (i == 0 || out_.domain_ips[i].domain != out_.domain_ips[i - 1].domain)
        ids.push_back(out_.domain_ips[i].domain);
    for (NameId n : data_.domains)
      if (!data_.names[n].starts_with("*.")) ids.push_back(n);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }

  // Each IP's rows in day order.
  void index_ip_rows() {
    const size_t n_ips = data_.ips.size();
    ip_row_begin_.assign(n_ips + 1, 0);
    ip_rows_.resize(out_.ip_days.size());
    for (const auto& r : out_.ip_days) ++ip_row_begin_[r.ip + 1];
    for (size_t i = 0; i < n_ips; ++i) ip_row_begin_[i + 1] += ip_row_begin_[i];
    std::vector<uint32_t> fill(ip_row_begin_.begin(), ip_row_begin_.end() - 1);
    for (uint32_t q = 0; q < out_.ip_days.size(); ++q) ip_rows_[fill[out_.ip_days[q].ip]++] = q;
  }

  // Certificates with a single name that may attribute (the certificate post-filters), by that
  // name, and sightings of the window by certificate.
  void index_certificates() {
    for (uint32_t c = 0; c < data_.certs.size(); ++c)
      if (data_.certs[c].names.size() == 1 && !facts_.cert_rejected(data_.certs[c].names[0]))
        single_name_certs_.push_back({data_.certs[c].names[0], c});
    std::sort(single_name_certs_.begin(), single_name_certs_.end());
    for (const auto& s : data_.cert_sightings)
      if (s.day >= out_.first_day && s.day <= out_.last_day) sightings_.push_back(s);
    std::sort(sightings_.begin(), sightings_.end(),
              [](const CertSighting& a, const CertSighting& b) {
                if (a.cert != b.cert) return a.cert < b.cert;
                if (a.ip != b.ip) return a.ip < b.ip;
                return a.day < b.day;
              });
  }

  // The IP's exclusive-rule summary over the window, computed once.
  const IpSummary& summary(IpId ip) {
    if (summaries_.empty()) {
      summaries_.resize(data_.ips.size());
      summarised_.assign(data_.ips.size(), 0);
    }
    IpSummary& s = summaries_[ip];
    if (summarised_[ip]) return s;
    summarised_[ip] = 1;
    for (uint32_t q = ip_row_begin_[ip]; q < ip_row_begin_[ip + 1]; ++q) {
      const IpDay& r = out_.ip_days[ip_rows_[q]];
      if (r.exclusive == Verdict::kShared && s.shared_row == kNone) s.shared_row = ip_rows_[q];
      if (r.exclusive != Verdict::kDedicated) continue;
      if (!s.seen) {
        s.seen = true;
        s.domain = r.domain;
        s.first_row = ip_rows_[q];
      } else if (r.domain != s.domain && s.conflict_row == kNone) {
        s.conflict_row = ip_rows_[q];
      }
    }
    return s;
  }

  // Exclusive rule for one IP of the domain; false when it makes the domain shared.
  bool exclusive_ip(DomainVerdict& v, IpId ip, uint32_t& expect) {
    const IpSummary& s = summary(ip);
    auto shared = [&](Reason why, uint32_t row) {
      mark_shared(v.exclusive, v.exclusive_reason, v.exclusive_ip, v.exclusive_day, why, ip,
                  out_.ip_days[row].day);
      return false;
    };
    if (s.shared_row != kNone) return shared(Reason::kIpShared, s.shared_row);
    if (s.conflict_row != kNone) return shared(Reason::kOtherRegistrableDomain, s.conflict_row);
    if (!s.seen) return true;
    if (expect == kNone) expect = s.domain;
    if (s.domain != expect) return shared(Reason::kOtherRegistrableDomain, s.first_row);
    return true;
  }

  // Threshold rule for one IP of the domain, per day; true when some day was dedicated.
  bool threshold_ip(DomainVerdict& v, IpId ip) {
    bool seen = false;
    for (uint32_t q = ip_row_begin_[ip]; q < ip_row_begin_[ip + 1]; ++q) {
      const IpDay& r = out_.ip_days[ip_rows_[q]];
      Verdict t = out_.threshold_for(r, v.provider);
      if (t == Verdict::kShared)
        mark_shared(v.threshold, v.threshold_reason, v.threshold_ip, v.threshold_day,
                    Reason::kIpShared, ip, r.day);
      else if (t == Verdict::kDedicated)
        seen = true;
    }
    return seen;
  }

  void from_dns(DomainVerdict& v, size_t di, size_t dj) {
    uint32_t expect = kNone;
    IpId ex_unknown_ip = kNone, th_unknown_ip = kNone;
    for (size_t k = di; k < dj;) {
      IpId ip = out_.domain_ips[k].ip;
      while (k < dj && out_.domain_ips[k].ip == ip) ++k;
      ++v.ips_total;
      const bool ex_ok = exclusive_ip(v, ip, expect);
      const bool seen = summary(ip).seen;
      if (seen && ex_ok) ++v.ips_exclusive;
      if (!seen && ex_unknown_ip == kNone) ex_unknown_ip = ip;
      if (!threshold_ip(v, ip) && th_unknown_ip == kNone) th_unknown_ip = ip;
    }
    settle(v.exclusive, v.exclusive_reason, v.exclusive_ip, ex_unknown_ip);
    settle(v.threshold, v.threshold_reason, v.threshold_ip, th_unknown_ip);
  }

  // A domain not shared under a rule: unknown when one IP was never shown dedicated.
  static void settle(Verdict& verdict, Reason& reason, IpId& ip, IpId unknown_ip) {
    if (verdict == Verdict::kShared) return;
    const bool unknown = unknown_ip != kNone;
    verdict = unknown ? Verdict::kUnknown : Verdict::kDedicated;
    reason = unknown ? Reason::kIpNeverExclusive : Reason::kAllIpsExclusive;
    ip = unknown_ip;
  }

  // The certificates naming only this domain or "*." its parent (not a public suffix).
  std::vector<uint32_t> identifying_certs(NameId dom) const {
    std::vector<uint32_t> certs;
    auto add_certs = [&](NameId name) {
      if (name == kNone) return;
      auto it = std::lower_bound(single_name_certs_.begin(), single_name_certs_.end(),
                                 std::pair<NameId, uint32_t>{name, 0});
      for (; it != single_name_certs_.end() && it->first == name; ++it) certs.push_back(it->second);
    };
    std::string_view dname = data_.names[dom];
    add_certs(dom);
    if (auto dot = dname.find('.'); dot != std::string_view::npos) {
      std::string_view parent = dname.substr(dot + 1);
      if (!psl_.is_public_suffix(parent)) add_certs(data_.names.find("*." + std::string(parent)));
    }
    return certs;
  }

  // Certificate fallback (002 section 4.2.2).
  void from_certificates(DomainVerdict& v, std::vector<DomainIp>& fallback_ips) {
    std::vector<std::pair<IpId, Day>> seen;
    for (uint32_t c : identifying_certs(v.domain)) {
      auto it = std::lower_bound(sightings_.begin(), sightings_.end(), c,
                                 [](const CertSighting& s, uint32_t x) { return s.cert < x; });
      for (; it != sightings_.end() && it->cert == c; ++it) seen.push_back({it->ip, it->day});
      if (v.cert == kNone) v.cert = c;
    }
    std::sort(seen.begin(), seen.end());
    seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
    if (seen.empty()) {
      v.exclusive = v.threshold = Verdict::kUnknown;
      v.exclusive_reason = v.threshold_reason = Reason::kNoData;
      v.cert = kNone;
      return;
    }
    v.exclusive = v.threshold = Verdict::kDedicated;
    v.exclusive_reason = v.threshold_reason = Reason::kCertificateFallback;
    IpId last = kNone;
    for (auto [ip, day] : seen) {
      if (ip != last) ++v.ips_total;
      last = ip;
      fallback_ips.push_back({v.domain, ip, day, kCertificate});
      const IpDay* r = out_.find(ip, day);
      if (!r) continue;
      if (r->exclusive == Verdict::kShared)
        mark_shared(v.exclusive, v.exclusive_reason, v.exclusive_ip, v.exclusive_day,
                    Reason::kCertificateFallback, ip, day);
      if (out_.threshold_for(*r, v.provider) == Verdict::kShared)
        mark_shared(v.threshold, v.threshold_reason, v.threshold_ip, v.threshold_day,
                    Reason::kCertificateFallback, ip, day);
    }
    if (v.exclusive == Verdict::kDedicated) v.ips_exclusive = v.ips_total;
  }

  const Dataset& data_;
  NameFacts& facts_;
  const Psl& psl_;
  Classification& out_;
  std::vector<uint32_t> ip_row_begin_, ip_rows_;
  std::vector<IpSummary> summaries_;
  std::vector<uint8_t> summarised_;
  std::vector<std::pair<NameId, uint32_t>> single_name_certs_;
  std::vector<CertSighting> sightings_;
};

}  // namespace

Classification classify(const Dataset& data, const ProviderLookup& lookup, Day first_day,
                        Day last_day, const ClassifyOptions& options, const Psl& psl) {
  Classification out;
  out.first_day = first_day;
  out.last_day = std::max(first_day - 1, last_day);
  out.options = options;
  NameFacts facts(data, lookup, psl, out);
  facts.prefetch(options.threads);
  const size_t n_days = static_cast<size_t>(out.last_day - first_day + 1);
  {
    const auto obs = window_observations(data, first_day, out.last_day);
    const auto edges = window_edges(data, first_day, out.last_day);
    DayWork work(data, facts, options, obs, edges, first_day, n_days);
    classify_days(work, data.names.size(), n_days, options.threads, out);
  }
  DomainWork(data, facts, psl, out).run();
  facts.finish();
  return out;
}

std::string Classification::other_names(const Dataset& data, const IpDay& r) const {
  constexpr Source kOrder[] = {kActiveDns, kPassiveDns, kAddressPdns, kBulkDns, kCertificate};
  constexpr size_t kShown = 3;
  std::string text;
  std::vector<std::string_view> names;
  for (Source bit : kOrder) {
    names.clear();
    for (uint64_t i = r.names_begin; i < r.names_end && i < ip_name_other.size(); ++i)
      if (ip_name_other[i] && (ip_name_sources[i] & bit)) names.push_back(data.names[ip_names[i]]);
    if (names.empty()) continue;
    std::sort(names.begin(), names.end());
    text += std::string(text.empty() ? "" : "; ") + std::to_string(names.size()) + " from " +
            source_words(bit) + ": ";
    for (size_t i = 0; i < names.size() && i < kShown; ++i)
      text += (i ? ", " : "") + std::string(names[i]);
    if (names.size() > kShown) text += ", ...";
  }
  return text;
}

std::string ptr_hint(const Dataset& data, IpId ip) {
  auto ptr = data.ptr_of(ip);
  if (ptr.empty()) return "";
  std::string hint = "host name (PTR): ";
  for (size_t i = 0; i < ptr.size() && i < 3; ++i) hint += (i ? ", " : "") + std::string(ptr[i]);
  if (ptr.size() > 3) hint += ", ...";
  return hint;
}

std::string Classification::ip_reason(const Dataset& data, const IpDay& r, Rule rule,
                                      const IpProvider* p) const {
  const std::string others = other_names(data, r);
  const std::string names_of_others = others.empty() ? "" : "; names of other sites: " + others;
  if (rule == Rule::kThreshold && p != nullptr) {
    std::string counts = std::to_string(p->not_matching) +
                         " names not matching the provider (threshold " +
                         std::to_string(options.shared_threshold) + ")";
    switch (p->threshold_reason) {
      case Reason::kAboveThreshold:
        return counts + ": shared" + names_of_others;
      case Reason::kOnlyCertificates:
        return counts + "; certificate names only, no DNS data";
      default:
        return counts;
    }
  }
  switch (r.exclusive_reason) {
    case Reason::kOneRegistrableDomain:
      return "only names of " + std::string(registrable[r.domain]) + " and their CNAME targets";
    case Reason::kSeveralRegistrableDomains:
      return std::to_string(r.registrable_domains) + " registrable domains" + names_of_others;
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

EvidenceCoverage evidence_coverage(const Classification& cls, Day day) {
  EvidenceCoverage c;
  for (const auto& r : cls.ip_days) {
    if (r.day != day || r.providers_begin == r.providers_end) continue;
    ++c.addresses;
    if (r.sources & kAddressSources) ++c.with_evidence;
  }
  return c;
}

std::string coverage_str(const EvidenceCoverage& c) {
  if (c.addresses == 0) return "no verdict addresses";
  char pct[32];
  std::snprintf(pct, sizeof pct, "%.1f%%", 100.0 * double(c.with_evidence) / double(c.addresses));
  return std::to_string(c.with_evidence) + " of " + std::to_string(c.addresses) +
         " verdict addresses (" + pct + ") had reverse or bulk evidence";
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
