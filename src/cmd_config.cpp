// `iotmap config`: shows what a run would use, after the user's file is applied, so that an
// operator can check a configuration before cron runs it.
#include <cstdio>

#include "config/catalogue.h"
#include "ethics/policy.h"
#include "src/commands.h"

namespace iotmap::cli {

int run_config(Context& ctx, Args& args) {
  bool check_only = args.flag("--check");
  args.positionals();
  const auto& c = ctx.config();
  // resolve, scan, classify and report read the catalogue: a check that skipped it would pass
  // a configuration that fails at the first real run.
  config::Catalogue::load(c);
  if (check_only) {
    // The ethics files and contact too: a scan from cron would refuse on them.
    auto problems = ethics::configured_problems(c);
    for (const auto& p : problems) std::fprintf(stderr, "iotmap config: %s\n", p.c_str());
    if (!problems.empty()) return kConfig;
    std::printf("configuration ok\n");
    return kOk;
  }
  std::printf("loaded from:");
  for (const auto& f : c.loaded_from) std::printf(" %s", f.c_str());
  std::printf("\ndatabase: %s\n", ctx.db_path().c_str());
  for (const auto& vp : c.vantage_points) {
    std::printf("vantage point %s (%s):", vp.name.c_str(), vp.location.c_str());
    for (const auto& r : vp.resolvers) std::printf(" %s", r.str().c_str());
    if (vp.client_subnet) std::printf(" ecs=%s", vp.client_subnet->str().c_str());
    std::printf("\n");
  }
  std::printf("scan: rate %.2f/s, %d in flight, timeout %d ms, blocklist '%s', contact '%s'\n",
              c.scan.rate, c.scan.max_in_flight, c.scan.timeout_ms, c.ethics.blocklist_file.c_str(),
              c.ethics.contact.c_str());
  return kOk;
}

}  // namespace iotmap::cli
