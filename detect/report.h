// The detection section of the daily report (docs/detect.md): lines per service and the
// traffic per service of one day, as Markdown, as HTML with a bar chart, or as JSON. Pure: rows in,
// text out; `report footprint` appends it when `iotmap detect` stored the day.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace iotmap::detect {

struct ServiceSummary {
  std::string service, level, rule;
  int64_t lines = 0;  // with a daily detection
  int64_t traffic_lines = 0, flows = 0, bytes_up = 0, bytes_down = 0;
  std::string ports;  // JSON object text: port -> bytes
};

struct DaySummary {
  std::string date;
  int64_t flows = 0, matched = 0, scanners = 0;
  std::string rule;
  double d = 0;
  std::vector<ServiceSummary> services;  // in service order
};

std::string detections_markdown(const DaySummary& day);
std::string detections_html(const DaySummary& day);
// The same as the "detections" object of the JSON report: the day's counts and per service the
// lines, flows, bytes each way, down/up (null without upstream bytes) and bytes per port.
nlohmann::ordered_json detections_json(const DaySummary& day);

}  // namespace iotmap::detect
