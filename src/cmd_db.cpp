#include "src/commands.h"

namespace iotmap::cli {

int run_db(Context&, Args&) { return not_built("db", "database maintenance"); }

}  // namespace iotmap::cli
