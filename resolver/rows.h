// From the engine's plain results to the store's rows, and the hour a resolution is filed
// under. Kept apart from the engine so that the engine stays free of the database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "db/rows.h"
#include "resolver/result.h"

namespace iotmap::resolver {

// Start of the UTC hour that holds `unix_seconds`.
int64_t hour_start(int64_t unix_seconds);
// "2026-11-21T23" for the hour starting at `hour`.
std::string hour_label(int64_t hour);

// The status column: NOERROR (answers), NODATA, NXDOMAIN, SERVFAIL, REFUSED, the rcode's name
// for other rcodes (FORMERR, ...), TIMEOUT, MALFORMED, NETWORK_ERROR, CNAME_LOOP,
// CNAME_TOO_LONG, INVALID_NAME, NO_RESOLVER.
std::string status_label(const Result& r);

// Names in the row are in the store's form (trailing dot), so the store need not copy them.
db::ResolutionRow to_row(const Result& r, int64_t hour, std::optional<int64_t> run_id);
// to_row into an existing row, reusing its buffers (the resolve command's batch).
void fill_row(const Result& r, int64_t hour, std::optional<int64_t> run_id, db::ResolutionRow& row);

}  // namespace iotmap::resolver
