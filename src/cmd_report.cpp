#include "src/commands.h"

namespace iotmap::cli {

int run_report(Context&, Args&) { return not_built("report", "the footprint report"); }

}  // namespace iotmap::cli
