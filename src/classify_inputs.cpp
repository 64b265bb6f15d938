#include "src/classify_inputs.h"

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include "backend_map/ranges.h"
#include "certs/names.h"

namespace iotmap::cli {

namespace bm = backend_map;

std::string store_name(std::string_view name) {
  std::string out(name);
  if (out.empty() || out.back() != '.') out += '.';
  return out;
}

int64_t day_seconds(bm::Day day) { return int64_t(day) * 86400; }

size_t fill_entries(std::vector<db::HitlistRow>& rows, const bm::CatalogueView& view) {
  size_t filled = 0;
  const db::HitlistRow* last = nullptr;  // rows come by provider and domain: one look-up each
  for (auto& r : rows) {
    if (!r.entry.empty()) continue;
    const bool same = last && last->provider == r.provider && last->domain == r.domain;
    r.entry = same ? last->entry : bm::catalogue_entry(view, r.provider, r.domain);
    last = &r;
    ++filled;
  }
  return filled;
}

void note_current_catalogue(std::string_view command, std::string_view day, size_t filled) {
  if (filled == 0) return;
  std::fprintf(stderr,
               "iotmap %.*s: the hitlist of %.*s was classified before catalogue entries were "
               "stored: its %zu rows are grouped, and N counted, by the current catalogue\n",
               int(command.size()), command.data(), int(day.size()), day.data(), filled);
}

namespace {

// The application protocol a TLS observation shows, as the hitlist names it.
std::string protocol_of(const db::TlsObservationRow& r) {
  bool tls = !r.tls_version.empty() || !r.leaf_sha256.empty();
  if (r.protocol == "http") return tls ? "https" : "http";
  if (r.protocol == "none" || r.protocol.empty()) return tls ? "tls" : "tcp";
  return r.protocol;
}

// A leaf certificate's names and validity. A certificate that was not valid on the day it was
// observed (expired, or not yet valid) names nothing: the method counts only certificates valid
// in the window, and an expired certificate left on a server says little about who it serves.
struct CertNames {
  std::vector<std::string> names;
  std::optional<int64_t> not_before, not_after;
  bool valid_on_day(int64_t t) const { return certs::valid_on_day(not_before, not_after, t); }
};

bool answered(const db::TlsObservationRow& r) {
  return r.status == "ok" || r.status == "cert_only" || r.status == "client_cert_required";
}

}  // namespace

bool add_address_name(bm::Dataset& d, bm::Day day, const db::AddressNameRow& r) {
  if (r.rrtype == "CNAME") {
    if (r.target.empty()) return false;
    d.cname(day, r.name, r.target, r.kind == "bulk" ? bm::kBulkDns : bm::kAddressPdns);
    return true;
  }
  auto ip = IpAddress::parse(r.ip);
  if (!ip) return false;
  if (r.rrtype == "PTR") {  // a PTR name serves no site: a hint, never an observation
    d.ptr(*ip, r.name);
    return false;
  }
  if (r.rrtype != "A" && r.rrtype != "AAAA") return false;
  d.observe(day, *ip, r.name, r.kind == "bulk" ? bm::kBulkDns : bm::kAddressPdns);
  return true;
}

WindowData load_window(db::Store& store, bm::Day date, int window_days) {
  WindowData w;
  w.first = date - std::max(1, window_days) + 1;
  w.last = date;
  auto& d = w.data;
  std::unordered_map<std::string, CertNames> cert_names;
  for (bm::Day day = w.first; day <= w.last; ++day) {
    const int64_t from = day_seconds(day), to = day_seconds(day + 1);
    store.for_each_ip_name(from, to, [&](const db::IpNameRow& r) {
      auto ip = IpAddress::parse(r.ip);
      if (!ip) return;
      d.resolution(day, *ip, r.name, r.cname_chain, bm::kActiveDns);
      ++w.resolutions;
    });
    store.for_each_pdns(from, to, [&](const db::PdnsRow& r) {
      if (r.rrtype == "CNAME") {
        d.cname(day, r.rrname, r.rdata);
      } else if (r.rrtype == "A" || r.rrtype == "AAAA") {
        auto ip = IpAddress::parse(r.rdata);
        if (!ip) return;
        d.observe(day, *ip, r.rrname, bm::kPassiveDns);
      } else {
        return;
      }
      ++w.pdns;
    });
    store.for_each_address_name(from, to, [&](const db::AddressNameRow& r) {
      if (add_address_name(d, day, r)) ++w.address_names;
    });
    store.for_each_tls_observation(from, to, [&](const db::TlsObservationRow& r) {
      auto ip = IpAddress::parse(r.ip);
      if (!ip || r.port <= 0 || r.port > 65535) return;
      auto port = static_cast<uint16_t>(r.port);
      d.service(day, *ip, port, protocol_of(r), answered(r));
      ++w.tls;
      // Names are read after the scan: the store is not re-entered from inside a read.
      if (!r.leaf_sha256.empty()) cert_names.try_emplace(r.leaf_sha256);
    });
  }
  // Certificate names, once per fingerprint, then one sighting per observation.
  for (auto& [sha, c] : cert_names) {
    if (auto cert = store.certificate(sha)) {
      if (!cert->common_name.empty()) c.names.push_back(cert->common_name);
      c.names.insert(c.names.end(), cert->dns_sans.begin(), cert->dns_sans.end());
      c.not_before = cert->not_before;
      c.not_after = cert->not_after;
    }
  }
  for (bm::Day day = w.first; day <= w.last; ++day) {
    store.for_each_tls_observation(
        day_seconds(day), day_seconds(day + 1), [&](const db::TlsObservationRow& r) {
          if (r.leaf_sha256.empty()) return;
          auto ip = IpAddress::parse(r.ip);
          auto it = cert_names.find(r.leaf_sha256);
          if (!ip || it == cert_names.end() || r.port <= 0 || r.port > 65535) return;
          if (!it->second.valid_on_day(r.observed_at))
            return;  // docs/method.md: only valid certificates
          d.certificate(day, *ip, static_cast<uint16_t>(r.port), r.leaf_sha256, it->second.names);
        });
  }
  for (const auto& n : store.candidate_names())
    if (!n.provider.empty()) d.domain(n.name);
  return w;
}

namespace {

std::string read_text(const std::string& path, std::vector<std::string>& problems) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problems.push_back(path + ": cannot read");
    return {};
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void note_issues(const std::vector<bm::ParseIssue>& issues, std::vector<std::string>& problems) {
  for (size_t i = 0; i < issues.size() && i < 10; ++i)
    problems.push_back(issues[i].where + ": " + issues[i].message);
  if (issues.size() > 10)
    problems.push_back("... and " + std::to_string(issues.size() - 10) + " more malformed lines");
}

}  // namespace

std::unique_ptr<FootprintSources> load_footprint_sources(const config::Config& config,
                                                         const bm::CatalogueView& view) {
  auto s = std::make_unique<FootprintSources>();
  const auto& src = config.sources;
  std::vector<bm::ParseIssue> issues;
  std::vector<std::string> pfx_files;
  if (!src.pfx2as.empty()) pfx_files.push_back(src.pfx2as);
  pfx_files.insert(pfx_files.end(), src.pfx2as_extra.begin(), src.pfx2as_extra.end());
  for (const auto& f : pfx_files) {
    std::ifstream in(f);
    if (!in) {
      s->problems.push_back(f + ": cannot read");
      continue;
    }
    bm::read_pfx2as(in, f, s->pfx2as, issues);
  }
  if (!src.as2org.empty()) {
    std::ifstream in(src.as2org);
    if (in)
      s->as2org = bm::read_as2org(in, src.as2org, issues);
    else
      s->problems.push_back(src.as2org + ": cannot read");
  }
  if (!src.cloud_ases.empty()) {
    std::ifstream in(src.cloud_ases);
    if (in)
      s->cloud_ases = bm::read_cloud_ases(in, src.cloud_ases, issues);
    else
      s->problems.push_back(src.cloud_ases + ": cannot read");
    s->inputs.cloud_ases = &s->cloud_ases;
  }
  note_issues(issues, s->problems);
  issues.clear();
  if (!src.geoip.empty()) {
    try {
      s->geo = std::make_unique<bm::MaxMindGeo>(src.geoip);
      s->inputs.geo = s->geo->as_lookup();
    } catch (const std::exception& e) {
      s->problems.emplace_back(e.what());
    }
  }
  for (const auto& f : src.published_ranges) {
    std::string text = read_text(f, s->problems);
    if (text.empty()) continue;
    try {
      auto ranges = bm::parse_published_ranges(text, f);
      int32_t p = view.index(ranges.format == bm::RangeFormat::kAzureServiceTags ? "microsoft"
                             : ranges.format == bm::RangeFormat::kGoogleCloud    ? "google"
                                                                                 : "aws");
      if (p >= 0) s->inputs.published.emplace_back(p, std::move(ranges));
    } catch (const std::exception& e) {
      s->problems.emplace_back(e.what());
    }
  }
  if (!src.blocklist_overlap.empty()) {
    std::string text = read_text(src.blocklist_overlap, s->problems);
    s->inputs.blocklist = bm::parse_netset(text, src.blocklist_overlap, issues);
    auto slash = src.blocklist_overlap.find_last_of('/');
    s->inputs.blocklist_name = slash == std::string::npos ? src.blocklist_overlap
                                                          : src.blocklist_overlap.substr(slash + 1);
    note_issues(issues, s->problems);
  }
  s->inputs.providers = &view.providers;
  if (s->pfx2as.size() > 0) s->inputs.pfx2as = &s->pfx2as;
  if (!s->as2org.empty()) s->inputs.as2org = &s->as2org;
  return s;
}

}  // namespace iotmap::cli
