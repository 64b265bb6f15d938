#include "src/commands.h"

namespace iotmap::cli {

int run_merge(Context&, Args&) { return not_built("merge", "merging databases"); }

}  // namespace iotmap::cli
