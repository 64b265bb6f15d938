#include "fetch/crawler.h"

#include <re2/re2.h>
#include <sys/stat.h>

#include <memory>

#include "fetch/decode.h"
#include "fetch/sha256.h"
#include "lib/atomic_file.h"

namespace iotmap::fetch {
namespace {

// Decompresses into the temporary file, hashing and counting what it writes.
class FileSink : public Sink {
 public:
  FileSink(TempFile& f, Compression c, uint64_t cap) : f_(f), c_(c), cap_(cap) {}
  void reset() override {
    f_.truncate();
    hash_ = std::make_unique<Sha256>();
    dec_ = make_decoder(c_, [this](const char* d, size_t n) {
      if (f_.size() + n > cap_)
        throw std::runtime_error("the decompressed body is larger than the size cap of " +
                                 std::to_string(cap_) + " bytes");
      hash_->add(d, n);
      f_.write(d, n);
    });
  }
  void write(const char* d, size_t n) override { dec_->write(d, n); }
  void finish() { dec_->finish(); }
  std::string sha256() { return hash_->hex(); }

 private:
  TempFile& f_;
  Compression c_;
  uint64_t cap_;
  std::unique_ptr<Sha256> hash_;
  std::unique_ptr<Decoder> dec_;
};

}  // namespace

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::optional<Secret> api_key(const Source& s, Context& ctx, SourceResult& r) {
  std::string why;
  auto key = Secret::load(s.key_env, s.key_file, &why);
  if (!key) {
    r.status = SourceResult::Status::skipped;
    r.message = why;
    return std::nullopt;
  }
  ctx.redact.add(*key);
  return key;
}

std::string api_base(const Source& s) {
  std::string b = s.url;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b;
}

SourceResult fail_source(SourceResult r, const Source& s, Context& ctx, const std::string& url,
                         const std::string& msg) {
  r.status = SourceResult::Status::failed;
  r.message = ctx.redact(msg) + (file_exists(r.path) ? "; kept the previous copy" : "");
  ctx.store.add_fetch({s.name, url, ctx.now, "failed", "", "", "", 0, r.path});
  return r;
}

const char* status_name(SourceResult::Status s) {
  switch (s) {
    case SourceResult::Status::ok:
      return "ok";
    case SourceResult::Status::not_modified:
      return "not_modified";
    case SourceResult::Status::failed:
      return "failed";
    case SourceResult::Status::skipped:
      return "skipped";
  }
  return "?";
}

namespace {

// The last fetch of the same source, URL and file, when the file is still there: its
// validators make the request conditional.
std::optional<db::FetchRow> conditional_on(Context& ctx, const Download& d, Request& req) {
  if (!d.conditional) return std::nullopt;
  auto prev = ctx.store.latest_fetch(d.source);
  if (prev && prev->path == d.target && prev->url == d.request.url && file_exists(d.target)) {
    req.etag = prev->etag;
    req.last_modified = prev->last_modified;
  }
  return prev;
}

// A 304: the previous copy stands, recorded as fetched again now.
Downloaded not_modified(Context& ctx, const Download& d, db::FetchRow prev) {
  Downloaded out;
  out.status = SourceResult::Status::not_modified;
  out.bytes = static_cast<uint64_t>(prev.bytes);
  out.sha256 = prev.sha256;
  out.message = "not modified since the last fetch";
  prev.url = d.request.url;
  prev.fetched_at = ctx.now;
  prev.status = "not_modified";
  ctx.store.add_fetch(prev);
  return out;
}

// The body, finished and checked; "" when it parses, else why not.
std::string finish_body(const Download& d, FileSink& sink, TempFile& tmp, FormatCheck& check) {
  try {
    sink.finish();
    tmp.flush();
  } catch (const std::exception& e) {
    return d.request.url + ": " + e.what();
  }
  check = d.check ? d.check(tmp.path(), d.request.url)
                  : check_file(d.format, tmp.path(), d.request.url);
  if (check.ok()) return "";
  return "the body does not parse" +
         (d.check ? std::string() : " as " + std::string(format_name(d.format))) + ": " +
         check.error;
}

}  // namespace

Downloaded download(Context& ctx, const Download& d) {
  Downloaded out;
  db::FetchRow row;
  row.source = d.source;
  row.url = d.request.url;
  row.fetched_at = ctx.now;
  row.path = d.target;
  auto fail = [&](const std::string& why) {
    out.status = SourceResult::Status::failed;
    out.message = ctx.redact(why + (file_exists(d.target) ? "; kept the previous copy" : ""));
    row.status = "failed";
    ctx.store.add_fetch(row);
    return out;
  };

  Request req = d.request;
  const std::optional<db::FetchRow> prev = conditional_on(ctx, d, req);
  if (req.label.empty()) req.label = d.source;
  uint64_t cap = d.max_bytes != 0 ? d.max_bytes : ctx.http.settings().max_bytes;
  std::optional<TempFile> tmp;
  try {
    tmp.emplace(d.target);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  FileSink sink(*tmp, d.compression, cap);
  req.max_bytes = req.max_bytes != 0 ? req.max_bytes : cap;
  Response resp = ctx.http.perform(req, sink);
  if (resp.not_modified() && prev) return not_modified(ctx, d, *prev);
  if (!resp.ok()) {
    if (resp.error.empty()) resp.error = "unexpected HTTP " + std::to_string(resp.status);
    return fail(d.request.url + ": " + resp.error);
  }
  FormatCheck check;
  if (std::string why = finish_body(d, sink, *tmp, check); !why.empty()) return fail(why);
  out.sha256 = sink.sha256();
  out.bytes = tmp->size();
  out.records = check.records;
  try {
    tmp->commit();
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  row.status = "ok";
  row.etag = resp.etag;
  row.last_modified = resp.last_modified;
  row.sha256 = out.sha256;
  row.bytes = static_cast<int64_t>(out.bytes);
  ctx.store.add_fetch(row);
  out.message = std::to_string(out.bytes) + " bytes, " + std::to_string(out.records) + " " +
                d.unit + (check.note.empty() ? "" : ", " + check.note) + ", sha256 " +
                out.sha256.substr(0, 16) + "...";
  return out;
}

std::string pick_latest(const std::string& index_url, const std::string& text,
                        const std::string& pick, std::string* error) {
  RE2 re(pick);
  if (!re.ok() || re.NumberOfCapturingGroups() < 1) {
    if (error) *error = "pick is not an RE2 pattern with a group";
    return "";
  }
  re2::StringPiece in(text);
  std::string m, best;
  while (RE2::FindAndConsume(&in, re, &m)) {
    if (m > best) best = m;
    if (in.empty()) break;
  }
  if (best.empty()) {
    if (error) *error = "no release matching " + pick + " in the index " + index_url;
    return "";
  }
  std::string url = resolve_url(index_url, best);
  if (url.empty() && error) *error = "cannot resolve " + best + " against " + index_url;
  return url;
}

SourceResult run_file_source(const Source& s, Context& ctx) {
  SourceResult r;
  r.path = ctx.data_dir + "/" + s.file;
  std::string url = s.url;
  if (!s.index.empty()) {
    StringSink page;
    Request req;
    req.url = s.index;
    req.max_bytes = 64u << 20;
    req.label = s.name + " index";
    Response resp = ctx.http.perform(req, page);
    std::string why;
    if (!resp.ok())
      why = s.index + ": " +
            (resp.error.empty() ? "HTTP " + std::to_string(resp.status) : resp.error);
    else
      url = pick_latest(s.index, page.text, s.pick, &why);
    if (url.empty())
      return fail_source(r, s, ctx, s.index, "cannot find the current release: " + why);
  }
  Download d;
  d.source = s.name;
  d.request.url = url;
  d.target = r.path;
  d.format = s.format;
  d.compression = s.compression;
  d.max_bytes = s.max_bytes;
  Downloaded got = download(ctx, d);
  r.status = got.status;
  r.message = got.message;
  if (got.status != SourceResult::Status::failed) r.message += " -> " + r.path;
  if (got.status == SourceResult::Status::ok) {
    r.counts["bytes"] = static_cast<int64_t>(got.bytes);
    r.counts["records"] = static_cast<int64_t>(got.records);
  }
  return r;
}

SourceResult run_source(const Source& s, Context& ctx) {
  switch (s.kind) {
    case Kind::file:
      return run_file_source(s, ctx);
    case Kind::dnsdb:
      return run_dnsdb(s, ctx);
    case Kind::crtsh:
      return run_crtsh(s, ctx);
    case Kind::atlas:
      return run_atlas(s, ctx);
  }
  return {};
}

}  // namespace iotmap::fetch
