// DNSDB (API v2, https://api.dnsdb.info/dnsdb/v2): a flexible regex search over rrnames for each
// provider pattern gives the names seen within the window; an rrset look-up per name gives
// their record sets, stored as DNSDB JSON lines (<data_dir>/<file>) and imported into the
// database with the resolver's reader (resolver/pdns.h): pdns rows and candidate names.
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "fetch/crawler.h"
#include "fetch/rdata.h"
#include "fetch/sha256.h"
#include "lib/atomic_file.h"
#include "lib/clock.h"
#include "lib/dns_name.h"
#include "resolver/address_evidence.h"
#include "resolver/pdns.h"

namespace iotmap::fetch {
namespace {

using nlohmann::json;

// The end of a SAF stream: "succeeded", "limited" (more results than the limit) or "failed".
struct SafEnd {
  std::string cond, msg;
  uint64_t objects = 0;
  bool bad_line = false;
};

void saf_line(std::string_view line, SafEnd& end, const std::function<void(const json&)>& on_obj) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
  json doc = json::parse(line, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    end.bad_line = true;
    return;
  }
  if (auto c = doc.find("cond"); c != doc.end() && c->is_string()) {
    std::string cond = c->get<std::string>();
    if (cond != "begin" && cond != "ongoing") {
      end.cond = cond;
      if (auto m = doc.find("msg"); m != doc.end() && m->is_string())
        end.msg = m->get<std::string>();
    }
  }
  if (auto o = doc.find("obj"); o != doc.end() && o->is_object()) {
    ++end.objects;
    on_obj(*o);
  }
}

// "" when the stream ended as it should, else why not.
std::string saf_problem(const SafEnd& e) {
  if (e.bad_line) return "a line of the answer is not JSON";
  if (e.cond == "succeeded" || e.cond == "limited") return "";
  if (e.cond.empty()) return "the answer ended without its final status line (cut short)";
  return "the query " + e.cond + (e.msg.empty() ? "" : ": " + e.msg);
}

Request api_request(const Source& s, const Secret& key, std::string url) {
  Request r;
  r.url = std::move(url);
  r.headers = {"Accept: application/x-ndjson"};
  r.secret = &key;
  r.secret_header = "X-API-Key";
  r.label = s.name;
  return r;
}

// Writes one answer into the temporary file and watches its SAF lines; a retry starts the
// answer over at the mark.
class AppendSink : public Sink {
 public:
  AppendSink(TempFile& f, SafEnd& end)
      : f_(f),
        end_(end),
        lines_([this](std::string_view l) { saf_line(l, end_, [](const json&) {}); }) {}
  void reset() override {
    if (!marked_) {
      mark_ = f_.size();
      marked_ = true;
    }
    f_.truncate(mark_);
    end_ = SafEnd{};
    lines_.reset();
  }
  void write(const char* d, size_t n) override {
    f_.write(d, n);
    lines_.write(d, n);
  }
  void finish() {
    lines_.finish();
    // Keep the file in whole lines even if the answer lacked a final newline.
    f_.write("\n", 1);
  }

