// crt.sh: the certificates logged for each provider's registrable domain ("%.<domain>", JSON
// output). Every name in a certificate (common name and SANs) that matches a provider pattern
// becomes a candidate name (source "ct"); a wildcard "*.x" contributes "x". The answer of each
// domain is kept as <data_dir>/<file>/<domain>.json.
#include <cctype>
#include <fstream>
#include <set>

#include "fetch/crawler.h"
#include "lib/dns_name.h"

namespace iotmap::fetch {

SourceResult run_crtsh(const Source& s, Context& ctx) {
  using St = SourceResult::Status;
  SourceResult r;
  r.path = ctx.data_dir + "/" + s.file;
  std::vector<std::string> domains = s.domains;
  if (domains.empty()) {
    std::set<std::string> seen;
    for (const auto& p : ctx.catalogue.providers())
      for (const auto& d : p.registrable_domains)
        if (seen.insert(d).second) domains.push_back(d);
  }
  std::string base = s.url;
  int64_t failures = 0, unchanged = 0, certs = 0, seen_names = 0, kept = 0;
  std::string first_error;
  for (const auto& domain : domains) {
    // A domain asks for "%.<domain>"; an entry with '%' is a crt.sh identity pattern as it
    // stands ("%.iot.%.amazonaws.com"), for registrable domains too large to list whole.
    std::string query, label;
    if (domain.find('%') != std::string::npos) {
      query = domain;
      label = domain;
      for (char& ch : label)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '-') ch = '_';
    } else {
      auto norm = normalise_dns_name(domain);
      if (!norm || (*norm)[0] == '*') {
        ++failures;
        if (first_error.empty()) first_error = "'" + domain + "' is not a domain name";
        continue;
      }
      label = norm->substr(0, norm->size() - 1);
      query = "%." + label;
    }
    const std::string& bare = label;
    std::set<std::string> names;
    Download d;
    d.source = s.name + "/" + bare;
    d.request.url = base + "?q=" + url_escape(query) + "&output=json" +
                    (s.exclude_expired ? "&exclude=expired" : "");
    d.request.label = d.source;
    d.target = r.path + "/" + bare + ".json";
    d.format = Format::crtsh;
    d.unit = "certificates";
    d.compression = Compression::none;
    d.max_bytes = s.max_bytes;
    d.check = [&](const std::string& path, const std::string& origin) {
      std::ifstream in(path, std::ios::binary);
      return read_crtsh(in, origin, [&](std::string_view n) {
        ++seen_names;
        if (n.rfind("*.", 0) == 0) n.remove_prefix(2);
        auto nn = normalise_dns_name(n);
        if (nn && (*nn)[0] != '*' && ctx.catalogue.match(*nn)) names.insert(*nn);
      });
    };
    Downloaded got = download(ctx, d);
    if (got.status == St::failed) {
      ++failures;
      ctx.log(s.name + ": " + bare + ": " + got.message);
      if (first_error.empty()) first_error = bare + ": " + got.message;
      continue;
    }
    if (got.status == St::not_modified) {
      ++unchanged;
      continue;
    }
    certs += static_cast<int64_t>(got.records);
    std::vector<db::NameRow> rows;
    for (const auto& n : names) {
      db::NameRow row{n, "", "", "ct", ctx.now};
      if (auto m = ctx.catalogue.match(n)) {
        row.provider = m->id;
        row.region = m->region;
      }
      rows.push_back(std::move(row));
    }
    ctx.store.upsert_names(rows);
    kept += static_cast<int64_t>(rows.size());
    ctx.log(s.name + ": " + bare + ": " + std::to_string(got.records) + " certificates, " +
            std::to_string(rows.size()) + " candidate names");
  }
  r.counts = {{"domains", static_cast<int64_t>(domains.size())},
              {"failed", failures},
              {"not_modified", unchanged},
              {"certificates", certs},
              {"names_seen", seen_names},
              {"names", kept}};
  r.message = std::to_string(domains.size()) + " domains, " + std::to_string(certs) +
              " certificates, " + std::to_string(kept) + " candidate names" +
              (unchanged ? ", " + std::to_string(unchanged) + " not modified" : "");
  if (failures > 0) {
    r.status = St::failed;
    r.message = std::to_string(failures) + " of " + std::to_string(domains.size()) +
                " domains failed (first: " + first_error + "); " + r.message;
  } else if (unchanged == static_cast<int64_t>(domains.size()) && !domains.empty()) {
    r.status = St::not_modified;
  }
  return r;
}

}  // namespace iotmap::fetch
