// `iotmap daily` and `iotmap hourly`: the jobs cron runs. Each stage reports what it did; a
// stage that is not built yet is listed as such, and the exit code says the job was partial.
#include <cstdio>

#include "src/commands.h"

namespace iotmap::cli {

int run_daily(Context& ctx, Args& args) {
  auto date = args.option("--date");
  args.positionals();
  const auto& cfg = ctx.config();
  std::fprintf(stderr, "iotmap daily: configuration from");
  for (const auto& f : cfg.loaded_from) std::fprintf(stderr, " %s", f.c_str());
  std::fprintf(stderr, "; database %s\n", ctx.db_path().c_str());
  struct Stage {
    const char* name;
    int (*run)(Context&, Args&);
  };
  const Stage stages[] = {{"resolve", run_resolve}, {"scan", run_scan},
                          {"classify", run_classify}, {"export", run_export},
                          {"report", run_report}};
  int worst = kOk;
  for (const auto& s : stages) {
    Args none({});
    int rc = s.run(ctx, none);
    std::fprintf(stderr, "iotmap daily: stage %-8s -> exit %d\n", s.name, rc);
    if (rc != kOk && worst == kOk) worst = rc;
  }
  (void)date;
  return worst;
}

int run_hourly(Context& ctx, Args& args) { return run_resolve(ctx, args); }

}  // namespace iotmap::cli