 private:
  TempFile& f_;
  SafEnd& end_;
  LineSink lines_;
  uint64_t mark_ = 0;
  bool marked_ = false;
};

constexpr std::string_view kRdataSource = "dnsdb-rdata:";

// The quota DNSDB reports (/rate_limit costs none of it); nothing known: no limit.
Quota ask_quota(const Source& s, Context& ctx, const Secret& key, const std::string& base) {
  StringSink body;
  Request req = api_request(s, key, base + "/rate_limit");
  req.headers = {"Accept: application/json"};
  Response resp = ctx.http.perform(req, body);
  return resp.ok() ? parse_rate_limit_json(body.text) : Quota{};
}

struct RdataOutcome {
  int64_t lookups = 0, left = 0, limited = 0;
  std::string error;  // a look-up that failed: the step stops
  std::string quota_stop;
};

// Reverse look-ups of the candidate addresses no look-up of the window covers, within
// max_rdata_lookups and the quota; each look-up that answered is recorded in fetches with its
// time ("dnsdb-rdata:<query>"), so that a run stopped by the quota resumes where it stopped.
RdataOutcome rdata_lookups(const Source& s, Context& ctx, const Secret& key,
                           const std::string& base, const std::string& fence, int64_t since,
                           const std::string& path) {
  RdataOutcome out;
  std::vector<IpAddress> ips;
  for (const auto& text : ctx.store.candidate_addresses(since, ctx.now + 1))
    if (auto ip = IpAddress::parse(text)) ips.push_back(*ip);
  std::vector<std::string> covered;
  for (auto& src : ctx.store.fetched_sources_since(kRdataSource, since))
    covered.push_back(src.substr(kRdataSource.size()));
  const auto plan = without_covered(plan_rdata_lookups(ips), covered);
  if (plan.empty()) return out;
  Quota quota = ask_quota(s, ctx, key, base);
  TempFile tmp(path);
  std::vector<db::FetchRow> done;  // recorded once their answers are in the file
  for (const auto& t : plan) {
    if (out.lookups >= s.max_rdata_lookups || (quota.remaining && *quota.remaining <= 0)) {
      out.left = static_cast<int64_t>(plan.size()) - out.lookups;
      if (quota.remaining && *quota.remaining <= 0)
        out.quota_stop = "quota reached (0 left" +
                         (quota.reset ? ", resets " + utc_time_text(*quota.reset) : "") + ")";
      break;
    }
    SafEnd end;
    AppendSink sink(tmp, end);
    const std::string url = base + "/lookup/rdata/ip/" + url_escape(t.query) + "?" + fence;
    Response resp = ctx.http.perform(api_request(s, key, url), sink);
    ++out.lookups;
    for (const auto& h : resp.rate_limit_headers) apply_rate_limit_header(h, quota);
    if (!resp.ok() && resp.status != 404) {
      out.error = "rdata look-up of " + t.query + ": " + resp.error;
      break;
    }
    if (resp.ok()) {
      sink.finish();
      if (std::string problem = saf_problem(end); !problem.empty()) {
        out.error = "rdata look-up of " + t.query + ": " + problem;
        break;
      }
      if (end.cond == "limited") ++out.limited;
    }
    done.push_back({std::string(kRdataSource) + t.query, url, clock_now(), "ok", "", "", "",
                    static_cast<int64_t>(resp.bytes), path});
  }
  tmp.flush();
  tmp.commit();
  for (const auto& f : done) ctx.store.add_fetch(f);
  return out;
}

}  // namespace

std::string dnsdb_regex(std::string_view p) {
  std::string out = "^";
  for (size_t i = 0; i < p.size(); ++i) {
    if (p.compare(i, 4, "(?P<") == 0) {
      auto close = p.find('>', i);
      out += '(';
      i = close == std::string_view::npos ? p.size() : close;
    } else if (p.compare(i, 3, "(?:") == 0) {
      out += '(';
      i += 2;
    } else if (p.compare(i, 2, "\\d") == 0) {
      out += "[0-9]";
      ++i;
    } else if (p[i] == '\\' && i + 1 < p.size()) {
      out += p.substr(i, 2);
      ++i;
    } else {
      out += p[i];
    }
  }
  return out + "$";
}

