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

namespace {

// One run of a DNSDB source: its key, API base and window, what it found so far, and the
// result it fills.
struct DnsdbRun {
  DnsdbRun(const Source& source, Context& context, SourceResult& result, const Secret& api_key)
      : s(source),
        ctx(context),
        r(result),
        key(api_key),
        base(api_base(source)),
        since(context.now - int64_t{source.window_days} * 86400),
        fence("time_last_after=" + std::to_string(since) +
              "&limit=" + std::to_string(source.limit) + "&swclient=iotmap&version=0.1") {}

  const Source& s;
  Context& ctx;
  SourceResult& r;
  const Secret& key;
  const std::string base;
  const int64_t since;
  const std::string fence;  // the query string every request carries: window, limit, client

  // Filled by the stages below.
  std::set<std::string> names;
  int64_t searches = 0, lookups = 0, limited = 0;
  std::string sha;
  uint64_t bytes = 0;

  Request request(const std::string& url) const { return api_request(s, key, url); }
  SourceResult fail(const std::string& msg) const { return fail_source(r, s, ctx, base, msg); }
};

// 1. Names: a flexible search per provider pattern; the error, or empty.
std::string search_names(DnsdbRun& run) {
  for (const auto& p : run.ctx.catalogue.providers()) {
    for (const auto& pattern : p.patterns) {
      const std::string url =
          run.base + "/regex/rrnames/" + url_escape(dnsdb_regex(pattern)) + "?" + run.fence;
      SafEnd end;
      LineSink lines([&](std::string_view l) {
        saf_line(l, end, [&](const json& obj) {
          auto n = obj.find("rrname");
          if (n == obj.end() || !n->is_string()) return;
          auto norm = normalise_dns_name(n->get<std::string>());
          if (norm && (*norm)[0] != '*' && run.ctx.catalogue.match(*norm)) run.names.insert(*norm);
        });
      });
      Response resp = run.ctx.http.perform(run.request(url), lines);
      ++run.searches;
      if (!resp.ok()) return "flexible search for " + p.id + ": " + resp.error;
      lines.finish();
      if (std::string problem = saf_problem(end); !problem.empty())
        return "flexible search for " + p.id + ": " + problem;
      if (end.cond == "limited") ++run.limited;
    }
  }
  run.ctx.log(run.s.name + ": " + std::to_string(run.names.size()) + " names from " +
              std::to_string(run.searches) + " flexible searches" +
              (run.limited ? " (" + std::to_string(run.limited) + " hit the result limit)" : ""));
  return {};
}

// The rrset look-up of one name, appended to the file; the error, or empty.
std::string lookup_rrset(DnsdbRun& run, TempFile& tmp, const std::string& name) {
  const std::string bare = name.substr(0, name.size() - 1);
  SafEnd end;
  AppendSink sink(tmp, end);
  Response resp = run.ctx.http.perform(
      run.request(run.base + "/lookup/rrset/name/" + url_escape(bare) + "?" + run.fence), sink);
  ++run.lookups;
  if (resp.status == 404) return {};  // "no results" in DNSDB v1; v2 answers with an empty stream
  if (!resp.ok()) return "rrset look-up of " + bare + ": " + resp.error;
  sink.finish();
  if (std::string problem = saf_problem(end); !problem.empty())
    return "rrset look-up of " + bare + ": " + problem;
  if (end.cond == "limited") ++run.limited;
  return {};
}

// 2. Record sets: one look-up per name, appended to the file as the API streams them; the file
// replaces the last one only when every answer parses. Throws on a file error.
std::string lookup_rrsets(DnsdbRun& run) {
  const Source& s = run.s;
  TempFile tmp(run.r.path);
  for (const auto& name : run.names) {
    if (run.lookups >= s.max_lookups) {
      run.ctx.log(s.name + ": max_lookups (" + std::to_string(s.max_lookups) + ") reached; " +
                  std::to_string(run.names.size() - static_cast<size_t>(run.lookups)) +
                  " names not looked up");
      break;
    }
    if (auto error = lookup_rrset(run, tmp, name); !error.empty()) return error;
  }
  tmp.flush();
  FormatCheck check = check_file(Format::dnsdb, tmp.path(), run.base + " (rrset look-ups)");
  if (!check.ok()) return "the answers do not parse: " + check.error;
  run.sha = sha256_file(tmp.path());
  run.bytes = tmp.size();
  tmp.commit();
  run.ctx.store.add_fetch({s.name, run.base, run.ctx.now, "ok", "", "", run.sha,
                           static_cast<int64_t>(run.bytes), run.r.path});
  return {};
}

// 3. Into the database, as `iotmap resolve --pdns` would read the file.
void import_answers(DnsdbRun& run, const resolver::PdnsFilter& filter) {
  Context& ctx = run.ctx;
  const std::string& path = run.r.path;
  std::ifstream in(path);
  const resolver::PdnsStats st =
      resolver::import_pdns(in, path, filter, "dnsdb", ctx.catalogue, ctx.store).stats;
  const auto evidence =
      resolver::import_address_evidence(resolver::dnsdb_reader(in, path, filter), filter.from,
                                        filter.to, "pdns", "dnsdb", ctx.catalogue, ctx.store);
  run.r.counts["pdns_records"] = static_cast<int64_t>(st.kept);
  run.r.counts["pdns_address_records"] = static_cast<int64_t>(evidence.records);
}

// 4. Reverse look-ups: what else DNSDB saw on the candidate addresses (docs/fetch.md); the
// error, or empty.
std::string reverse_lookups(DnsdbRun& run, const resolver::PdnsFilter& filter,
                            RdataOutcome& rdata) {
  const Source& s = run.s;
  Context& ctx = run.ctx;
  if (s.max_rdata_lookups <= 0) return {};
  const std::string rdata_path = ctx.data_dir + "/dnsdb-rdata.jsonl";
  try {
    rdata = rdata_lookups(s, ctx, run.key, run.base, run.fence, run.since, rdata_path);
  } catch (const std::exception& e) {
    rdata.error = e.what();
  }
  if (rdata.lookups > 0 && file_exists(rdata_path)) {
    std::ifstream rin(rdata_path);
    const auto rev = resolver::import_address_evidence(
        resolver::dnsdb_reader(rin, rdata_path, filter), filter.from, filter.to, "pdns",
        "dnsdb-rdata", ctx.catalogue, ctx.store);
    run.r.counts["rdata_address_records"] = static_cast<int64_t>(rev.records);
  }
  if (!rdata.error.empty()) return rdata.error;
  if (!rdata.quota_stop.empty() || rdata.left > 0)
    ctx.log(s.name + ": reverse look-ups: " +
            (rdata.quota_stop.empty() ? "max_rdata_lookups reached" : rdata.quota_stop) + "; " +
            std::to_string(rdata.left) + " look-up" + (rdata.left == 1 ? "" : "s") +
            " left for the next run");
  return {};
}

void summarise(const DnsdbRun& run, const RdataOutcome& rdata) {
  SourceResult& r = run.r;
  r.counts["rdata_lookups"] = rdata.lookups;
  r.counts["rdata_left"] = rdata.left;
  r.counts["queries"] = run.searches + run.lookups + rdata.lookups;
  r.counts["names"] = static_cast<int64_t>(run.names.size());
  r.counts["lookups"] = run.lookups;
  r.counts["limited"] = run.limited + rdata.limited;
  r.message = std::to_string(run.names.size()) + " names, " + std::to_string(run.lookups) +
              " look-ups, " + std::to_string(rdata.lookups) + " reverse look-ups, " +
              std::to_string(r.counts["pdns_records"]) + " records imported, " +
              std::to_string(run.bytes) + " bytes, sha256 " + run.sha.substr(0, 16) + "... -> " +
              r.path;
}

}  // namespace

SourceResult run_dnsdb(const Source& s, Context& ctx) {
  SourceResult r;
  r.path = ctx.data_dir + "/" + s.file;
  auto key = api_key(s, ctx, r);
  if (!key) return r;
  DnsdbRun run(s, ctx, r, *key);
  if (auto error = search_names(run); !error.empty()) return run.fail(error);
  try {
    if (auto error = lookup_rrsets(run); !error.empty()) return run.fail(error);
  } catch (const std::exception& e) {
    return run.fail(e.what());
  }
  resolver::PdnsFilter filter;
  filter.from = run.since;
  filter.rrtypes = s.rrtypes;
  import_answers(run, filter);
  RdataOutcome rdata;
  if (auto error = reverse_lookups(run, filter, rdata); !error.empty()) return run.fail(error);
  summarise(run, rdata);
  return r;
}

}  // namespace iotmap::fetch
