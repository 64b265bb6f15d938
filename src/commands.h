// One entry point per command; each is defined in src/cmd_<name>.cpp.
#pragma once

#include "src/cli.h"

namespace iotmap::cli {

int run_providers(Context&, Args&);
int run_match(Context&, Args&);
int run_resolve(Context&, Args&);
int run_scan(Context&, Args&);
int run_classify(Context&, Args&);
int run_export(Context&, Args&);
int run_report(Context&, Args&);
int run_daily(Context&, Args&);
int run_hourly(Context&, Args&);
int run_merge(Context&, Args&);
int run_fetch(Context&, Args&);
int run_db(Context&, Args&);
int run_optout(Context&, Args&);
int run_config(Context&, Args&);
int run_info_page(Context&, Args&);
int run_detect(Context&, Args&);
int run_import(Context&, Args&);

}  // namespace iotmap::cli
