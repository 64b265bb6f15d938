#include "src/commands.h"

namespace iotmap::cli {

int run_export(Context&, Args&) { return not_built("export", "export"); }

}  // namespace iotmap::cli
