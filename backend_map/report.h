// The footprint report (docs/method.md section 4; the paper's Table 7.2, Fig. 7.3 and Fig. 7.4) as
// Markdown, JSON or one self-contained HTML page (inline CSS and SVG, no network). Pure
// functions returning strings.
#pragma once

#include <string>
#include <vector>

#include "backend_map/footprint.h"

namespace iotmap::backend_map {

// One provider's footprint as a JSON object (also the store's footprint.detail column).
std::string provider_footprint_json(const std::vector<Provider>& providers,
                                    const ProviderFootprint& f);

std::string footprint_json(const std::vector<Provider>& providers, const Footprint& fp, Day date);
std::string footprint_markdown(const std::vector<Provider>& providers, const Footprint& fp,
                               Day date);
std::string footprint_html(const std::vector<Provider>& providers, const Footprint& fp, Day date);

// The SVG charts on their own (tests and other pages may embed them).
std::string source_chart_svg(const std::vector<Provider>& providers, const Footprint& fp);
std::string stability_chart_svg(const std::vector<Provider>& providers, const Footprint& fp);

}  // namespace iotmap::backend_map
