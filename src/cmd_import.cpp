// `iotmap import certs --format zgrab2|censys|sonar [--port P] [--date D] FILE...|-`: certificate
// scan data sets into the store (src/import_certs.h), one import run per file, each file
// recorded by the digest of its bytes so that a rerun does not import it twice.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "config/catalogue.h"
#include "fetch/lines.h"
#include "fetch/sha256.h"
#include "lib/clock.h"
#include "lib/text.h"
#include "src/commands.h"
#include "src/import_certs.h"

namespace iotmap::cli {
namespace {

namespace ds = certs::dataset;

struct Options {
  std::string format;
  ImportDefaults defaults;
  std::vector<std::string> files;
};

std::string summary(const std::map<std::string, int64_t>& c) {
  auto n = [&](const char* k) {
    auto it = c.find(k);
    return std::to_string(it == c.end() ? 0 : it->second);
  };
  return n("lines") + " lines, " + n("records") + " records, " + n("malformed") + " malformed, " +
         n("certificates") + " new certificates (" + n("unparsable_certificates") +
         " unparsable), " + n("provider_records") + " provider records (" +
         n("provider_records_valid") + " valid on their day), " + n("device_records") +
         " device records, " + n("unknown_certificate") + " with an unknown certificate; " +
         n("observations") + " observations stored";
}

// An earlier import of the same bytes that kept records (a file of certificates only is read
// again: later files name its certificates).
std::optional<db::CertImportRow> imported_before(db::Store& store, const std::string& sha256,
                                                 const std::string& format) {
  auto row = store.cert_import(sha256, format);
  if (row && row->counts.count("records") != 0 && row->counts.at("records") > 0) return row;
  return std::nullopt;
}

enum class FileResult { kOk, kPartial, kFailed, kSkipped };

FileResult import_file(db::Store& store, Context& ctx, CertImport& importer, const Options& o,
                       const std::string& file) {
  const bool from_stdin = file == "-";
  const std::string name = from_stdin ? "stdin" : file;
  if (!from_stdin) {
    if (auto before = imported_before(store, fetch::sha256_file(file), o.format)) {
      std::fprintf(stderr, "iotmap import: %s: already imported by run #%lld (%s); skipped\n",
                   shown(file, 200).c_str(), static_cast<long long>(before->run_id.value_or(0)),
                   before->path.c_str());
      return FileResult::kSkipped;
    }
  }
  db::RunInfo info;
  info.kind = "import";
  info.covers = o.format;
  info.config = "format=" + o.format + " file=" + file;
  const int64_t run = store.begin_run(info);
  ctx.track_run(ctx.db_path(), run);
  ImportDefaults d = o.defaults;
  if (o.format == "sonar") {
    auto hints = ds::sonar_file_hints(file);
    if (d.port == 0) d.port = hints.port;
    if (d.time == 0) d.time = hints.time;
  }
  importer.begin_file(name, run, d);
  fetch::LineStream stream;
  try {
    std::ifstream in;
    if (!from_stdin) in.open(file, std::ios::binary);
    if (!from_stdin && !in) throw std::runtime_error(file + ": cannot read");
    stream =
        fetch::for_each_line(from_stdin ? std::cin : in, name,
                             [&](std::string_view line, uint64_t n) { importer.line(line, n); });
  } catch (const std::exception& e) {
    // A file cut short: its rows go, so that importing it again once whole adds each once.
    importer.end_file();
    store.remove_run_observations(run);
    store.finish_run(run, "failed", {}, e.what());
    std::fprintf(stderr, "iotmap import: %s; nothing kept from it\n", shown(e.what(), 300).c_str());
    return FileResult::kFailed;
  }
  auto counts = importer.end_file();
  if (from_stdin) {
    if (auto before = imported_before(store, stream.sha256, o.format)) {
      int64_t removed = store.remove_run_observations(run);
      counts["duplicate_rows_removed"] = removed;
      store.finish_run(run, "ok", counts,
                       "already imported by run #" + std::to_string(before->run_id.value_or(0)));
      std::fprintf(stderr, "iotmap import: stdin: already imported by run #%lld; skipped\n",
                   static_cast<long long>(before->run_id.value_or(0)));
      return FileResult::kSkipped;
    }
  }
  store.record_cert_import({stream.sha256, o.format, file, static_cast<int64_t>(stream.bytes),
                            clock_now(), counts, run});
  const bool partial = counts.count("malformed") != 0;
  for (const auto& e : importer.errors())
    std::fprintf(stderr, "iotmap import: %s; skipped\n", shown(e, 300).c_str());
  if (partial && counts["malformed"] > static_cast<int64_t>(importer.errors().size()))
    std::fprintf(stderr, "iotmap import: %s: ... and %lld more malformed lines\n", name.c_str(),
                 static_cast<long long>(counts["malformed"] - importer.errors().size()));
  std::string text = summary(counts);
  store.finish_run(run, partial ? "partial" : "ok", counts, text);
  std::fprintf(stderr, "iotmap import: %s: run #%lld: %s\n", shown(name, 200).c_str(),
               static_cast<long long>(run), text.c_str());
  return partial ? FileResult::kPartial : FileResult::kOk;
}

}  // namespace

int run_import(Context& ctx, Args& args) {
  if (!args.flag("certs")) {
    auto rest = args.positionals();
    throw UsageError(rest.empty() ? "expected: import certs" : "unknown import '" + rest[0] + "'");
  }
  Options o;
  o.format = args.option("--format").value_or("");
  if (ds::parser(o.format) == nullptr)
    throw UsageError("--format: zgrab2, censys or sonar, not '" + o.format + "'");
  if (auto p = args.option("--port")) o.defaults.port = whole_option<int>("--port", *p, 1, 65535);
  if (auto d = args.option("--date")) o.defaults.time = int64_t{date_option("--date", *d)} * 86400;
  o.files = args.positionals();
  if (o.files.empty()) throw UsageError("no FILE (- reads stdin)");
  int stdin_count = 0;
  for (const auto& f : o.files) {
    struct stat st {};
    if (f == "-") {
      ++stdin_count;
    } else if (::stat(f.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      throw UsageError(f + ": no such file");
    }
  }
  if (stdin_count > 1) throw UsageError("- (stdin) can be read once");
  const auto& cfg = ctx.config();
  auto catalogue = config::Catalogue::load(cfg);
  db::Store store(ctx.db_path());
  CertImport importer(store, certs::catalogue_matcher(catalogue), ds::parser(o.format));
  bool failed = false, partial = false;
  for (const auto& f : o.files) {
    auto r = import_file(store, ctx, importer, o, f);
    failed = failed || r == FileResult::kFailed;
    partial = partial || r == FileResult::kPartial;
  }
  return failed ? kFailure : partial ? kPartial : kOk;
}

}  // namespace iotmap::cli
