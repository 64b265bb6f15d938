#include "backend_map/report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "lib/json.h"
#include "lib/text.h"

namespace iotmap::backend_map {

namespace {

using ojson = nlohmann::ordered_json;

std::string provider_name(const std::vector<Provider>& providers, int32_t p) {
  if (p < 0 || size_t(p) >= providers.size()) return "provider " + std::to_string(p);
  const auto& pr = providers[size_t(p)];
  return pr.name.empty() ? pr.id : pr.name;
}

std::string provider_id(const std::vector<Provider>& providers, int32_t p) {
  if (p < 0 || size_t(p) >= providers.size()) return std::to_string(p);
  return providers[size_t(p)].id;
}

// "MQTT(8883), HTTPS(443, 8443)"
std::string protocols(const ProviderFootprint& f) {
  std::map<std::string, std::vector<uint16_t>> by;
  for (const auto& p : f.ports) by[p.protocol.empty() ? "TCP" : p.protocol].push_back(p.port);
  std::string out;
  for (auto& [proto, ports] : by) {
    std::sort(ports.begin(), ports.end());
    if (!out.empty()) out += ", ";
    std::string up = proto;
    for (char& c : up) c = char(std::toupper(static_cast<unsigned char>(c)));
    out += up + "(";
    for (size_t i = 0; i < ports.size(); ++i) out += (i ? ", " : "") + std::to_string(ports[i]);
    out += ")";
  }
  return out.empty() ? "-" : out;
}

std::string location_str(const Location& l) {
  if (l.city.empty()) return l.country;
  return l.city + (l.country.empty() ? "" : ", " + l.country);
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

ojson sources_json(const SourceCounts& s) {
  return {{"cert", s.cert}, {"pdns", s.pdns}, {"active_dns", s.active_dns}, {"several", s.several}};
}

ojson footprint_object(const std::vector<Provider>& providers, const ProviderFootprint& f) {
  ojson j;
  j["provider"] = provider_id(providers, f.provider);
  j["name"] = provider_name(providers, f.provider);
  j["ipv4"] = f.ipv4;
  j["ipv6"] = f.ipv6;
  j["ips_dedicated"] = f.dedicated;
  j["ips_shared"] = f.shared;
  j["ips_unknown"] = f.unknown;
  j["ases"] = ojson::array();
  for (const auto& a : f.ases)
    j["ases"].push_back(
        {{"asn", a.asn}, {"name", a.name}, {"ips", a.ips}, {"own", a.own}, {"cloud", a.cloud}});
  j["prefixes_v4_24"] = f.prefixes_v4;
  j["prefixes_v6_56"] = f.prefixes_v6;
  j["announced_prefixes"] = f.announced_prefixes;
  j["prefixes"] = ojson::array();
  for (const auto& p : f.prefixes)
    j["prefixes"].push_back({{"prefix", p.prefix.str()}, {"origins", p.origins}, {"ips", p.ips}});
  j["unrouted_ips"] = f.unrouted;
  j["strategy"] = f.strategy;
  j["di_ips"] = f.di_ips;
  j["pr_ips"] = f.pr_ips;
  j["other_ips"] = f.other_ips;
  j["locations"] = ojson::array();
  for (const auto& l : f.locations)
    j["locations"].push_back(
        {{"city", l.location.city}, {"country", l.location.country}, {"ips", l.ips}});
  j["countries"] = f.countries;
  j["located_by_name"] = f.located_by_name;
  j["located_by_geo"] = f.located_by_geo;
  j["unlocated"] = f.unlocated;
  j["location_votes_disagreed"] = f.votes_disagreed;
  j["ports"] = ojson::array();
  for (const auto& p : f.ports)
    j["ports"].push_back({{"port", p.port}, {"protocol", p.protocol}, {"ips", p.ips}});
  j["sources"] = {{"ipv4", sources_json(f.sources_v4)}, {"ipv6", sources_json(f.sources_v6)}};
  j["stability"] = ojson::array();
  for (const auto& s : f.stability)
    j["stability"].push_back(
        {{"day", day_str(s.day)}, {"both", s.both}, {"new", s.added}, {"gone", s.gone}});
  j["validation"] = ojson::array();
  for (const auto& v : f.validation)
    j["validation"].push_back({{"format", v.format},
                               {"found_inside", v.found_inside},
                               {"found_outside", v.found_outside},
                               {"published_prefixes", v.published_prefixes},
                               {"prefixes_without_found_ip", v.prefixes_without_found_ip},
                               {"published_v4_addresses", v.published_v4_addresses},
                               {"published_v4_not_found", v.published_v4_not_found}});
  ojson bl = ojson::array();
  for (const auto& ip : f.blocklisted_ips) bl.push_back(ip.str());
  j["blocklisted"] = {{"ips", f.blocklisted}, {"sample", bl}};
  ojson ptr = ojson::array();
  for (const auto& [ip, name] : f.ptr_sample) ptr.push_back({{"ip", ip.str()}, {"name", name}});
  j["ptr"] = {{"ips", f.ptr_ips}, {"sample", ptr}};
  return j;
}

// Rows of the summary table (Table 7.2), shared by Markdown and HTML.
struct SummaryRow {
  std::string provider, ips, ases, prefixes, locations, countries, protocols, strategy, verdicts;
};

std::vector<SummaryRow> summary(const std::vector<Provider>& providers, const Footprint& fp) {
  std::vector<SummaryRow> rows;
  for (const auto& f : fp.providers) {
    SummaryRow r;
    r.provider = provider_name(providers, f.provider);
    r.ips = std::to_string(f.ipv4) + " (" + std::to_string(f.ipv6) + ")";
    r.ases = std::to_string(f.ases.size());
    r.prefixes = std::to_string(f.prefixes_v4) + " (" + std::to_string(f.prefixes_v6) + ")";
    r.locations = std::to_string(f.locations.size());
    r.countries = std::to_string(f.countries);
    r.protocols = protocols(f);
    r.strategy = f.strategy.empty() ? "?" : f.strategy;
    r.verdicts = std::to_string(f.dedicated) + " / " + std::to_string(f.shared) + " / " +
                 std::to_string(f.unknown);
    rows.push_back(std::move(r));
  }
  return rows;
}

const char* kSummaryHeader[] = {"Provider",
                                "IPs v4 (v6)",
                                "# AS",
                                "# IPv4 /24 (IPv6 /56)",
                                "# Locations",
                                "# Countries",
                                "Protocols (Ports)",
                                "Strategy",
                                "IPs dedicated / shared / unknown"};

const char* kSourceColors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#b07aa1"};
const char* kSourceNames[] = {"TLS certificates", "Passive DNS", "Active DNS", "Multiple sources"};

}  // namespace

// How strong "dedicated" is in this report (docs/backend-map.md, "Evidence coverage").
std::string coverage_sentence(const Footprint& fp) {
  return "Evidence coverage on " + day_str(fp.last_day) + ": " + coverage_str(fp.coverage) +
         "; without it, an address looks dedicated when only provider names were seen on it.";
}

std::string provider_footprint_json(const std::vector<Provider>& providers,
                                    const ProviderFootprint& f) {
  return json_text(footprint_object(providers, f));
}

std::string footprint_json(const std::vector<Provider>& providers, const Footprint& fp, Day date) {
  ojson doc;
  doc["date"] = day_str(date);
  doc["window"] = {{"first", day_str(fp.first_day)}, {"last", day_str(fp.last_day)}};
  doc["blocklist"] = fp.blocklist_name;
  doc["evidence_coverage"] = {{"verdict_ips", fp.coverage.addresses},
                              {"with_reverse_or_bulk_evidence", fp.coverage.with_evidence}};
  doc["providers"] = ojson::array();
  for (const auto& f : fp.providers) doc["providers"].push_back(footprint_object(providers, f));
  return json_text(doc, 2) + '\n';
}

std::string footprint_markdown(const std::vector<Provider>& providers, const Footprint& fp,
                               Day date) {
  std::string out = "# IoT backend footprint, " + day_str(date) + "\n\n";
  out += "Window " + day_str(fp.first_day) + " to " + day_str(fp.last_day) +
         ". Strategy: DI = IPs announced by an AS the provider runs, PR = by a public cloud or "
         "CDN AS, other = by neither (transit, hosting); joined with + when several.\n\n";
  out += coverage_sentence(fp) + "\n\n";
  out += "|";
  for (const char* h : kSummaryHeader) out += std::string(" ") + h + " |";
  out += "\n|";
  for (size_t i = 0; i < std::size(kSummaryHeader); ++i) out += i == 0 ? " --- |" : " ---: |";
  out += "\n";
  for (const auto& r : summary(providers, fp))
    out += "| " + markdown_escape(r.provider) + " | " + r.ips + " | " + r.ases + " | " +
           r.prefixes + " | " + r.locations + " | " + r.countries + " | " +
           markdown_escape(r.protocols) + " | " + r.strategy + " | " + r.verdicts + " |\n";

  out += "\n## Contribution of each source (IPs, IPv4 / IPv6)\n\n";
  out += "| Provider | TLS certificates | Passive DNS | Active DNS | Multiple sources |\n";
  out += "| --- | ---: | ---: | ---: | ---: |\n";
  for (const auto& f : fp.providers) {
    auto pair = [](uint32_t a, uint32_t b) {
      return std::to_string(a) + " / " + std::to_string(b);
    };
    out += "| " + markdown_escape(provider_name(providers, f.provider)) + " | " +
           pair(f.sources_v4.cert, f.sources_v6.cert) + " | " +
           pair(f.sources_v4.pdns, f.sources_v6.pdns) + " | " +
           pair(f.sources_v4.active_dns, f.sources_v6.active_dns) + " | " +
           pair(f.sources_v4.several, f.sources_v6.several) + " |\n";
  }

  out += "\n## Stability against " + day_str(fp.first_day) + " (in both / new / gone)\n\n";
  bool any = false;
  for (const auto& f : fp.providers) {
    if (f.stability.empty()) continue;
    any = true;
    out += "- " + markdown_escape(provider_name(providers, f.provider)) + ":";
    for (const auto& s : f.stability)
      out += " " + day_str(s.day) + " " + std::to_string(s.both) + "/" + std::to_string(s.added) +
             "/" + std::to_string(s.gone) + ";";
    out.back() = '\n';
  }
  if (!any) out += "The window has one day.\n";

  out += "\n## Networks and locations\n\n";
  for (const auto& f : fp.providers) {
    out += "- " + markdown_escape(provider_name(providers, f.provider)) + ": ";
    std::string ases;
    for (const auto& a : f.ases)
      ases += (ases.empty() ? "" : ", ") + std::string("AS") + std::to_string(a.asn) +
              (a.name.empty() ? "" : " " + markdown_escape(a.name)) + (a.own ? " (own)" : "") +
              " " + std::to_string(a.ips) + " IPs";
    out += ases.empty() ? "no AS known" : ases;
    if (f.unrouted) out += "; " + std::to_string(f.unrouted) + " IPs not announced";
    std::string locs;
    for (const auto& l : f.locations)
      locs += (locs.empty() ? "" : ", ") + markdown_escape(location_str(l.location)) + " " +
              std::to_string(l.ips);
    out += "; locations: " + (locs.empty() ? std::string("unknown") : locs);
    if (f.unlocated) out += "; " + std::to_string(f.unlocated) + " IPs without location";
    out += "\n";
  }

  out += "\n## Validation against published ranges\n\n";
  any = false;
  for (const auto& f : fp.providers)
    for (const auto& v : f.validation) {
      any = true;
      out += "- " + markdown_escape(provider_name(providers, f.provider)) + " (" +
             markdown_escape(v.format) + "): " + std::to_string(v.found_inside) +
             " found IPs inside, " + std::to_string(v.found_outside) + " outside; " +
             std::to_string(v.prefixes_without_found_ip) + " of " +
             std::to_string(v.published_prefixes) + " published prefixes without a found IP; " +
             std::to_string(v.published_v4_not_found) + " of " +
             std::to_string(v.published_v4_addresses) + " published IPv4 addresses not found\n";
    }
  if (!any) out += "No published ranges configured.\n";

  out += "\n## Blocklist overlap" +
         (fp.blocklist_name.empty() ? std::string()
                                    : " (" + markdown_escape(fp.blocklist_name) + ")") +
         "\n\n";
  if (fp.blocklist_name.empty())
    out += "No blocklist configured.\n";
  else
    for (const auto& f : fp.providers) {
      out += "- " + markdown_escape(provider_name(providers, f.provider)) + ": " +
             std::to_string(f.blocklisted) + " IPs";
      for (size_t i = 0; i < f.blocklisted_ips.size() && i < 5; ++i)
        out += (i ? ", " : " (") + f.blocklisted_ips[i].str();
      out += f.blocklisted_ips.empty() ? "\n" : ")\n";
    }
  return out;
}

// The two charts share their frame: the <svg> opening, a legend of coloured squares in the top
// margin and a provider name right-aligned before each row.
std::string svg_open(const char* id, int width, int height) {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" class=\"chart\" id=\"" +
         std::string(id) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
         std::to_string(height) + "\" width=\"" + std::to_string(width) + "\" height=\"" +
         std::to_string(height) + "\">\n";
}

std::string svg_legend(int x0, int spacing, const char* const* colors, const char* const* names,
                       int n) {
  std::string s;
  for (int k = 0; k < n; ++k) {
    int x = x0 + k * spacing;
    s += "<rect x=\"" + std::to_string(x) + "\" y=\"8\" width=\"12\" height=\"12\" fill=\"" +
         colors[k] + "\"/>";
    s += "<text x=\"" + std::to_string(x + 16) + "\" y=\"18\" font-size=\"12\">" + names[k] +
         "</text>\n";
  }
  return s;
}

std::string svg_row_label(int label_w, int y, const std::string& text) {
  return "<text x=\"" + std::to_string(label_w - 8) + "\" y=\"" + std::to_string(y) +
         "\" font-size=\"12\" text-anchor=\"end\">" + html_escape(text) + "</text>\n";
}

std::string source_chart_svg(const std::vector<Provider>& providers, const Footprint& fp) {
  const int label_w = 190, bar_w = 460, bar_h = 14, gap = 10, top = 34;
  const int row_h = 2 * bar_h + 4 + gap;
  const int height = top + int(fp.providers.size()) * row_h + 10;
  const int width = label_w + bar_w + 90;
  std::string s = svg_open("sources-chart", width, height);
  s += "<title>Fraction and number of IPs per provider per source (upper bar IPv4, lower bar "
       "IPv6)</title>\n";
  s += "<defs><pattern id=\"hatch\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" "
       "patternTransform=\"rotate(45)\">"
       "<rect width=\"2\" height=\"4\" fill=\"#fff\" fill-opacity=\"0.45\"/></pattern></defs>\n";
  s += svg_legend(label_w, 120, kSourceColors, kSourceNames, 4);
  int y = top;
  for (const auto& f : fp.providers) {
    s += svg_row_label(label_w, y + bar_h + 4, provider_name(providers, f.provider));
    for (int fam = 0; fam < 2; ++fam) {
      const SourceCounts& c = fam == 0 ? f.sources_v4 : f.sources_v6;
      uint32_t vals[4] = {c.cert, c.pdns, c.active_dns, c.several};
      int by = y + fam * (bar_h + 4);
      double total = c.total();
      double x = label_w;
      if (total == 0) {
        s += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(by) +
             "\" width=\"" + std::to_string(bar_w) + "\" height=\"" + std::to_string(bar_h) +
             "\" fill=\"#eee\"/>\n";
      }
      for (int k = 0; k < 4 && total > 0; ++k) {
        if (vals[k] == 0) continue;
        double w = bar_w * vals[k] / total;
        std::string rect = "x=\"" + fmt(x) + "\" y=\"" + std::to_string(by) + "\" width=\"" +
                           fmt(w) + "\" height=\"" + std::to_string(bar_h) + "\"";
        s += "<rect " + rect + " fill=\"" + kSourceColors[k] + "\"><title>" + kSourceNames[k] +
             ", " + (fam ? "IPv6" : "IPv4") + ": " + std::to_string(vals[k]) + "</title></rect>";
        if (fam == 1) s += "<rect " + rect + " fill=\"url(#hatch)\"/>";
        s += "\n";
        x += w;
      }
      s += "<text x=\"" + std::to_string(label_w + bar_w + 6) + "\" y=\"" +
           std::to_string(by + bar_h - 2) + "\" font-size=\"12\">" + (fam ? "v6 " : "v4 ") +
           std::to_string(c.total()) + "</text>\n";
    }
    y += row_h;
  }
  return s + "</svg>\n";
}

std::string stability_chart_svg(const std::vector<Provider>& providers, const Footprint& fp) {
  const char* colors[] = {"#59a14f", "#e15759", "#4e79a7"};
  const char* labels[] = {"in both", "new", "gone"};
  // 12px text on 14px bars 4px apart: 10px labels 2px apart were hard to read on a laptop.
  const int label_w = 190, bar_h = 14, step = bar_h + 4, gap = 14, top = 34, plot_w = 460;
  size_t days = 0;
  for (const auto& f : fp.providers) days = std::max(days, f.stability.size());
  const int row_h = int(std::max<size_t>(days, 1)) * step + gap;
  const int height = top + int(fp.providers.size()) * row_h + 10;
  const int width = label_w + plot_w + 120;
  std::string s = svg_open("stability-chart", width, height);
  s += "<title>Stability of each provider's IP set against " + day_str(fp.first_day) + "</title>\n";
  s += svg_legend(label_w, 110, colors, labels, 3);
  int y = top;
  for (const auto& f : fp.providers) {
    s += svg_row_label(label_w, y + bar_h, provider_name(providers, f.provider));
    if (f.stability.empty())
      s += "<text x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + bar_h) +
           "\" font-size=\"11\" fill=\"#777\">one day only</text>\n";
    int by = y;
    for (const auto& p : f.stability) {
      uint32_t vals[3] = {p.both, p.added, p.gone};
      double total = double(p.both) + p.added + p.gone;
      double x = label_w;
      for (int k = 0; k < 3 && total > 0; ++k) {
        if (vals[k] == 0) continue;
        double w = plot_w * vals[k] / total;
        s += "<rect x=\"" + fmt(x) + "\" y=\"" + std::to_string(by) + "\" width=\"" + fmt(w) +
             "\" height=\"" + std::to_string(bar_h) + "\" fill=\"" + colors[k] + "\"><title>" +
             day_str(p.day) + " " + labels[k] + ": " + std::to_string(vals[k]) +
             "</title></rect>\n";
        x += w;
      }
      s += "<text x=\"" + std::to_string(label_w + plot_w + 6) + "\" y=\"" +
           std::to_string(by + bar_h - 2) + "\" font-size=\"12\">" + day_str(p.day).substr(5) +
           " " + std::to_string(p.both) + "/" + std::to_string(p.added) + "/" +
           std::to_string(p.gone) + "</text>\n";
      by += step;
    }
    y += row_h;
  }
  return s + "</svg>\n";
}

namespace {

std::string html_head(Day date) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>IoT backend footprint " +
         day_str(date) +
         "</title>\n<style>\n"
         "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem "
         "auto;max-width:1100px;padding:0 1rem;color:#222}\n"
         "table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}\n"
         "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:right;vertical-align:top}\n"
         "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\n"
         "td.l{text-align:left}svg.chart{max-width:100%;height:auto;font-family:inherit}\n"
         "figure{margin:1.5rem 0}figcaption{font-size:.85rem;color:#555}\n"
         "</style>\n</head>\n<body>\n";
}

// The title, the window and coverage, the summary table and the two charts.
std::string summary_section(const std::vector<Provider>& providers, const Footprint& fp, Day date) {
  std::string h = "<h1>IoT backend footprint, " + day_str(date) + "</h1>\n";
  h += "<p>Window " + day_str(fp.first_day) + " to " + day_str(fp.last_day) +
       ". Strategy: DI = IPs announced by an AS the provider runs, PR = by a public cloud or CDN "
       "AS, other = by neither (transit, hosting); joined with + when several.</p>\n";
  h += "<p id=\"coverage\">" + html_escape(coverage_sentence(fp)) + "</p>\n";
  h += "<table id=\"summary\">\n<tr>";
  for (const char* c : kSummaryHeader) h += "<th>" + std::string(c) + "</th>";
  h += "</tr>\n";
  for (const auto& r : summary(providers, fp))
    h += "<tr><td>" + html_escape(r.provider) + "</td><td>" + r.ips + "</td><td>" + r.ases +
         "</td><td>" + r.prefixes + "</td><td>" + r.locations + "</td><td>" + r.countries +
         "</td><td class=\"l\">" + html_escape(r.protocols) + "</td><td>" + r.strategy +
         "</td><td>" + r.verdicts + "</td></tr>\n";
  h += "</table>\n";
  h += "<figure>\n" + source_chart_svg(providers, fp) +
       "<figcaption>Fraction and number of IPs per provider per source (upper bar IPv4, lower "
       "hatched bar IPv6), as in Fig. 7.3.</figcaption>\n</figure>\n";
  h += "<figure>\n" + stability_chart_svg(providers, fp) +
       "<figcaption>Each day's IP set against the first day of the window, as in Fig. "
       "7.4.</figcaption>\n</figure>\n";
  return h;
}

std::string networks_row(const std::vector<Provider>& providers, const ProviderFootprint& f) {
  std::string ases, locs;
  for (const auto& a : f.ases)
    ases += (ases.empty() ? "" : "<br>") + std::string("AS") + std::to_string(a.asn) +
            (a.name.empty() ? "" : " " + html_escape(a.name)) + (a.own ? " (own)" : "") + ": " +
            std::to_string(a.ips);
  for (const auto& l : f.locations)
    locs += (locs.empty() ? "" : "<br>") + html_escape(location_str(l.location)) + ": " +
            std::to_string(l.ips);
  return "<tr><td>" + html_escape(provider_name(providers, f.provider)) + "</td><td class=\"l\">" +
         (ases.empty() ? "-" : ases) + "</td><td>" + std::to_string(f.announced_prefixes) +
         "</td><td>" + std::to_string(f.unrouted) + "</td><td class=\"l\">" +
         (locs.empty() ? "-" : locs) + "</td><td>" + std::to_string(f.located_by_name) + " / " +
         std::to_string(f.located_by_geo) + " / " + std::to_string(f.unlocated) + "</td></tr>\n";
}

std::string networks_section(const std::vector<Provider>& providers, const Footprint& fp) {
  std::string h =
      "<h2>Networks and locations</h2>\n<table id=\"networks\">\n<tr><th>Provider</th><th>ASes</th>"
      "<th>Announced prefixes</th><th>Not announced</th><th>Locations</th><th>Located by name / "
      "database / not</th></tr>\n";
  for (const auto& f : fp.providers) h += networks_row(providers, f);
  return h + "</table>\n";
}

std::string validation_section(const std::vector<Provider>& providers, const Footprint& fp) {
  std::string h = "<h2>Validation against published ranges</h2>\n";
  std::string vrows;
  for (const auto& f : fp.providers)
    for (const auto& v : f.validation)
      vrows += "<tr><td>" + html_escape(provider_name(providers, f.provider)) +
               "</td><td class=\"l\">" + v.format + "</td><td>" + std::to_string(v.found_inside) +
               "</td><td>" + std::to_string(v.found_outside) + "</td><td>" +
               std::to_string(v.prefixes_without_found_ip) + " of " +
               std::to_string(v.published_prefixes) + "</td><td>" +
               std::to_string(v.published_v4_not_found) + " of " +
               std::to_string(v.published_v4_addresses) + "</td></tr>\n";
  if (vrows.empty()) return h + "<p>No published ranges configured.</p>\n";
  return h +
         "<table id=\"validation\">\n<tr><th>Provider</th><th>Format</th><th>Found "
         "inside</th><th>Found outside</th>"
         "<th>Prefixes without a found IP</th><th>Published IPv4 addresses not found</th></tr>\n" +
         vrows + "</table>\n";
}

std::string blocklist_section(const std::vector<Provider>& providers, const Footprint& fp) {
  std::string h = "<h2>Blocklist overlap</h2>\n";
  if (fp.blocklist_name.empty()) return h + "<p>No blocklist configured.</p>\n";
  h += "<table id=\"blocklist\">\n<tr><th>Provider</th><th>IPs on " +
       html_escape(fp.blocklist_name) + "</th><th>Examples</th></tr>\n";
  for (const auto& f : fp.providers) {
    std::string ex;
    for (size_t i = 0; i < f.blocklisted_ips.size() && i < 5; ++i)
      ex += (i ? ", " : "") + f.blocklisted_ips[i].str();
    h += "<tr><td>" + html_escape(provider_name(providers, f.provider)) + "</td><td>" +
         std::to_string(f.blocklisted) + "</td><td class=\"l\">" + ex + "</td></tr>\n";
  }
  return h + "</table>\n";
}

}  // namespace

std::string footprint_html(const std::vector<Provider>& providers, const Footprint& fp, Day date) {
  return html_head(date) + summary_section(providers, fp, date) + networks_section(providers, fp) +
         validation_section(providers, fp) + blocklist_section(providers, fp) +
         "</body>\n</html>\n";
}

}  // namespace iotmap::backend_map
