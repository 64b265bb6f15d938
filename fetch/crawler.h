// Running the sources: one function per kind of source, all sharing the download step that
// makes a good crawler (conditional request, retries, size cap, decompression, a check that the
// body parses, atomic replacement, and a row in the database's fetches table).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "config/catalogue.h"
#include "db/store.h"
#include "fetch/formats.h"
#include "fetch/http.h"
#include "fetch/secret.h"
#include "fetch/sources.h"

namespace iotmap::fetch {

// What every source's run needs.
struct Context {
  const FetchSettings& settings;
  std::string data_dir;
  HttpClient& http;
  db::Store& store;
  const config::Catalogue& catalogue;
  Redactor& redact;
  std::function<void(const std::string&)> log;  // one line, already redacted by the caller
  int64_t now = 0;
  std::optional<int64_t> run_id;
};

struct SourceResult {
  enum class Status { ok, not_modified, failed, skipped } status = Status::ok;
  std::string message;  // one line: what was stored, or why it failed
  std::string path;     // the file or directory under data_dir
  std::map<std::string, int64_t> counts;
};
const char* status_name(SourceResult::Status s);

// One download into a file, as every source does it.
struct Download {
  std::string source;  // the key of the fetches table ("pfx2as-v4", "crtsh/azure-devices.net")
  Request request;     // URL, headers, key
  std::string target;  // final path
  Format format = Format::pfx2as;
  Compression compression = Compression::sniff;
  uint64_t max_bytes = 0;        // decompressed; 0: the settings' cap
  bool conditional = true;       // send the previous ETag / Last-Modified when the file is there
  std::string unit = "records";  // what check's records are, for the message
  // Replaces the format check (e.g. to also collect names while checking).
  std::function<FormatCheck(const std::string& path, const std::string& origin)> check;
};

struct Downloaded {
  SourceResult::Status status = SourceResult::Status::ok;
  std::string message;
  uint64_t bytes = 0;
  uint64_t records = 0;
  std::string sha256;
};

Downloaded download(Context& ctx, const Download& d);

bool file_exists(const std::string& path);  // a regular file

// For the API sources: the key (now known to the redactor), or nullopt with `r` marked
// skipped and the reason in its message.
std::optional<Secret> api_key(const Source& s, Context& ctx, SourceResult& r);
// The source's URL without trailing slashes.
std::string api_base(const Source& s);
// Marks `r` failed with `msg` (redacted; "kept the previous copy" when r.path is a file) and
// records the failure of `url` in the fetches table.
SourceResult fail_source(SourceResult r, const Source& s, Context& ctx, const std::string& url,
                         const std::string& msg);

// The URL of the latest release listed in an index: the greatest first-group match of `pick`,
// resolved against the index URL. Sets *error and returns "" when there is none.
std::string pick_latest(const std::string& index_url, const std::string& index_text,
                        const std::string& pick, std::string* error);

// A catalogue pattern (RE2, matched against the whole name) as the anchored POSIX extended
// regex DNSDB's flexible search takes: named and non-capturing groups become plain groups,
// \d becomes [0-9].
std::string dnsdb_regex(std::string_view re2_pattern);

SourceResult run_file_source(const Source& s, Context& ctx);
SourceResult run_dnsdb(const Source& s, Context& ctx);
SourceResult run_crtsh(const Source& s, Context& ctx);
SourceResult run_atlas(const Source& s, Context& ctx);
SourceResult run_source(const Source& s, Context& ctx);

}  // namespace iotmap::fetch
