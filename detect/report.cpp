#include "detect/report.h"

#include <algorithm>
#include <cstdio>

#include "lib/text.h"

namespace iotmap::detect {

namespace {

// Downstream over upstream, as the backend study's figure 7.10; "-" without upstream bytes.
std::string ratio(const ServiceSummary& s) {
  if (s.bytes_up == 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", double(s.bytes_down) / double(s.bytes_up));
  return buf;
}

std::string header_line(const DaySummary& day) {
  char d[32];
  std::snprintf(d, sizeof d, "%g", day.d);
  return std::to_string(day.flows) + " flows, " + std::to_string(day.matched) +
         " reached a hitlist endpoint; " + std::to_string(day.scanners) +
         " scanner sources left out; device rule " + day.rule + " (D = " + d + ")";
}

}  // namespace

std::string detections_markdown(const DaySummary& day) {
  std::string out = "\n## Detections in flow records, " + day.date + "\n\n" + header_line(day) +
                    ".\n\n| service | level | rule | lines | flows | bytes up | bytes down | "
                    "down/up | bytes per port |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& s : day.services)
    out += "| " + markdown_escape(s.service) + " | " + s.level + " | " + s.rule + " | " +
           std::to_string(s.lines) + " | " + std::to_string(s.flows) + " | " +
           std::to_string(s.bytes_up) + " | " + std::to_string(s.bytes_down) + " | " + ratio(s) +
           " | " + markdown_escape(s.ports) + " |\n";
  if (day.services.empty()) out += "| (none) | | | | | | | | |\n";
  return out;
}

std::string detections_html(const DaySummary& day) {
  int64_t most = 1;
  for (const auto& s : day.services) most = std::max(most, s.lines);
  const int label_w = 190, bar_w = 420, row_h = 22;
  const int height = 10 + row_h * int(std::max<size_t>(1, day.services.size()));
  std::string h = "<h2>Detections in flow records</h2>\n<p>" + html_escape(header_line(day)) +
                  ".</p>\n<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"chart\" "
                  "id=\"detections-chart\" viewBox=\"0 0 700 " +
                  std::to_string(height) + "\" width=\"700\" height=\"" + std::to_string(height) +
                  "\">\n";
  int y = 5;
  for (const auto& s : day.services) {
    const int w = int(double(bar_w) * double(s.lines) / double(most));
    h += "<text x=\"" + std::to_string(label_w - 8) + "\" y=\"" + std::to_string(y + 14) +
         "\" font-size=\"12\" text-anchor=\"end\">" + html_escape(s.service) + "</text>";
    h += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 2) +
         "\" width=\"" + std::to_string(w) + "\" height=\"16\" fill=\"#4472c4\"/>";
    h += "<text x=\"" + std::to_string(label_w + w + 6) + "\" y=\"" + std::to_string(y + 14) +
         "\" font-size=\"12\">" + std::to_string(s.lines) + " lines</text>\n";
    y += row_h;
  }
  h += "</svg>\n<table id=\"detections\">\n<tr><th>Service</th><th>Level</th><th>Rule</th>"
       "<th>Lines</th><th>Flows</th><th>Bytes up</th><th>Bytes down</th><th>Down/up</th>"
       "<th>Bytes per port</th></tr>\n";
  for (const auto& s : day.services)
    h += "<tr><td>" + html_escape(s.service) + "</td><td>" + s.level + "</td><td>" + s.rule +
         "</td><td>" + std::to_string(s.lines) + "</td><td>" + std::to_string(s.flows) +
         "</td><td>" + std::to_string(s.bytes_up) + "</td><td>" + std::to_string(s.bytes_down) +
         "</td><td>" + ratio(s) + "</td><td class=\"l\">" + html_escape(s.ports) + "</td></tr>\n";
  return h + "</table>\n";
}

nlohmann::ordered_json detections_json(const DaySummary& day) {
  nlohmann::ordered_json out = {{"date", day.date},
                                {"flows", day.flows},
                                {"matched", day.matched},
                                {"scanners", day.scanners},
                                {"device_rule", day.rule},
                                {"d", day.d},
                                {"services", nlohmann::ordered_json::array()}};
  for (const auto& s : day.services) {
    auto ports = nlohmann::ordered_json::parse(s.ports.empty() ? "{}" : s.ports, nullptr, false);
    out["services"].push_back(
        {{"service", s.service},
         {"level", s.level},
         {"rule", s.rule},
         {"lines", s.lines},
         {"flows", s.flows},
         {"bytes_up", s.bytes_up},
         {"bytes_down", s.bytes_down},
         {"down_up", s.bytes_up == 0
                         ? nlohmann::ordered_json(nullptr)
                         : nlohmann::ordered_json(double(s.bytes_down) / double(s.bytes_up))},
         {"bytes_per_port", ports.is_discarded() ? nlohmann::ordered_json::object() : ports}});
  }
  return out;
}

}  // namespace iotmap::detect
