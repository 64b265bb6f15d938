#include "src/commands.h"

namespace iotmap::cli {

int run_providers(Context&, Args&) { return not_built("providers", "the provider list"); }

}  // namespace iotmap::cli
