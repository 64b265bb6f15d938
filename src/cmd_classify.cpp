#include "src/commands.h"

namespace iotmap::cli {

int run_classify(Context&, Args&) { return not_built("classify", "classification"); }

}  // namespace iotmap::cli
