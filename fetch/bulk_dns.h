// Bulk forward-DNS data sets researchers already have, read as DNS records for the address
// evidence (resolver/address_evidence.h): Rapid7 Sonar FDNS (JSON lines
// {"timestamp":"1597190444","name":"x","type":"a","value":"192.0.2.1"}), zdns output
// ({"name":"x","status":"NOERROR","timestamp":"2020-08-12T00:00:00Z","data":{"answers":
// [{"type":"A","name":"x","answer":"192.0.2.1"}]}}) and massdns -o J output (the same with
// "data" instead of "answer"). Files are gzip, xz or plain (the first bytes tell), streamed in
// pieces: a file of any size never sits in memory.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/address_evidence.h"
#include "resolver/pdns.h"

namespace iotmap::fetch {

// One line: its A, AAAA and CNAME records (other types and non-NOERROR answers give none).
// `default_time` stands for a missing or unreadable timestamp (massdns has none). Returns
// false with `error` set for a line that is not one of the three formats.
bool parse_bulk_line(std::string_view line, int64_t default_time,
                     std::vector<resolver::PdnsRecord>& out, std::string& error);

struct BulkStats {
  uint64_t lines = 0;
  uint64_t records = 0;  // A/AAAA/CNAME records inside the window
  uint64_t malformed = 0;
  std::vector<std::string> errors;  // "FILE:LINE: reason", the first kMaxErrors
  static constexpr size_t kMaxErrors = 20;
};

// Reads `path` once, handing every record of [from, to) to `fn`. Throws std::runtime_error
// when the file cannot be read or its compression is corrupt.
BulkStats read_bulk(const std::string& path, int64_t default_time, int64_t from, int64_t to,
                    const std::function<void(const resolver::PdnsRecord&)>& fn);

// A RecordReader that reads the file again at each pass; `stats` holds the last pass's.
resolver::RecordReader bulk_reader(const std::string& path, int64_t default_time, int64_t from,
                                   int64_t to, BulkStats& stats);

}  // namespace iotmap::fetch
