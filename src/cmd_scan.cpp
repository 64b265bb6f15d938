#include "src/commands.h"

namespace iotmap::cli {

int run_scan(Context&, Args&) { return not_built("scan", "scanning"); }

}  // namespace iotmap::cli
