#include "fetch/atlas.h"

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "fetch/crawler.h"
#include "lib/dns_name.h"
#include "lib/json.h"
#include "resolver/result.h"
#include "resolver/rows.h"
#include "resolver/wire.h"

namespace iotmap::fetch {
namespace {

using nlohmann::json;

std::optional<std::vector<uint8_t>> base64(const std::string& in) {
  if (in.empty() || in.size() % 4 != 0) return std::nullopt;
  std::vector<uint8_t> out(in.size() / 4 * 3);
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  size_t pad = (in.back() == '=') + (in.size() > 1 && in[in.size() - 2] == '=');
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

int64_t int_or(const json& j, const char* key, int64_t dflt) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : dflt;
}

// Every DNS exchange in one probe's result: "result" directly (a chosen resolver) or one per
// resolver in "resultset" (the probe's own resolvers).
std::vector<const json*> exchanges(const json& item) {
  std::vector<const json*> out;
  if (auto rs = item.find("resultset"); rs != item.end() && rs->is_array()) {
    for (const auto& e : *rs)
      if (e.is_object()) out.push_back(&e);
  } else {
    out.push_back(&item);
  }
  return out;
}

}  // namespace

json atlas_request(const Source& s, const ProbeGroup& g,
                   const std::vector<std::pair<std::string, std::string>>& queries) {
  json defs = json::array();
  for (const auto& [name, qtype] : queries) {
    std::string bare =
        name.size() > 1 && name.back() == '.' ? name.substr(0, name.size() - 1) : name;
    defs.push_back({{"type", "dns"},
                    {"af", s.af},
                    {"query_class", "IN"},
                    {"query_type", qtype},
                    {"query_argument", bare},
                    {"use_probe_resolver", true},
                    {"set_rd_bit", true},
                    {"description", "iotmap " + g.name + " " + bare + " " + qtype}});
  }
  return {
      {"definitions", defs},
      {"probes", json::array({{{"type", g.type}, {"value", g.value}, {"requested", g.requested}}})},
      {"is_oneoff", true}};
}

bool atlas_final(const json& m, std::string* status_name) {
  auto st = m.find("status");
  if (st == m.end() || !st->is_object()) return false;
  if (status_name) *status_name = st->value("name", "");
  // 0 specified, 1 scheduled, 2 ongoing; 4 stopped, 5 forced to stop, 6 no suitable probes,
  // 7 failed, 8 archived.
  int64_t id = int_or(*st, "id", -1);
  return id >= 4;
}

std::optional<db::ResolutionRow> atlas_row(const json& results, const AtlasQuery& q,
                                           std::optional<int64_t> run_id, std::string* note) {
  using resolver::Status;
  if (!results.is_array() || results.empty()) {
    if (note) *note = "no probe reported";
    return std::nullopt;
  }
  resolver::Result r;
  r.name = q.name.size() > 1 && q.name.back() == '.' ? q.name.substr(0, q.name.size() - 1) : q.name;
  r.qtype = q.qtype == "AAAA" ? resolver::kTypeAaaa : resolver::kTypeA;
  r.vantage = q.vantage;
  r.resolver = "atlas:" + std::to_string(q.msm_id);
  int64_t first = INT64_MAX;
  bool any_reply = false, nxdomain = false, nodata = false, malformed = false;
  int other_rcode = -1;
  std::map<IpAddress, uint32_t> addrs;
  int probes = 0, errors = 0;
  for (const auto& item : results) {
    if (!item.is_object()) continue;
    ++probes;
    for (const json* ex : exchanges(item)) {
      int64_t t = int_or(*ex, "time", int_or(item, "timestamp", 0));
      auto res = ex->find("result");
      if (res == ex->end() || !res->is_object() || !res->contains("abuf") ||
          !(*res)["abuf"].is_string()) {
        ++errors;  // {"error": {"timeout": 5000}} and the like
        continue;
      }
      auto wire = base64((*res)["abuf"].get<std::string>());
      auto parsed = wire ? resolver::parse_reply(*wire) : resolver::ParseOutcome{};
      if (!parsed.reply) {
        malformed = true;
        continue;
      }
      const auto& rep = *parsed.reply;
      if (!rep.qname.empty() && rep.qname != r.name) {
        malformed = true;  // an answer to another question
        continue;
      }
      any_reply = true;
      if (t > 0) first = std::min(first, t);
      if (auto rt = res->find("rt"); rt != res->end() && rt->is_number() && r.rtt_ms == 0)
        r.rtt_ms = rt->get<double>();
      std::vector<resolver::CnameLink> chain;
      std::string owner = r.name;
      bool got = false;
      for (const auto& rec : rep.answers) {
        if (rec.type == resolver::kTypeCname && rec.owner == owner) {
          chain.push_back({rec.owner, rec.target, rec.ttl});
          owner = rec.target;
        }
      }
      for (const auto& rec : rep.answers) {
        if (rec.type == r.qtype && rec.address && rec.owner == owner) {
          auto [it, fresh] = addrs.emplace(*rec.address, rec.ttl);
          if (!fresh) it->second = std::min(it->second, rec.ttl);
          got = true;
        }
      }
      if (got && r.chain.empty()) r.chain = chain;
      if (rep.rcode == 3)
        nxdomain = true;
      else if (rep.rcode == 0 && !got)
        nodata = true;
      else if (rep.rcode != 0)
        other_rcode = rep.rcode;
    }
  }
  if (probes == 0) {
    if (note) *note = "no probe reported";
    return std::nullopt;
  }
  for (const auto& [ip, ttl] : addrs) r.answers.push_back({ip, ttl});
  if (!addrs.empty()) {
    r.status = Status::kAnswer;
    r.rcode = 0;
  } else if (nxdomain) {
    r.status = Status::kNxdomain;
    r.rcode = 3;
  } else if (nodata) {
    r.status = Status::kNodata;
    r.rcode = 0;
  } else if (other_rcode >= 0) {
    r.status = other_rcode == 2   ? Status::kServfail
               : other_rcode == 5 ? Status::kRefused
                                  : Status::kOtherRcode;
    r.rcode = other_rcode;
  } else {
    r.status = malformed ? Status::kMalformed : Status::kTimeout;
  }
  if (!any_reply) {
    for (const auto& item : results)
      if (item.is_object()) first = std::min(first, int_or(item, "timestamp", INT64_MAX));
  }
  if (first == INT64_MAX) first = 0;
  r.time_us = first * 1'000'000;
  if (note)
    *note = std::to_string(probes) + " probes, " + std::to_string(errors) + " without a reply";
  return resolver::to_row(r, resolver::hour_start(first), run_id);
}

namespace {

using Clock = std::chrono::steady_clock;

// One run of an Atlas source: its key, its API base and the result it fills.
struct AtlasRun {
  const Source& s;
  Context& ctx;
  SourceResult& r;
  const Secret& key;
  std::string base;

