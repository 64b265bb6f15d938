#include "src/commands.h"

namespace iotmap::cli {

int run_resolve(Context&, Args&) { return not_built("resolve", "resolution"); }

}  // namespace iotmap::cli
