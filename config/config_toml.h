// A configuration written back as TOML in the file format config/default.toml documents, so
// that `iotmap config` output can be saved and given to --config: loading it gives the same
// configuration again (tests/cli/config_print_test.sh).
#pragma once

#include <string>

#include "config/config.h"

namespace iotmap::config {

// Every key of every section, the defaults included; paths as loaded (absolute when the
// file gave them relative). A vantage point read from resolv.conf keeps `resolv_conf`, so
// the saved file still follows the host's resolvers.
std::string to_toml(const Config& c);

}  // namespace iotmap::config
