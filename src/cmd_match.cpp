// iotmap match [NAME...]: the provider (or device service) and region of each name, from the
// arguments or from stdin, one name per line. Matching itself is config::Catalogue::match.
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "config/catalogue.h"
#include "lib/dns_name.h"
#include "lib/text.h"
#include "src/commands.h"

namespace iotmap::cli {
int run_match(Context& ctx, Args& args) {
  auto names = args.positionals();
  auto catalogue = config::Catalogue::load(ctx.config());
  size_t bad = 0;
  std::string out;
  auto one = [&](std::string_view raw, const char* input, size_t line) {
    std::string_view name = trim(raw);
    std::string why;
    if (!normalise_dns_name(name, &why)) {
      std::fprintf(stderr, "%s:%zu: not a domain name (%s): \"%s\"\n", input, line, why.c_str(),
                   shown(name, 80).c_str());
      ++bad;
      return;
    }
    auto m = catalogue.match(name);
    if (!m) return;
    out.assign(name);
    out += '\t';
    out += m->id;
    out += '\t';
    if (m->kind == config::Match::Kind::device)
      out += m->primary ? "primary" : "support";
    else
      out += m->region;
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  };

  if (!names.empty()) {
    for (size_t i = 0; i < names.size(); ++i) one(names[i], "<args>", i + 1);
  } else {
    std::ios::sync_with_stdio(false);
    std::string line;
    size_t n = 0;
    while (std::getline(std::cin, line)) one(line, "<stdin>", ++n);
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "iotmap match: cannot write the output\n");
    return kFailure;
  }
  if (bad > 0) {
    std::fprintf(stderr, "iotmap match: %zu input line%s skipped\n", bad, bad == 1 ? "" : "s");
    return kPartial;
  }
  return kOk;
}

}  // namespace iotmap::cli
