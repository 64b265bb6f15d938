#include "src/commands.h"

namespace iotmap::cli {

int run_fetch(Context&, Args&) { return not_built("fetch", "fetching data sources"); }

}  // namespace iotmap::cli
