#include "src/commands.h"

namespace iotmap::cli {

int run_match(Context&, Args&) { return not_built("match", "name matching"); }

}  // namespace iotmap::cli
