// crt.sh: the certificates logged for each provider's registrable domain ("%.<domain>", JSON
// output). Every name in a certificate (common name and SANs) that matches a provider pattern
// becomes a candidate name (source "ct"); a wildcard "*.x" contributes "x". The answer of each
// domain is kept as <data_dir>/<file>/<domain>.json.
#include <cctype>
#include <fstream>
#include <set>

#include "fetch/crawler.h"
#include "lib/dns_name.h"
#include "resolver/pdns.h"

namespace iotmap::fetch {

namespace {

// The domains asked: the source's own list, else every provider's registrable domains.
std::vector<std::string> crtsh_domains(const Source& s, const config::Catalogue& cat) {
  if (!s.domains.empty()) return s.domains;
  std::vector<std::string> domains;
  std::set<std::string> seen;
  for (const auto& p : cat.providers())
    for (const auto& d : p.registrable_domains)
      if (seen.insert(d).second) domains.push_back(d);
  return domains;
}

struct Query {
  std::string text;   // what crt.sh is asked ("%.example.com")
  std::string label;  // the domain as a file name and in messages
};

// A domain asks for "%.<domain>"; an entry with '%' is a crt.sh identity pattern as it stands
// ("%.iot.%.amazonaws.com"), for registrable domains too large to list whole. Nullopt for an
// entry that is neither.
std::optional<Query> query_for(const std::string& domain) {
  if (domain.find('%') != std::string::npos) {
    Query q{domain, domain};
    for (char& ch : q.label)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-') ch = '_';
    return q;
  }
  auto norm = normalise_dns_name(domain);
  if (!norm || (*norm)[0] == '*') return std::nullopt;
  std::string bare = norm->substr(0, norm->size() - 1);
  return Query{"%." + bare, bare};
}

struct Tally {
  int64_t failures = 0, unchanged = 0, certs = 0, seen_names = 0, kept = 0;
  std::string first_error;

  void fail(const std::string& why) {
    ++failures;
    if (first_error.empty()) first_error = why;
  }
};

// Downloads one domain's certificates and stores the provider names in them.
void fetch_domain(const Source& s, Context& ctx, const std::string& dir, const Query& q, Tally& t) {
  using St = SourceResult::Status;
  std::set<std::string> names;
  Download d;
  d.source = s.name + "/" + q.label;
  d.request.url = s.url + "?q=" + url_escape(q.text) + "&output=json" +
                  (s.exclude_expired ? "&exclude=expired" : "");
  d.request.label = d.source;
  d.target = dir + "/" + q.label + ".json";
  d.format = Format::crtsh;
  d.unit = "certificates";
  d.compression = Compression::none;
  d.max_bytes = s.max_bytes;
  d.check = [&](const std::string& path, const std::string& origin) {
    std::ifstream in(path, std::ios::binary);
    return read_crtsh(in, origin, [&](std::string_view n) {
      ++t.seen_names;
      if (n.rfind("*.", 0) == 0) n.remove_prefix(2);
      auto nn = normalise_dns_name(n);
      if (nn && (*nn)[0] != '*' && ctx.catalogue.match(*nn)) names.insert(*nn);
    });
  };
  Downloaded got = download(ctx, d);
  if (got.status == St::failed) {
    ctx.log(s.name + ": " + q.label + ": " + got.message);
    t.fail(q.label + ": " + got.message);
    return;
  }
  if (got.status == St::not_modified) {
    ++t.unchanged;
    return;
  }
  t.certs += static_cast<int64_t>(got.records);
  std::vector<db::NameRow> rows;
  rows.reserve(names.size());
  for (const auto& n : names)
    rows.push_back(resolver::catalogue_name_row(ctx.catalogue, n, "ct", ctx.now));
  ctx.store.upsert_names(rows);
  t.kept += static_cast<int64_t>(rows.size());
  ctx.log(s.name + ": " + q.label + ": " + std::to_string(got.records) + " certificates, " +
          std::to_string(rows.size()) + " candidate names");
}

SourceResult result_of(const Tally& t, int64_t domains, std::string path) {
  using St = SourceResult::Status;
  SourceResult r;
  r.path = std::move(path);
  r.counts = {{"domains", domains},          {"failed", t.failures},
              {"not_modified", t.unchanged}, {"certificates", t.certs},
              {"names_seen", t.seen_names},  {"names", t.kept}};
  r.message = std::to_string(domains) + " domains, " + std::to_string(t.certs) + " certificates, " +
              std::to_string(t.kept) + " candidate names" +
              (t.unchanged ? ", " + std::to_string(t.unchanged) + " not modified" : "");
  if (t.failures > 0) {
    r.status = St::failed;
    r.message = std::to_string(t.failures) + " of " + std::to_string(domains) +
                " domains failed (first: " + t.first_error + "); " + r.message;
  } else if (t.unchanged == domains && domains > 0) {
    r.status = St::not_modified;
  }
  return r;
}

}  // namespace

SourceResult run_crtsh(const Source& s, Context& ctx) {
  const std::string dir = ctx.data_dir + "/" + s.file;
  const std::vector<std::string> domains = crtsh_domains(s, ctx.catalogue);
  Tally t;
  for (const auto& domain : domains) {
    if (auto q = query_for(domain))
      fetch_domain(s, ctx, dir, *q, t);
    else
      t.fail("'" + domain + "' is not a domain name");
  }
  return result_of(t, static_cast<int64_t>(domains.size()), dir);
}

}  // namespace iotmap::fetch