  Request request(std::string url) const {
    Request q;
    q.url = std::move(url);
    q.headers = {"Accept: application/json"};
    q.secret = &key;
    q.secret_header = "Authorization";
    q.secret_prefix = "Key ";
    q.label = s.name;
    q.max_bytes = 1u << 20;
    return q;
  }
  SourceResult fail(const std::string& msg) const { return fail_source(r, s, ctx, base, msg); }
};

// The names: as configured, else the candidate names in the database; at most max_names.
std::vector<std::string> names_to_measure(const Source& s, Context& ctx) {
  std::vector<std::string> names;
  for (const auto& n : s.names)
    if (auto nn = normalise_dns_name(n); nn && (*nn)[0] != '*') names.push_back(*nn);
  if (s.names.empty())
    for (const auto& row : ctx.store.candidate_names()) names.push_back(row.name);
  if (names.size() > static_cast<size_t>(s.max_names)) {
    ctx.log(s.name + ": measuring the first " + std::to_string(s.max_names) + " of " +
            std::to_string(names.size()) + " names (max_names)");
    names.resize(static_cast<size_t>(s.max_names));
  }
  return names;
}

// One POST of a batch of definitions for a probe group; the error, or empty when created.
std::string create_batch(const AtlasRun& run, const ProbeGroup& g,
                         const std::vector<std::pair<std::string, std::string>>& batch,
                         std::vector<AtlasQuery>& created) {
  Request q = run.request(run.base + "/measurements/");
  q.method = "POST";
  q.body = json_text(atlas_request(run.s, g, batch));
  q.idempotent = false;  // a repeated POST would create (and pay for) the measurements twice
  StringSink answer;
  Response resp = run.ctx.http.perform(q, answer);
  if (!resp.ok()) return "creating measurements for " + g.name + ": " + resp.error;
  json doc = json::parse(answer.text, nullptr, false);
  auto ids = doc.is_object() ? doc.find("measurements") : doc.end();
  if (ids == doc.end() || !ids->is_array() || ids->size() != batch.size())
    return "creating measurements for " + g.name +
           ": the answer does not list one id per definition";
  for (size_t k = 0; k < batch.size(); ++k) {
    if (!(*ids)[k].is_number_integer()) return "creating measurements: an id is not a number";
    created.push_back({(*ids)[k].get<int64_t>(), batch[k].first, batch[k].second, g.name});
  }
  return {};
}

// 1. The measurements, a batch of definitions per request and probe group.
std::string create_measurements(const AtlasRun& run, const std::vector<std::string>& names,
                                std::vector<AtlasQuery>& created) {
  const Source& s = run.s;
  std::vector<std::pair<std::string, std::string>> queries;
  for (const auto& n : names)
    for (const auto& t : s.rrtypes) queries.emplace_back(n, t);
  const auto per_request = static_cast<size_t>(s.definitions_per_request);
  for (const auto& g : s.probe_groups) {
    run.ctx.store.upsert_vantage_point(
        {g.name,
         "RIPE Atlas: " + std::to_string(g.requested) + " probes, " + g.type + " " + g.value,
         "",
         {"atlas:" + g.type + "=" + g.value}});
    for (size_t i = 0; i < queries.size(); i += per_request) {
      const auto from = queries.begin() + static_cast<std::ptrdiff_t>(i);
      const auto to =
          queries.begin() + static_cast<std::ptrdiff_t>(std::min(queries.size(), i + per_request));
      if (auto error = create_batch(run, g, {from, to}, created); !error.empty()) return error;
    }
  }
  return {};
}

// 2. Polls until every measurement has stopped or the poll timeout passed; the error, or empty.
std::string wait_for(const AtlasRun& run, const std::vector<AtlasQuery>& created, int64_t& polls) {
  const Source& s = run.s;
  const auto deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(s.poll_timeout_s * 1000));
  std::set<int64_t> pending;
  for (const auto& c : created) pending.insert(c.msm_id);
  while (!pending.empty()) {
    for (auto it = pending.begin(); it != pending.end();) {
      StringSink answer;
      const std::string id = std::to_string(*it);
      Response resp =
          run.ctx.http.perform(run.request(run.base + "/measurements/" + id + "/"), answer);
      ++polls;
      if (!resp.ok()) return "status of measurement " + id + ": " + resp.error;
      json doc = json::parse(answer.text, nullptr, false);
      std::string name;
      if (!doc.is_object() || !atlas_final(doc, &name)) {
        ++it;
        continue;
      }
      if (name != "Stopped") run.ctx.log(s.name + ": measurement " + id + ": " + name);
      it = pending.erase(it);
    }
    if (pending.empty()) break;
    if (Clock::now() >= deadline) {
      run.ctx.log(s.name + ": " + std::to_string(pending.size()) +
                  " measurements still running after poll_timeout_s; taking their results so far");
      break;
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<int64_t>(s.poll_interval_s * 1000)));
  }
  return {};
}