SourceResult run_dnsdb(const Source& s, Context& ctx) {
  SourceResult r;
  r.path = ctx.data_dir + "/" + s.file;
  auto key = api_key(s, ctx, r);
  if (!key) return r;
  const std::string base = api_base(s);
  const int64_t since = ctx.now - int64_t{s.window_days} * 86400;
  const std::string fence = "time_last_after=" + std::to_string(since) +
                            "&limit=" + std::to_string(s.limit) + "&swclient=iotmap&version=0.1";
  auto failed = [&](const std::string& msg) { return fail_source(r, s, ctx, base, msg); };

  // 1. Names: a flexible search per provider pattern.
  std::set<std::string> names;
  int64_t limited = 0, queries = 0;
  for (const auto& p : ctx.catalogue.providers()) {
    for (const auto& pattern : p.patterns) {
      std::string url = base + "/regex/rrnames/" + url_escape(dnsdb_regex(pattern)) + "?" + fence;
      SafEnd end;
      LineSink lines([&](std::string_view l) {
        saf_line(l, end, [&](const json& obj) {
          auto n = obj.find("rrname");
          if (n == obj.end() || !n->is_string()) return;
          auto norm = normalise_dns_name(n->get<std::string>());
          if (norm && (*norm)[0] != '*' && ctx.catalogue.match(*norm)) names.insert(*norm);
        });
      });
      Request req = api_request(s, *key, url);
      Response resp = ctx.http.perform(req, lines);
      ++queries;
      if (!resp.ok()) return failed("flexible search for " + p.id + ": " + resp.error);
      lines.finish();
      if (std::string problem = saf_problem(end); !problem.empty())
        return failed("flexible search for " + p.id + ": " + problem);
      if (end.cond == "limited") ++limited;
    }
  }
  ctx.log(s.name + ": " + std::to_string(names.size()) + " names from " + std::to_string(queries) +
          " flexible searches" +
          (limited ? " (" + std::to_string(limited) + " hit the result limit)" : ""));

  // 2. Record sets: one look-up per name, appended to the file as the API streams them.
  std::optional<TempFile> tmp;
  try {
    tmp.emplace(r.path);
  } catch (const std::exception& e) {
    return failed(e.what());
  }
  int64_t lookups = 0;
  for (const auto& name : names) {
    if (lookups >= s.max_lookups) {
      ctx.log(s.name + ": max_lookups (" + std::to_string(s.max_lookups) + ") reached; " +
              std::to_string(names.size() - static_cast<size_t>(lookups)) + " names not looked up");
      break;
    }
    std::string bare = name.substr(0, name.size() - 1);
    SafEnd end;
    AppendSink sink(*tmp, end);
    Response resp = ctx.http.perform(
        api_request(s, *key, base + "/lookup/rrset/name/" + url_escape(bare) + "?" + fence), sink);
    ++lookups;
    if (!resp.ok() && resp.status != 404)
      return failed("rrset look-up of " + bare + ": " + resp.error);
    if (resp.status == 404) continue;  // "no results" in DNSDB v1; v2 answers with an empty stream
    try {
      sink.finish();
    } catch (const std::exception& e) {
      return failed(e.what());
    }
    if (std::string problem = saf_problem(end); !problem.empty())
      return failed("rrset look-up of " + bare + ": " + problem);
    if (end.cond == "limited") ++limited;
  }
  try {
    tmp->flush();
  } catch (const std::exception& e) {
    return failed(e.what());
  }
  FormatCheck check = check_file(Format::dnsdb, tmp->path(), base + " (rrset look-ups)");
  if (!check.ok()) return failed("the answers do not parse: " + check.error);
  std::string sha = sha256_file(tmp->path());
  uint64_t bytes = tmp->size();
  try {
    tmp->commit();
  } catch (const std::exception& e) {
    return failed(e.what());
  }
  ctx.store.add_fetch(
      {s.name, base, ctx.now, "ok", "", "", sha, static_cast<int64_t>(bytes), r.path});

  // 3. Into the database, as `iotmap resolve --pdns` would read the file.
  resolver::PdnsFilter filter;
  filter.from = since;
  filter.rrtypes = s.rrtypes;
  std::ifstream in(r.path);
  const resolver::PdnsStats st =
      resolver::import_pdns(in, r.path, filter, "dnsdb", ctx.catalogue, ctx.store).stats;
  const auto evidence =
      resolver::import_address_evidence(resolver::dnsdb_reader(in, r.path, filter), filter.from,
                                        filter.to, "pdns", "dnsdb", ctx.catalogue, ctx.store);
  // 4. Reverse look-ups: what else DNSDB saw on the candidate addresses (docs/fetch.md).
  RdataOutcome rdata;
  if (s.max_rdata_lookups > 0) {
    const std::string rdata_path = ctx.data_dir + "/dnsdb-rdata.jsonl";
    try {
      rdata = rdata_lookups(s, ctx, *key, base, fence, since, rdata_path);
    } catch (const std::exception& e) {
      rdata.error = e.what();
    }
    if (rdata.lookups > 0 && file_exists(rdata_path)) {
      std::ifstream rin(rdata_path);
      const auto rev = resolver::import_address_evidence(
          resolver::dnsdb_reader(rin, rdata_path, filter), filter.from, filter.to, "pdns",
          "dnsdb-rdata", ctx.catalogue, ctx.store);
      r.counts["rdata_address_records"] = static_cast<int64_t>(rev.records);
    }
    if (!rdata.error.empty()) return failed(rdata.error);
    if (!rdata.quota_stop.empty() || rdata.left > 0)
      ctx.log(s.name + ": reverse look-ups: " +
              (rdata.quota_stop.empty() ? "max_rdata_lookups reached" : rdata.quota_stop) + "; " +
              std::to_string(rdata.left) + " look-up" + (rdata.left == 1 ? "" : "s") +
              " left for the next run");
  }
  r.counts["rdata_lookups"] = rdata.lookups;
  r.counts["rdata_left"] = rdata.left;
  r.counts["queries"] = queries + lookups + rdata.lookups;
  r.counts.insert({{"queries", queries + lookups},
                   {"names", static_cast<int64_t>(names.size())},
                   {"lookups", lookups},
                   {"pdns_records", static_cast<int64_t>(st.kept)},
                   {"pdns_address_records", static_cast<int64_t>(evidence.records)},
                   {"limited", limited + rdata.limited}});
  r.message = std::to_string(names.size()) + " names, " + std::to_string(lookups) + " look-ups, " +
              std::to_string(rdata.lookups) + " reverse look-ups, " + std::to_string(st.kept) +
              " records imported, " + std::to_string(bytes) + " bytes, sha256 " +
              sha.substr(0, 16) + "... -> " + r.path;
  return r;
}

}  // namespace iotmap::fetch
