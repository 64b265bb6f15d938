#include "src/commands.h"

namespace iotmap::cli {

int run_optout(Context&, Args&) { return not_built("optout", "the opt-out list"); }

}  // namespace iotmap::cli
