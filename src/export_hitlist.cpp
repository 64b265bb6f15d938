#include "src/export_hitlist.h"

#include <cstdio>

#include "backend_map/catalogue_view.h"
#include "backend_map/hitlist.h"
#include "config/catalogue.h"
#include "db/store.h"
#include "src/classify_inputs.h"

namespace iotmap::cli {

namespace bm = backend_map;

namespace {

bm::Verdict verdict_of(const std::string& s) {
  if (s == "dedicated") return bm::Verdict::kDedicated;
  if (s == "shared") return bm::Verdict::kShared;
  return bm::Verdict::kUnknown;
}

uint8_t sources_of(const std::string& text) {
  uint8_t m = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t plus = text.find('+', start);
    if (plus == std::string::npos) plus = text.size();
    if (auto s = bm::parse_source(std::string_view(text).substr(start, plus - start))) m |= *s;
    start = plus + 1;
  }
  return m;
}

}  // namespace

int export_hitlist(Context& ctx, Args& args) {
  const bm::Day date = classify_date_option(args);
  std::string format = args.option("--format").value_or("csv");
  const bool include_shared = args.flag("--include-shared");
  auto output = args.option("--output");
  args.positionals();
  if (format != "csv" && format != "jsonl" && format != "rules")
    throw UsageError("--format: csv, jsonl or rules");
  const auto& cfg = ctx.config();
  auto rule = bm::parse_rule(cfg.classify.hitlist_rule).value_or(bm::Rule::kExclusive);
  try {
    auto view = bm::view_of(config::Catalogue::load(cfg));
    db::Store store(ctx.db_path(), {.create = false});
    auto stored = store.hitlist(bm::day_str(date));
    note_current_catalogue("export hitlist", bm::day_str(date), fill_entries(stored, view));
    // The renderers work on interned rows: rebuild them from the stored text.
    bm::Dataset d;
    std::vector<bm::HitlistRow> rows;
    for (const auto& s : stored) {
      if (s.infrastructure != "dedicated" && !include_shared) continue;
      auto ip = IpAddress::parse(s.ip);
      int32_t p = view.index(s.provider);
      if (!ip) continue;
      if (p < 0) {  // a provider the catalogue no longer has: keep the row under its id
        bm::Provider unknown;
        unknown.id = unknown.name = s.provider;
        view.providers.push_back(std::move(unknown));
        p = int32_t(view.providers.size() - 1);
      }
      bm::HitlistRow r;
      r.date = date;
      r.provider = p;
      r.domain = d.name(s.domain);
      r.ip = d.ip(*ip);
      r.port = static_cast<uint16_t>(s.port);
      r.protocol = s.protocol;
      r.infrastructure = verdict_of(s.infrastructure);
      r.sources = sources_of(s.sources);
      r.first_seen = bm::day_of(s.first_seen.value_or(day_seconds(date)));
      r.last_seen = bm::day_of(s.last_seen.value_or(day_seconds(date)));
      r.primary = s.domain_class != "support";
      r.entry = s.entry;
      rows.push_back(std::move(r));
    }
    // The store returns IPs in text order ("2001:db8::1" before "203.0.113.5", "10.0.0.10"
    // before "10.0.0.9"); files must come out in the order classify built them.
    bm::sort_hitlist(d, view.providers, rows);
    std::string text = format == "csv"     ? bm::hitlist_csv(d, view.providers, rows)
                       : format == "jsonl" ? bm::hitlist_jsonl(d, view.providers, rows)
                                           : bm::hitlist_rules(d, view.providers, rows, date, rule);
    write_output(output, text);
    if (stored.empty())
      std::fprintf(stderr,
                   "iotmap export hitlist: nothing stored for %s (run iotmap classify --date %s)\n",
                   bm::day_str(date).c_str(), bm::day_str(date).c_str());
    else
      std::fprintf(stderr, "iotmap export hitlist: %zu rows\n", rows.size());
    return kOk;
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "iotmap export hitlist: %s\n", e.what());
    return kConfig;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iotmap export hitlist: %s\n", e.what());
    return kFailure;
  }
}

}  // namespace iotmap::cli
