// Which stored resolutions are final for their hour. Shared by the store, which replaces a row
// that is not, and by `iotmap resolve`, which asks its job again.
#pragma once

#include <algorithm>
#include <array>
#include <string_view>

namespace iotmap::db {

// Statuses of a resolution that got no reply: every try timed out, the resolver's socket failed,
// or no resolver of the vantage point was left to ask. Such a row is not the hour's final one:
// the next run of the hour asks again, and its row replaces this one (docs/resolver.md).
inline constexpr std::array<std::string_view, 3> kUnansweredStatuses = {"TIMEOUT", "NETWORK_ERROR",
                                                                        "NO_RESOLVER"};

inline bool resolution_unanswered(std::string_view status) {
  return std::find(kUnansweredStatuses.begin(), kUnansweredStatuses.end(), status) !=
         kUnansweredStatuses.end();
}

}  // namespace iotmap::db