// The download of one measurement's results, kept as a file and parsed into `results`.
Download results_download(const AtlasRun& run, const std::string& id, json& results) {
  Download d;
  d.source = run.s.name + "/" + id;
  d.request = run.request(run.base + "/measurements/" + id + "/results/?format=json");
  d.request.max_bytes = 0;
  d.max_bytes = 64u << 20;
  d.target = run.r.path + "/" + id + ".json";
  d.unit = "probe results";
  d.compression = Compression::none;
  d.conditional = false;
  d.check = [&results](const std::string& path, const std::string& origin) {
    FormatCheck fc;
    std::ifstream in(path, std::ios::binary);
    results = json::parse(in, nullptr, false);
    if (results.is_discarded() || !results.is_array())
      fc.error = origin + ": not a JSON array of results";
    else
      fc.records = results.size();
    return fc;
  };
  return d;
}

// 3. Results: each measurement's answer kept as a file, then merged into resolutions.
void collect_results(const AtlasRun& run, const std::vector<AtlasQuery>& created, int64_t polls) {
  std::vector<db::ResolutionRow> rows;
  int64_t failures = 0, empty = 0;
  std::string first_error;
  for (const auto& c : created) {
    const std::string id = std::to_string(c.msm_id);
    json results;
    Downloaded got = download(run.ctx, results_download(run, id, results));
    if (got.status == SourceResult::Status::failed) {
      if (failures++ == 0) first_error = got.message;
      continue;
    }
    std::string note;
    auto row = atlas_row(results, c, run.ctx.run_id, &note);
    if (!row) {
      ++empty;
      run.ctx.log(run.s.name + ": measurement " + id + " (" + c.name + " " + c.qtype +
                  "): " + note);
      continue;
    }
    rows.push_back(std::move(*row));
  }
  const size_t added = run.ctx.store.add_resolutions(rows);
  SourceResult& r = run.r;
  r.counts = {{"measurements", static_cast<int64_t>(created.size())},
              {"polls", polls},
              {"resolutions", static_cast<int64_t>(rows.size())},
              {"resolutions_new", static_cast<int64_t>(added)},
              {"no_results", empty},
              {"failed", failures}};
  r.message = std::to_string(created.size()) + " measurements from " +
              std::to_string(run.s.probe_groups.size()) + " probe groups, " +
              std::to_string(rows.size()) + " resolutions (" + std::to_string(added) + " new)";
  if (failures > 0) {
    r.status = SourceResult::Status::failed;
    r.message = std::to_string(failures) + " results could not be fetched (first: " + first_error +
                "); " + r.message;
  }
}

}  // namespace

SourceResult run_atlas(const Source& s, Context& ctx) {
  SourceResult r;
  r.path = ctx.data_dir + "/" + s.file;
  auto key = api_key(s, ctx, r);
  if (!key) return r;
  const AtlasRun run{s, ctx, r, *key, api_base(s)};
  const auto names = names_to_measure(s, ctx);
  if (names.empty()) return run.fail("no names to measure (none configured, none in the database)");
  std::vector<AtlasQuery> created;
  if (auto error = create_measurements(run, names, created); !error.empty()) return run.fail(error);
  ctx.log(s.name + ": created " + std::to_string(created.size()) + " measurements");
  int64_t polls = 0;
  if (auto error = wait_for(run, created, polls); !error.empty()) return run.fail(error);
  collect_results(run, created, polls);
  return r;
}

}  // namespace iotmap::fetch
