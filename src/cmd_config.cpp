// `iotmap config`: shows what a run would use, after the user's file is applied, so that an
// operator can check a configuration before cron runs it.
#include <cstdio>

#include "config/catalogue.h"
#include "config/config_toml.h"
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
  // The merged configuration as a file --config reads back: the same run, on any day.
  auto effective = c;
  effective.db_path = ctx.db_path();
  std::printf("# iotmap config: the effective configuration; loaded from:");
  for (const auto& f : c.loaded_from) std::printf(" %s", f.c_str());
  std::printf("\n");
  for (const auto& vp : c.vantage_points) {
    if (vp.resolv_conf.empty()) continue;
    std::printf("# vantage point %s asks, from %s today:", vp.name.c_str(), vp.resolv_conf.c_str());
    for (const auto& r : vp.resolvers) std::printf(" %s", r.str().c_str());
    std::printf("\n");
  }
  std::printf("%s", config::to_toml(effective).c_str());
  return kOk;
}

}  // namespace iotmap::cli
