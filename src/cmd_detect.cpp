// `iotmap detect [--date D] FLOWS...|-` or `iotmap detect --listen ADDR:PORT`: flow records
// against the hitlist of their own day (docs/detect.md). Detections, traffic per service and the
// day's counts go to the store, subscribers only as pseudonyms (a keyed hash or a prefix,
// ETHICS.md); stdout gets the lines per service, or with --sweep the lines per service for each D.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "backend_map/catalogue_view.h"
#include "config/catalogue.h"
#include "db/store.h"
#include "detect/detector.h"
#include "detect/ipfix.h"
#include "detect/privacy.h"
#include "detect/readers.h"
#include "lib/clock.h"
#include "lib/handle.h"
#include "lib/json.h"
#include "lib/net.h"
#include "lib/stop_signal.h"
#include "lib/text.h"
#include "src/classify_inputs.h"
#include "src/commands.h"

namespace iotmap::cli {
namespace {

struct DetectArgs {
  std::optional<int32_t> date;
  detect::FlowFormat format = detect::FlowFormat::kAuto;
  std::optional<double> d;
  std::optional<detect::DeviceRule> rule;
  std::vector<double> sweep;
  std::optional<std::string> output;
  bool store = true;
  std::vector<std::string> inputs;
  std::optional<AddressPort> listen;  // collect over UDP instead of reading files
  detect::ExportProtocol protocol = detect::ExportProtocol::kIpfix;
  std::optional<int64_t> duration;  // seconds; without, until SIGINT/SIGTERM
};

// --listen, --protocol and --duration: the live collector instead of files.
void read_listen_args(Args& args, DetectArgs& a) {
  if (auto v = args.option("--listen")) {
    try {
      a.listen = parse_address_port(*v);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--listen ") + e.what());
    }
    if (a.listen->port == 0) throw UsageError("--listen: give a port from 1 to 65535");
  }
  auto protocol = args.option("--protocol");
  auto duration = args.option("--duration");
  if (!a.listen && (protocol || duration))
    throw UsageError(std::string(protocol ? "--protocol" : "--duration") +
                     " goes with --listen ADDR:PORT");
  if (protocol && *protocol == "netflow9")
    a.protocol = detect::ExportProtocol::kNetflow9;
  else if (protocol && *protocol != "ipfix")
    throw UsageError("--protocol: ipfix or netflow9, not '" + *protocol + "'");
  if (duration) a.duration = whole_option<int64_t>("--duration", *duration, 1, 31 * 86400);
}

DetectArgs read_args(Args& args) {
  DetectArgs a;
  if (auto v = args.option("--date")) a.date = date_option("--date", *v);
  if (auto v = args.option("--format")) {
    auto f = detect::parse_flow_format(*v);
    if (!f) throw UsageError("--format: auto, nfdump, zeek, zeek-json or ipfix, not '" + *v + "'");
    a.format = *f;
  }
  if (auto v = args.option("--d")) a.d = real_option("--d", *v, 0.001, 1);
  if (auto v = args.option("--rule")) {
    a.rule = detect::parse_device_rule(*v);
    if (!a.rule) throw UsageError("--rule: haystack or guo-heidemann, not '" + *v + "'");
  }
  if (auto v = args.option("--sweep")) {
    try {
      a.sweep = detect::sweep_values(*v);
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  a.output = args.option("--output");
  a.store = !args.flag("--no-store");
  read_listen_args(args, a);
  a.inputs = args.positionals();
  if (a.listen && !a.inputs.empty())
    throw UsageError("--listen collects flows itself: name no flow files with it");
  if (!a.listen && a.inputs.empty())
    throw UsageError("name the flow files (or - for standard input), or --listen ADDR:PORT");
  if (std::count(a.inputs.begin(), a.inputs.end(), "-") > 1)
    throw UsageError("standard input (-) can be read once");
  for (const auto& in : a.inputs) {
    if (in == "-") continue;
    std::ifstream f(in);
    if (!f) throw UsageError(in + ": cannot read (" + std::strerror(errno) + ")");
  }
  return a;
}

std::string read_key_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw config::ConfigError("detect.key_file: cannot read " + path);
  std::string key((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  return key;
}

// The key never appears in a message, a log or the store.
detect::Pseudonymizer pseudonymizer(const config::DetectSettings& s) {
  if (s.subscribers == "prefix") return detect::Pseudonymizer::prefix(s.prefix_v4, s.prefix_v6);
  std::string key;
  if (const char* env = std::getenv("IOTMAP_DETECT_KEY"); env != nullptr && *env != '\0')
    key = env;
  else if (!s.key_file.empty())
    key = read_key_file(s.key_file);
  else
    throw config::ConfigError(
        "detect.subscribers = \"hash\" needs a key: set IOTMAP_DETECT_KEY or detect.key_file "
        "(16 bytes or more), or set detect.subscribers = \"prefix\"");
  try {
    return detect::Pseudonymizer::keyed_hash(std::move(key));
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError(std::string("detect: ") + e.what());
  }
}

// The day's hitlist from the store: dedicated rows only, as `export hitlist --format rules`,
// each name under the catalogue entry classify stored with it, so that a pattern counts as one of
// the N domains and N is the day's, not the current catalogue's.
std::unique_ptr<detect::Hitlist> load_hitlist(db::Store& store, const std::string& day,
                                              const backend_map::CatalogueView& view,
                                              const std::map<std::string, std::string>& parents) {
  auto rows = store.hitlist(day);
  note_current_catalogue("detect", day, fill_entries(rows, view));
  auto h = std::make_unique<detect::Hitlist>();
  for (const auto& r : rows) {
    auto ip = IpAddress::parse(r.ip);
    if (r.infrastructure != "dedicated" || !ip || r.port <= 0 || r.port > 65535) continue;
    h->add(r.provider, r.level.empty() ? "backend" : r.level, r.entry, r.domain_class != "support",
           *ip, static_cast<uint16_t>(r.port), detect::transport_of(r.protocol));
  }
  if (h->endpoints() == 0) return nullptr;
  h->set_parents(parents);
  return h;
}

std::string period_of(const detect::Detection& d) {
  if (d.hour < 0) return "day";
  char hh[4];
  std::snprintf(hh, sizeof hh, "%02d", static_cast<int>((d.hour % 86400) / 3600));
  return db::utc_date(d.hour) + "T" + hh;
}

// Detections per pseudonym: sources behind one prefix become one row with `lines` of them.
std::map<int32_t, std::vector<db::DetectionRow>> by_pseudonym(
    const std::vector<detect::Detection>& found, const detect::Pseudonymizer& name) {
  std::map<std::tuple<int32_t, std::string, std::string, std::string>, db::DetectionRow> rows;
  for (const auto& d : found) {
    db::DetectionRow& r = rows[{d.day, period_of(d), name(d.source), d.service}];
    if (r.service.empty()) {
      r = db::DetectionRow{period_of(d), name(d.source),    d.service, d.level,     d.rule,    d.d,
                           d.matched,    d.primary_matched, d.n,       d.threshold, d.domains, 0};
    } else {
      r.matched = std::max<int64_t>(r.matched, d.matched);
      r.primary_matched = std::max<int64_t>(r.primary_matched, d.primary_matched);
      std::set<std::string> all(r.domains.begin(), r.domains.end());
      all.insert(d.domains.begin(), d.domains.end());
      r.domains.assign(all.begin(), all.end());
    }
    ++r.lines;
  }
  std::map<int32_t, std::vector<db::DetectionRow>> out;
  for (auto& [key, r] : rows) out[std::get<0>(key)].push_back(std::move(r));
  return out;
}

std::map<int32_t, std::vector<db::DetectionTrafficRow>> traffic_rows(
    const std::vector<detect::Traffic>& traffic) {
  std::map<int32_t, std::vector<db::DetectionTrafficRow>> out;
  for (const auto& t : traffic) {
    nlohmann::ordered_json ports = nlohmann::ordered_json::object();
    for (const auto& [port, bytes] : t.port_bytes) ports[std::to_string(port)] = bytes;
    out[t.day].push_back(db::DetectionTrafficRow{t.service, int64_t(t.sources), int64_t(t.flows),
                                                 int64_t(t.bytes_up), int64_t(t.bytes_down),
                                                 json_text(ports)});
  }
  return out;
}

// Lines per day and service (the daily detections), one CSV row each; `d` leads with --sweep.
std::string lines_per_service(const std::vector<detect::Detection>& found,
                              std::optional<double> d) {
  std::map<std::tuple<int32_t, std::string, std::string, std::string>, int64_t> lines;
  for (const auto& x : found)
    if (x.hour < 0) ++lines[{x.day, x.service, x.level, x.rule}];
  std::string out;
  char dtext[32];
  if (d) std::snprintf(dtext, sizeof dtext, "%g,", *d);
  for (const auto& [key, count] : lines) {
    const auto& [day, service, level, rule] = key;
    out += (d ? std::string(dtext) : std::string()) + db::utc_date(int64_t{day} * 86400) + ',' +
           csv_cell(service) + ',' + level + ',' + rule + ',' + std::to_string(count) + '\n';
  }
  return out;
}

// IPFIX when --format says so, or (auto) when the input starts as an IPFIX message does; text
// formats never start with a NUL byte, which is all that standard input can be peeked for.
bool is_ipfix(const std::string& in, detect::FlowFormat format) {
  if (format != detect::FlowFormat::kAuto) return format == detect::FlowFormat::kIpfix;
  if (in == "-") return std::cin.peek() == 0;
  unsigned char head[4] = {};
  std::ifstream f(in, std::ios::binary);
  f.read(reinterpret_cast<char*>(head), sizeof head);
  return detect::looks_like_ipfix(head, static_cast<size_t>(f.gcount()));
}

detect::ReadStats read_input(const std::string& in, detect::FlowFormat format,
                             const std::function<void(const detect::Flow&)>& emit) {
  const std::string name = in == "-" ? "<stdin>" : in;
  if (is_ipfix(in, format)) {
    if (in == "-") return detect::read_ipfix(stdin, name, emit);
    Handle<FILE, ::fclose> f(std::fopen(in.c_str(), "rb"));
    if (!f) throw std::runtime_error(in + ": cannot read (" + std::strerror(errno) + ")");
    return detect::read_ipfix(f.get(), name, emit);
  }
  detect::FlowReader reader(name, format);
  if (in == "-") {
    reader.read(std::cin, emit);
  } else {
    std::ifstream f(in);
    reader.read(f, emit);
  }
  return reader.stats();
}

// The live collector: binds (a failure is named, exit 1), then collects until --duration
// seconds have passed or SIGINT/SIGTERM; what came in is then matched and stored as files are.
detect::ReadStats collect(const DetectArgs& a,
                          const std::function<void(const detect::Flow&)>& emit) {
  detect::FlowListener listener(a.listen->ip, a.listen->port, a.protocol);
  StopOnSignal stop;
  auto until = std::chrono::steady_clock::time_point::max();
  if (a.duration) until = std::chrono::steady_clock::now() + std::chrono::seconds(*a.duration);
  std::fprintf(
      stderr, "iotmap detect: listening on UDP %s %s (SIGTERM or Ctrl-C ends it)\n",
      listener.name().c_str(),
      a.duration ? ("for " + std::to_string(*a.duration) + " s").c_str() : "until stopped");
  std::fflush(stderr);
  listener.run(emit, until, StopOnSignal::flag());
  std::fprintf(stderr, "iotmap detect: collected %llu flow records from %s\n",
               static_cast<unsigned long long>(listener.stats().flows), listener.name().c_str());
  return listener.stats();
}

int report_inputs(const std::vector<detect::ReadStats>& stats, uint64_t outside) {
  uint64_t malformed = 0, notes = 0;
  for (const auto& s : stats) {
    malformed += s.malformed;
    notes += s.notes;
    for (const auto& p : s.problems) std::fprintf(stderr, "iotmap detect: %s\n", p.c_str());
    if (s.malformed > s.problems.size())
      std::fprintf(stderr, "iotmap detect: ... and %llu more bad lines\n",
                   static_cast<unsigned long long>(s.malformed - s.problems.size()));
  }
  if (notes > 1)
    std::fprintf(stderr, "iotmap detect: %llu IPFIX/NetFlow header counts did not add up in all\n",
                 static_cast<unsigned long long>(notes));
  if (outside > 0)
    std::fprintf(stderr, "iotmap detect: %llu flows outside --date skipped\n",
                 static_cast<unsigned long long>(outside));
  return malformed > 0 ? 1 : 0;
}

}  // namespace

int run_detect(Context& ctx, Args& args) {
  DetectArgs a = read_args(args);
  const auto& cfg = ctx.config().detect;
  detect::Options options;
  options.d = a.d.value_or(cfg.d);
  options.device_rule = a.rule.value_or(
      detect::parse_device_rule(cfg.device_rule).value_or(detect::DeviceRule::kHaystack));
  const detect::Pseudonymizer name = pseudonymizer(cfg);
  const config::Catalogue catalogue = config::Catalogue::load(ctx.config());
  const backend_map::CatalogueView view = backend_map::view_of(catalogue);
  std::map<std::string, std::string> parents;
  for (const auto& s : catalogue.services())
    if (!s.parent.empty()) parents[s.id] = s.parent;

  db::Store store(ctx.db_path(), {.create = false});
  std::map<int32_t, std::unique_ptr<detect::Hitlist>> hitlists;
  detect::Detector detector(
      [&](int32_t day) {
        auto& h = hitlists[day];
        h = load_hitlist(store, db::utc_date(int64_t{day} * 86400), view, parents);
        return h.get();
      },
      static_cast<uint32_t>(cfg.scanner_threshold));

  std::vector<detect::ReadStats> stats;
  uint64_t outside = 0;
  auto emit = [&](const detect::Flow& f) {
    if (a.date && detect::day_of(f.start) != *a.date) {
      ++outside;
      return;
    }
    detector.add(f);
  };
  if (a.listen)
    stats.push_back(collect(a, emit));
  else
    for (const auto& in : a.inputs) stats.push_back(read_input(in, a.format, emit));
  const bool bad_lines = report_inputs(stats, outside) != 0;

  const auto missing = detector.days_without_hitlist();
  for (int32_t day : missing)
    std::fprintf(stderr,
                 "iotmap detect: no hitlist stored for %s: its flows were not matched (run "
                 "iotmap classify --date %s)\n",
                 db::utc_date(int64_t{day} * 86400).c_str(),
                 db::utc_date(int64_t{day} * 86400).c_str());

  const auto found = detector.detections(options);
  std::string text = "date,service,level,rule,lines\n" + lines_per_service(found, {});
  if (!a.sweep.empty()) {
    text = "D,date,service,level,rule,lines\n";
    for (double d : a.sweep) {
      detect::Options o = options;
      o.d = d;
      text += lines_per_service(detector.detections(o), d);
    }
  }
  if (a.store) {
    auto rows = by_pseudonym(found, name);
    auto traffic = traffic_rows(detector.traffic());
    std::map<int32_t, int64_t> scanners;
    for (const auto& [day, ip] : detector.scanners()) ++scanners[day];
    const auto& c = detector.counts();
    for (const auto& [day, h] : hitlists) {
      if (!h) continue;
      db::DetectionDayRow row{int64_t(c.flows_by_day.count(day) ? c.flows_by_day.at(day) : 0),
                              int64_t(c.matched_by_day.count(day) ? c.matched_by_day.at(day) : 0),
                              scanners[day],
                              std::string(detect::device_rule_str(options.device_rule)),
                              options.d,
                              cfg.subscribers,
                              clock_now()};
      store.replace_detections(db::utc_date(int64_t{day} * 86400), rows[day], traffic[day], row);
    }
  }
  write_output(a.output, text);
  const auto& c = detector.counts();
  std::fprintf(stderr,
               "iotmap detect: %llu flows, %llu matched a hitlist endpoint, %zu detections, %zu "
               "scanner source-days left out\n",
               static_cast<unsigned long long>(c.flows), static_cast<unsigned long long>(c.matched),
               found.size(), detector.scanners().size());
  uint64_t read = 0;
  for (const auto& st : stats) read += st.flows;
  if (hitlists.empty() || missing.size() == hitlists.size()) {
    std::fprintf(stderr, "iotmap detect: no flow met a stored hitlist\n");
    return read == 0 && !bad_lines ? kOk : kFailure;
  }
  return bad_lines || !missing.empty() ? kPartial : kOk;
}

}  // namespace iotmap::cli
