// `iotmap classify --date D [--window DAYS]`: reads the window's resolutions, passive DNS and
// TLS observations from the store, classifies every IP and domain (backend_map/classify.h),
// computes each provider's footprint, and replaces the date's IP verdicts, domain verdicts,
// hitlist (every verdict; the export filters) and footprint in the store.
#include <bit>
#include <cstdio>
#include <thread>

#include "backend_map/hitlist.h"
#include "backend_map/report.h"
#include "config/catalogue.h"
#include "lib/text.h"
#include "src/classify_inputs.h"
#include "src/commands.h"

namespace iotmap::cli {

namespace bm = backend_map;

namespace {

bm::Day parse_date_option(const std::optional<std::string>& text) {
  if (!text) throw UsageError("--date YYYY-MM-DD is required");
  return date_option("--date", *text);
}

int parse_window(const std::optional<std::string>& text, int fallback) {
  return text ? whole_option("--window", *text, 1, 366) : fallback;
}

// ip_verdicts' per-source counts of the names counted against the provider.
void set_sharing_counts(const bm::IpProvider& p, db::IpVerdictRow& row) {
  auto of = [&](bm::Source bit) {
    return int64_t(p.sharing[size_t(std::countr_zero(unsigned(bit)))]);
  };
  row.sharing_active_dns = of(bm::kActiveDns);
  row.sharing_pdns = of(bm::kPassiveDns);
  row.sharing_cert = of(bm::kCertificate);
  row.sharing_pdns_reverse = of(bm::kAddressPdns);
  row.sharing_bulk = of(bm::kBulkDns);
}

std::string provider_id(const bm::CatalogueView& view, int32_t p) {
  return p >= 0 && size_t(p) < view.providers.size() ? view.providers[size_t(p)].id : "";
}

// Everything classify does once its run is begun; the caller records a failure.
int classify_day(const config::Config& cfg, const bm::CatalogueView& view, db::Store& store,
                 int64_t run, bm::Day date, int window, bm::Rule rule) {
  auto w = load_window(store, date, window);
  auto options = bm::ClassifyOptions::from(cfg.classify);
  options.threads = int(std::max(1u, std::thread::hardware_concurrency()));
  options.providers = &view.providers;
  auto cls = bm::classify(w.data, view.lookup, w.first, w.last, options);
  const auto& d = w.data;

  std::vector<db::IpVerdictRow> ip_rows;
  size_t shared_ips = 0;
  const bm::EvidenceCoverage coverage = bm::evidence_coverage(cls, date);
  for (const auto& r : cls.ip_days) {
    if (r.day != date) continue;
    for (uint32_t i = r.providers_begin; i < r.providers_end; ++i) {
      const auto& p = cls.ip_providers[i];
      db::IpVerdictRow row;
      row.ip = d.ips[r.ip].str();
      row.provider = provider_id(view, p.provider);
      row.verdict_threshold = bm::verdict_str(p.threshold);
      row.verdict_exclusive = bm::verdict_str(r.exclusive);
      row.reason = "exclusive: " + cls.ip_reason(d, r, bm::Rule::kExclusive) +
                   "; threshold: " + cls.ip_reason(d, r, bm::Rule::kThreshold, &p);
      if (std::string hint = bm::ptr_hint(d, r.ip); !hint.empty()) row.reason += "; " + hint;
      row.names_total = r.names_total;
      row.names_not_matching = p.not_matching;
      row.registrable_domains = r.registrable_domains;
      row.sources = p.sources;  // same bits as db::SourceBits
      row.sources_text = bm::sources_str(p.sources);
      row.run_id = run;
      set_sharing_counts(p, row);
      row.address_sources = r.sources;
      shared_ips +=
          (rule == bm::Rule::kExclusive ? r.exclusive : p.threshold) == bm::Verdict::kShared;
      ip_rows.push_back(std::move(row));
    }
  }

  std::vector<db::DomainVerdictRow> domain_rows;
  size_t dedicated = 0;
  for (const auto& v : cls.domains) {
    if (v.provider < 0) continue;
    db::DomainVerdictRow row;
    row.provider = provider_id(view, v.provider);
    row.domain = store_name(d.names[v.domain]);
    row.verdict = bm::verdict_str(v.verdict(rule));
    row.reason = cls.domain_reason(d, v, rule);
    row.ips_total = v.ips_total;
    row.ips_exclusive = v.ips_exclusive;
    row.run_id = run;
    dedicated += v.verdict(rule) == bm::Verdict::kDedicated;
    domain_rows.push_back(std::move(row));
  }

  bm::HitlistOptions ho;
  ho.date = date;
  ho.rule = rule;
  ho.include_shared = true;  // stored with their verdict; `export hitlist` filters
  std::vector<db::HitlistRow> hit_rows;
  for (const auto& h : bm::build_hitlist(d, cls, view.providers, ho)) {
    db::HitlistRow row;
    row.provider = provider_id(view, h.provider);
    row.domain = store_name(d.names[h.domain]);
    row.ip = d.ips[h.ip].str();
    row.port = h.port;
    row.protocol = h.protocol;
    row.infrastructure = bm::verdict_str(h.infrastructure);
    row.level = view.providers[size_t(h.provider)].level;
    row.domain_class = h.primary ? "primary" : "support";
    row.sources = bm::sources_str(h.sources);
    row.first_seen = day_seconds(h.first_seen);
    row.last_seen = day_seconds(h.last_seen);
    hit_rows.push_back(std::move(row));
  }
  fill_entries(hit_rows, view);  // the day's N, whatever the catalogue says later

  auto sources = load_footprint_sources(cfg, view);
  auto fp = bm::compute_footprint(d, cls, sources->inputs);
  std::vector<db::FootprintRow> fp_rows;
  for (const auto& f : fp.providers) {
    db::FootprintRow row;
    row.provider = provider_id(view, f.provider);
    row.ipv4 = f.ipv4;
    row.ipv6 = f.ipv6;
    row.ases = int64_t(f.ases.size());
    row.prefixes_v4 = f.prefixes_v4;
    row.prefixes_v6 = f.prefixes_v6;
    row.strategy = f.strategy;
    row.detail = bm::provider_footprint_json(view.providers, f);
    fp_rows.push_back(std::move(row));
  }

  const std::string day = bm::day_str(date);
  store.replace_ip_verdicts(day, ip_rows);
  store.replace_domain_verdicts(day, domain_rows);
  store.replace_hitlist(day, hit_rows);
  store.replace_footprint(day, fp_rows);

  for (const auto& p : sources->problems)
    std::fprintf(stderr, "iotmap classify: %s\n", shown(p, 300).c_str());
  const bool partial = !sources->problems.empty();
  store.finish_run(run, partial ? "partial" : "ok",
                   {{"resolutions", int64_t(w.resolutions)},
                    {"pdns", int64_t(w.pdns)},
                    {"tls", int64_t(w.tls)},
                    {"address_names", int64_t(w.address_names)},
                    {"verdict_ips", int64_t(coverage.addresses)},
                    {"evidence_ips", int64_t(coverage.with_evidence)},
                    {"ip_verdicts", int64_t(ip_rows.size())},
                    {"domains", int64_t(domain_rows.size())},
                    {"dedicated_domains", int64_t(dedicated)},
                    {"hitlist_rows", int64_t(hit_rows.size())}},
                   partial ? "some footprint sources could not be read" : "");
  std::printf(
      "classify %s (window %s..%s, rule %s): %zu IP verdicts (%zu shared), %zu domains "
      "(%zu dedicated), %zu hitlist rows, %zu providers in the footprint; evidence coverage "
      "%s\n",
      day.c_str(), bm::day_str(w.first).c_str(), bm::day_str(w.last).c_str(), bm::rule_str(rule),
      ip_rows.size(), shared_ips, domain_rows.size(), dedicated, hit_rows.size(), fp_rows.size(),
      bm::coverage_str(coverage).c_str());
  return partial ? kPartial : kOk;
}

}  // namespace

// Shared with `iotmap report`: the date and window options.
bm::Day classify_date_option(Args& args) { return parse_date_option(args.option("--date")); }
int classify_window_option(Args& args, int fallback) {
  return parse_window(args.option("--window"), fallback);
}

int run_classify(Context& ctx, Args& args) {
  const bm::Day date = classify_date_option(args);
  const auto& cfg = ctx.config();
  const int window = classify_window_option(args, cfg.classify.window_days);
  args.positionals();
  auto rule = bm::parse_rule(cfg.classify.hitlist_rule);
  if (!rule) {
    std::fprintf(
        stderr,
        "iotmap classify: [classify] hitlist_rule must be exclusive or threshold, not \"%s\"\n",
        cfg.classify.hitlist_rule.c_str());
    return kConfig;
  }
  try {
    auto view = bm::view_of(config::Catalogue::load(cfg));
    db::Store store(ctx.db_path(), {.create = false});
    db::RunInfo info;
    info.kind = "classify";
    info.covers = bm::day_str(date);
    info.config = "window=" + std::to_string(window) +
                  " shared_threshold=" + std::to_string(cfg.classify.shared_threshold) +
                  " hitlist_rule=" + bm::rule_str(*rule);
    const int64_t run = store.begin_run(info);
    ctx.track_run(ctx.db_path(), run);

    try {
      return classify_day(cfg, view, store, run, date, window, *rule);
    } catch (const std::exception& e) {
      // A run never stays `running` after an error: the next daily would otherwise take it for
      // one still going.
      try {
        store.finish_run(run, "failed", {}, e.what());
      } catch (const std::exception&) {  // the database itself failed; the first error says why
      }
      throw;
    }
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "iotmap classify: %s\n", e.what());
    return kConfig;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iotmap classify: %s\n", e.what());
    return kFailure;
  }
}

}  // namespace iotmap::cli
