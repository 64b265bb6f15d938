#include "src/export_devices.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "db/store.h"
#include "lib/json.h"
#include "lib/text.h"

namespace iotmap::cli {
namespace {

constexpr const char* kHeader =
    "date,ip,port,manufacturer,product,signer,source,sha256,first_seen,last_seen\n";

std::string csv_line(const db::DeviceCertificateRow& r) {
  return r.date + ',' + r.ip + ',' + std::to_string(r.port) + ',' + csv_cell(r.manufacturer) + ',' +
         csv_cell(r.product) + ',' + r.signer + ',' + r.source + ',' + r.sha256 + ',' +
         std::to_string(r.first_seen) + ',' + std::to_string(r.last_seen) + '\n';
}

std::string json_line(const db::DeviceCertificateRow& r) {
  nlohmann::ordered_json j;
  j["date"] = r.date;
  j["ip"] = r.ip;
  j["port"] = r.port;
  j["manufacturer"] = r.manufacturer;
  j["product"] = r.product;
  j["signer"] = r.signer;
  j["source"] = r.source;
  j["sha256"] = r.sha256;
  j["first_seen"] = r.first_seen;
  j["last_seen"] = r.last_seen;
  return json_text(j) + '\n';
}

}  // namespace

int export_devices(Context& ctx, Args& args) {
  auto date = args.option("--date");
  auto format = args.option("--format").value_or("csv");
  auto output = args.option("--output");
  args.positionals();
  if (!date) throw UsageError("export devices wants --date YYYY-MM-DD");
  date_option("--date", *date);
  if (format != "csv" && format != "jsonl")
    throw UsageError("--format takes csv or jsonl, not '" + format + "'");
  db::Store store(ctx.db_path(), {.create = false});
  auto rows = store.device_certificates(*date);
  std::string text = format == "csv" ? kHeader : "";
  for (const auto& r : rows) text += format == "csv" ? csv_line(r) : json_line(r);
  write_output(output, text);
  std::fprintf(stderr, "iotmap export: %zu device certificates\n", rows.size());
  return kOk;
}

}  // namespace iotmap::cli
