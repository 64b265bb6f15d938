// `iotmap report footprint --date D --format md|html|json [--window DAYS] [--output FILE]`:
// each provider's footprint (docs/method.md section 4) over the window ending on D, recomputed from
// the store with the configured prefix-to-AS, as2org, geolocation, published-range and
// blocklist files, rendered as Markdown, JSON or one self-contained HTML page.
#include <cstdio>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "backend_map/devices_report.h"
#include "backend_map/report.h"
#include "config/catalogue.h"
#include "detect/report.h"
#include "lib/json.h"
#include "lib/text.h"
#include "src/classify_inputs.h"
#include "src/commands.h"

namespace iotmap::cli {

namespace bm = backend_map;

namespace {

// What `iotmap detect` stored for the day (docs/detect.md), or nothing when it did not run.
std::optional<detect::DaySummary> detection_summary(db::Store& store, const std::string& date) {
  auto day = store.detection_day(date);
  if (!day) return std::nullopt;
  detect::DaySummary out{date, day->flows, day->matched, day->scanners, day->rule, day->d, {}};
  std::map<std::string, detect::ServiceSummary> by;
  for (const auto& r : store.detections(date, "day")) {
    auto& s = by[r.service];
    s.service = r.service;
    s.level = r.level;
    s.rule = r.rule;
    s.lines += r.lines;
  }
  for (const auto& t : store.detection_traffic(date)) {
    auto& s = by[t.service];
    s.service = t.service;
    s.traffic_lines = t.lines;
    s.flows = t.flows;
    s.bytes_up = t.bytes_up;
    s.bytes_down = t.bytes_down;
    s.ports = t.ports;
  }
  for (auto& [id, s] : by) out.services.push_back(std::move(s));
  return out;
}

// Appends one section to the report: at the end in Markdown, before </body> in HTML, as the
// top-level `key` in JSON (the footprint's own JSON text, parsed again).
void append_section(std::string& text, const std::string& format, const char* key,
                    const std::function<std::string()>& markdown,
                    const std::function<std::string()>& html,
                    const std::function<nlohmann::ordered_json()>& json) {
  if (format == "md") {
    text += markdown();
  } else if (format == "html") {
    auto end = text.rfind("</body>");
    text.insert(end == std::string::npos ? text.size() : end, html());
  } else {
    auto doc = nlohmann::ordered_json::parse(text);
    doc[key] = json();
    text = json_text(doc, 2) + '\n';
  }
}

void add_detections(std::string& text, const std::string& format,
                    const std::optional<detect::DaySummary>& day) {
  if (!day) return;
  append_section(
      text, format, "detections", [&] { return detect::detections_markdown(*day); },
      [&] { return detect::detections_html(*day); }, [&] { return detect::detections_json(*day); });
}

// The day's device certificates (docs/backend-map.md).
void add_devices(std::string& text, const std::string& format, db::Store& store,
                 const std::string& date, const FootprintSources& sources) {
  std::vector<bm::DeviceSighting> rows;
  for (const auto& r : store.device_certificates(date))
    if (auto ip = IpAddress::parse(r.ip)) rows.push_back({*ip, r.manufacturer, r.signer});
  auto s = bm::summarize_devices(date, rows, sources.inputs.pfx2as, sources.inputs.as2org,
                                 sources.inputs.geo);
  append_section(
      text, format, "devices", [&] { return bm::devices_markdown(s); },
      [&] { return bm::devices_html(s); }, [&] { return bm::devices_json(s); });
}

}  // namespace

int run_report(Context& ctx, Args& args) {
  if (!args.flag("footprint")) {
    auto rest = args.positionals();
    throw UsageError(rest.empty() ? "expected: report footprint"
                                  : "unknown report '" + rest[0] + "'");
  }
  const bm::Day date = classify_date_option(args);
  const auto& cfg = ctx.config();
  const int window = classify_window_option(args, cfg.classify.window_days);
  std::string format = args.option("--format").value_or("md");
  auto output = args.option("--output");
  args.positionals();
  if (format != "md" && format != "html" && format != "json")
    throw UsageError("--format: md, html or json");
  try {
    auto view = bm::view_of(config::Catalogue::load(cfg));
    db::Store store(ctx.db_path(), {.create = false});
    auto w = load_window(store, date, window);
    auto options = bm::ClassifyOptions::from(cfg.classify);
    options.keep_names = false;
    options.threads = int(std::max(1u, std::thread::hardware_concurrency()));
    options.providers = &view.providers;
    auto cls = bm::classify(w.data, view.lookup, w.first, w.last, options);
    auto sources = load_footprint_sources(cfg, view);
    auto fp = bm::compute_footprint(w.data, cls, sources->inputs);
    std::string text = format == "md"     ? bm::footprint_markdown(view.providers, fp, date)
                       : format == "html" ? bm::footprint_html(view.providers, fp, date)
                                          : bm::footprint_json(view.providers, fp, date);
    add_detections(text, format, detection_summary(store, bm::day_str(date)));
    add_devices(text, format, store, bm::day_str(date), *sources);
    for (const auto& p : sources->problems)
      std::fprintf(stderr, "iotmap report: %s\n", shown(p, 300).c_str());
    write_output(output, text);
    if (fp.providers.empty())
      std::fprintf(stderr, "iotmap report: no provider IPs in %s..%s\n",
                   bm::day_str(w.first).c_str(), bm::day_str(w.last).c_str());
    return sources->problems.empty() ? kOk : kPartial;
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "iotmap report: %s\n", e.what());
    return kConfig;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iotmap report: %s\n", e.what());
    return kFailure;
  }
}

}  // namespace iotmap::cli
