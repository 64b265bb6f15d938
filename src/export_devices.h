// `iotmap export devices --date D [--format csv|jsonl] [--output FILE]`: the day's device
// certificates (docs/certificates.md, Device certificates), one line per address, port and leaf.
// Call from run_export once the word "devices" has been taken from `args`.
#pragma once

#include "src/cli.h"

namespace iotmap::cli {

int export_devices(Context& ctx, Args& args);

}  // namespace iotmap::cli
