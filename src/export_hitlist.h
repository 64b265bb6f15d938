// `iotmap export hitlist --date D [--format csv|jsonl|rules] [--include-shared] [--output FILE]`:
// the date's hitlist as `iotmap classify` stored it. Call from run_export once the word
// "hitlist" has been taken from `args`.
#pragma once

#include "src/cli.h"

namespace iotmap::cli {

int export_hitlist(Context& ctx, Args& args);

}  // namespace iotmap::cli
