// RIPE Atlas as vantage points we do not run: one-off DNS measurements of candidate names from
// the probes of each probe group (API v2: POST /measurements/, GET /measurements/<id>/ until it
// stops, GET /measurements/<id>/results/), stored as resolutions of a vantage point named after
// the group. The answers of a group's probes are merged into one resolution per name and type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "db/rows.h"
#include "fetch/sources.h"

namespace iotmap::fetch {

// The body of one POST /measurements/: a one-off DNS definition per (name, type), resolved by
// each probe's own resolver, from the group's probes.
nlohmann::json atlas_request(const Source& s, const ProbeGroup& g,
                             const std::vector<std::pair<std::string, std::string>>& queries);

struct AtlasQuery {
  int64_t msm_id = 0;
  std::string name;     // normalised, trailing dot
  std::string qtype;    // A or AAAA
  std::string vantage;  // the probe group's name
};

// One measurement's results (the JSON array of the results endpoint) as one resolution: the
// union of the addresses every probe got, the CNAME chain of the first probe that had one, the
// earliest probe's time. nullopt when no probe reported; *note says what was odd.
std::optional<db::ResolutionRow> atlas_row(const nlohmann::json& results, const AtlasQuery& q,
                                           std::optional<int64_t> run_id, std::string* note);

// Measurement status: true when it will not change any more (stopped, failed, no probes).
bool atlas_final(const nlohmann::json& measurement, std::string* status_name);

}  // namespace iotmap::fetch
