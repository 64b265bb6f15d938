// `iotmap export resolutions --hour H|--date D --format jsonl|csv [--output FILE]`: the stored
// resolutions of one UTC hour or day, one line per name x type x vantage point.
// `iotmap export hitlist` is in src/export_hitlist.cpp; `iotmap export blocklist` writes the
// scan's blocklist for zmap (docs/zmap.md).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "db/store.h"
#include "ethics/policy.h"
#include "lib/atomic_file.h"
#include "lib/clock.h"
#include "lib/json.h"
#include "lib/text.h"
#include "resolver/rows.h"
#include "src/commands.h"
#include "src/export_devices.h"
#include "src/export_hitlist.h"

namespace iotmap::cli {
namespace {

template <typename T>
std::string opt_text(const std::optional<T>& v) {
  if (!v) return "";
  if constexpr (std::is_floating_point_v<T>) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", *v);
    return buf;
  } else {
    return std::to_string(*v);
  }
}

void write_jsonl(std::ostream& out, const db::ResolutionRow& r) {
  nlohmann::json j;
  j["hour"] = resolver::hour_label(r.hour);
  j["name"] = r.name;
  j["qtype"] = r.qtype;
  j["vantage"] = r.vantage;
  j["status"] = r.status;
  j["rcode"] = r.rcode ? nlohmann::json(*r.rcode) : nlohmann::json(nullptr);
  j["cname_chain"] = r.cname_chain;
  auto answers = nlohmann::json::array();
  for (const auto& a : r.answers) answers.push_back({{"ip", a.ip}, {"ttl", a.ttl}});
  j["answers"] = std::move(answers);
  j["min_ttl"] = r.min_ttl ? nlohmann::json(*r.min_ttl) : nlohmann::json(nullptr);
  j["resolver"] = r.resolver;
  j["rtt_ms"] = r.rtt_ms ? nlohmann::json(*r.rtt_ms) : nlohmann::json(nullptr);
  j["resolved_at"] = r.resolved_at;
  j["cname_ttls"] = r.cname_ttls;
  j["ecs"] = r.ecs;
  j["ecs_scope"] = r.ecs_scope ? nlohmann::json(*r.ecs_scope) : nlohmann::json(nullptr);
  j["detail"] = r.detail;
  out << json_text(j) << '\n';
}

constexpr const char* kCsvHeader =
    "hour,name,qtype,vantage,status,rcode,cname_chain,answers,ttls,min_ttl,resolver,rtt_ms,"
    "resolved_at,cname_ttls,ecs,ecs_scope,detail\n";

// Lists inside one CSV field are separated by spaces (names and addresses hold none).
void write_csv(std::ostream& out, const db::ResolutionRow& r) {
  std::string chain, ips, ttls, chain_ttls;
  for (const auto& c : r.cname_chain) chain += (chain.empty() ? "" : " ") + c;
  for (int64_t t : r.cname_ttls) chain_ttls += (chain_ttls.empty() ? "" : " ") + std::to_string(t);
  for (const auto& a : r.answers) {
    ips += (ips.empty() ? "" : " ") + a.ip;
    ttls += (ttls.empty() ? "" : " ") + std::to_string(a.ttl);
  }
  out << resolver::hour_label(r.hour) << ',' << csv_cell(r.name) << ',' << r.qtype << ','
      << csv_cell(r.vantage) << ',' << r.status << ',' << opt_text(r.rcode) << ','
      << csv_cell(chain) << ',' << ips << ',' << ttls << ',' << opt_text(r.min_ttl) << ','
      << csv_cell(r.resolver) << ',' << opt_text(r.rtt_ms) << ',' << r.resolved_at << ','
      << chain_ttls << ',' << r.ecs << ',' << opt_text(r.ecs_scope) << ',' << csv_cell(r.detail)
      << '\n';
}

int export_resolutions(Context& ctx, Args& args) {
  auto hour = args.option("--hour");
  auto date = args.option("--date");
  auto format = args.option("--format").value_or("jsonl");
  auto output = args.option("--output");
  args.positionals();
  if (hour.has_value() == date.has_value())
    throw UsageError(
        "export resolutions wants exactly one of --hour YYYY-MM-DDTHH and "
        "--date YYYY-MM-DD");
  if (format != "jsonl" && format != "csv")
    throw UsageError("--format takes jsonl or csv, not '" + format + "'");
  int64_t from = 0, to = 0;
  if (hour) {
    from = hour_option("--hour", *hour);
    to = from + 3600;
  } else {
    from = int64_t{date_option("--date", *date)} * 86400;
    to = from + 86400;
  }
  db::Store store(ctx.db_path(), {.create = false});
  // A file is replaced only when every row is in it: an error half way keeps the old one.
  std::optional<TempFile> file;
  if (output) file.emplace(*output, false);
  std::ostringstream line;
  auto emit = [&] {
    if (file)
      file->write(line.view());
    else
      std::cout << line.view();
    line.str("");
  };
  if (format == "csv") line << kCsvHeader;
  uint64_t rows = 0;
  store.for_each_resolution(from, to, [&](const db::ResolutionRow& r) {
    if (format == "csv")
      write_csv(line, r);
    else
      write_jsonl(line, r);
    emit();
    ++rows;
  });
  emit();
  if (file) file->commit();
  if (!std::cout.flush()) {
    std::fprintf(stderr, "iotmap export: writing to standard output failed\n");
    return kFailure;
  }
  std::fprintf(stderr, "iotmap export: %llu resolutions\n", static_cast<unsigned long long>(rows));
  return kOk;
}

// `export detections --date D [--period day|hour|all] [--format csv|jsonl]`: what `iotmap
// detect` stored, subscribers as the pseudonyms they were stored as.
int export_detections(Context& ctx, Args& args) {
  auto date = args.option("--date");
  auto format = args.option("--format").value_or("csv");
  auto period = args.option("--period").value_or("day");
  auto output = args.option("--output");
  args.positionals();
  if (!date) throw UsageError("export detections wants --date YYYY-MM-DD");
  date_option("--date", *date);
  if (format != "csv" && format != "jsonl")
    throw UsageError("--format takes csv or jsonl, not '" + format + "'");
  if (period != "day" && period != "hour" && period != "all")
    throw UsageError("--period takes day, hour or all, not '" + period + "'");
  db::Store store(ctx.db_path(), {.create = false});
  std::string text = format == "csv"
                         ? "date,period,subscriber,service,level,rule,d,matched,primary_matched,n,"
                           "threshold,lines,domains\n"
                         : "";
  size_t rows = 0;
  for (const auto& r : store.detections(*date, period == "day" ? "day" : "")) {
    if (period == "hour" && r.period == "day") continue;
    ++rows;
    if (format == "jsonl") {
      nlohmann::ordered_json j;
      j["date"] = *date;
      j["period"] = r.period;
      j["subscriber"] = r.subscriber;
      j["service"] = r.service;
      j["level"] = r.level;
      j["rule"] = r.rule;
      j["d"] = r.d;
      j["matched"] = r.matched;
      j["primary_matched"] = r.primary_matched;
      j["n"] = r.n;
      j["threshold"] = r.threshold;
      j["lines"] = r.lines;
      j["domains"] = r.domains;
      text += json_text(j) + '\n';
      continue;
    }
    std::string domains;
    for (const auto& d : r.domains) domains += (domains.empty() ? "" : " ") + d;
    char dtext[32];
    std::snprintf(dtext, sizeof dtext, "%g", r.d);
    text += *date + ',' + r.period + ',' + csv_cell(r.subscriber) + ',' + csv_cell(r.service) +
            ',' + r.level + ',' + r.rule + ',' + dtext + ',' + std::to_string(r.matched) + ',' +
            std::to_string(r.primary_matched) + ',' + std::to_string(r.n) + ',' +
            std::to_string(r.threshold) + ',' + std::to_string(r.lines) + ',' + csv_cell(domains) +
            '\n';
  }
  write_output(output, text);
  if (!store.detection_day(*date))
    std::fprintf(stderr, "iotmap export: no detections stored for %s (run iotmap detect)\n",
                 date->c_str());
  else
    std::fprintf(stderr, "iotmap export: %zu detections\n", rows);
  return kOk;
}

// `export blocklist [--format zmap] [--output FILE]`: what a scan would never probe, as zmap's
// -b file, so that a zmap pre-scan feeding `iotmap scan -` spares the same addresses. Refused
// (exit 6, nothing written) where a scan would be: the pre-scan is part of the scan.
int export_blocklist(Context& ctx, Args& args) {
  auto format = args.option("--format").value_or("zmap");
  auto output = args.option("--output");
  args.positionals();
  if (format != "zmap") throw UsageError("--format takes zmap, not '" + format + "'");
  ethics::Policy policy;
  try {
    policy = ethics::scan_policy(ctx.config());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "iotmap export: blocklist refused; nothing written: %s\n", e.what());
    return kRefused;
  }
  size_t ipv6 = 0;
  std::string body = ethics::zmap_blocklist(policy.blocklist, ipv6);
  char rate[32];
  std::snprintf(rate, sizeof rate, "%g", policy.rate);
  std::string text =
      "# iotmap's scan blocklist in zmap's format, written by `iotmap export blocklist` at " +
      utc_time_text(clock_now()) +
      "\n# from ethics.blocklist_file, ethics.optout_file and (ethics.default_blocklist) the IANA "
      "special-purpose ranges.\n# Give it to zmap as -b FILE (it replaces zmap's own default "
      "list) with at most -r " +
      rate + " (the scan's rate cap);\n# docs/zmap.md. " + std::to_string(ipv6) +
      " IPv6 entries left out (zmap scans IPv4 only).\n" + body;
  write_output(output, text);
  std::fprintf(stderr, "iotmap export: %zu IPv4 prefixes for zmap -b; %zu IPv6 left out\n",
               policy.blocklist.size() - ipv6, ipv6);
  return kOk;
}

}  // namespace

int run_export(Context& ctx, Args& args) {
  // The subcommand is a bare word; Args::flag takes it out wherever it stands.
  if (args.flag("resolutions")) return export_resolutions(ctx, args);
  if (args.flag("hitlist")) return export_hitlist(ctx, args);
  if (args.flag("detections")) return export_detections(ctx, args);
  if (args.flag("blocklist")) return export_blocklist(ctx, args);
  if (args.flag("devices")) return export_devices(ctx, args);
  auto rest = args.positionals();
  if (!rest.empty()) throw UsageError("unknown export '" + rest[0] + "'");
  throw UsageError("expected `resolutions`, `hitlist`, `detections`, `blocklist` or `devices`");
}

}  // namespace iotmap::cli
