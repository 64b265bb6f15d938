#include "db/sqlite.h"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <system_error>

namespace iotmap::db {
namespace {

// "INSERT INTO resolutions(hour, ...) VALUES ..." -> "INSERT INTO resolutions": enough to
// recognise the statement in a message without the whole SQL.
std::string label_of(std::string_view sql) {
  std::string out;
  for (char c : sql) {
    if (c == '(' || c == ';') break;
    bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
    if (out.size() >= 80) break;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// True when `path` is on a file system mounted read-only.
bool on_read_only_mount(const std::string& path) {
  struct statvfs fs {};
  return ::statvfs(path.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0;
}

// `path` for a file: URI, with the characters that URIs give a meaning escaped.
std::string uri_path(const std::string& path) {
  std::string out;
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace

Database::Database(std::string path, Options options) : path_(std::move(path)) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool create = options.create && !options.read_only;
  if (!create && !fs::exists(path_, ec)) throw Error(path_ + ": no such database file");
  if (create) {
    fs::path parent = fs::path(path_).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec)
      throw Error(path_ + ": cannot create directory " + parent.string() + ": " + ec.message());
  }
  open(options.read_only ? SQLITE_OPEN_READONLY
                         : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0));
  sqlite3_busy_timeout(db_.get(), options.busy_timeout_ms);
  // The first read of the file happens here: a file that is not SQLite fails on it.
  int tables = 0, version = 0;
  try {
    tables = first_read(version);
  } catch (const Error&) {
    // A WAL database on a read-only mount has no -shm file and cannot get one; nobody can
    // change the file there, so SQLite may read it as immutable.
    if (!options.read_only || !on_read_only_mount(path_)) throw;
    open(SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, "file:" + uri_path(path_) + "?immutable=1");
    tables = first_read(version);
  }
  // An iotmap database has a schema version once it has tables (db/schema.h): tables at
  // version 0 are another program's, which must not be switched to WAL or migrated into.
  if (version == 0 && tables > 0)
    throw Error(path_ + ": an SQLite database, but not an iotmap one (it has " +
                std::to_string(tables) + " tables and no iotmap schema version); left unchanged");
  // Read-only opens change nothing in the file, so they keep its journal mode. Otherwise WAL
  // lets the classifier read while the hourly resolver writes; synchronous=NORMAL is durable
  // across application crashes and only risks the last commits on power loss, which a re-run
  // of the same hour restores (all writes are idempotent).
  if (!options.read_only) exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
  // A 64 MiB page cache (the default is 2 MiB) keeps an hour's batch of resolutions and its
  // indexes in memory until commit instead of spilling pages to the WAL and reading them back.
  exec("PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536");
}

Database::~Database() = default;

void Database::open(int flags, const std::string& name) {
  // SQLite counts every allocation under a global mutex unless told not to, before its first
  // use: 12% of the instructions of an hourly run's inserts (bench/dns/store_cost.sh), for
  // figures iotmap never reads. Later calls are refused by SQLite and change nothing.
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  sqlite3* raw = nullptr;
  // NOMUTEX: a connection is used by one thread at a time (see sqlite.h), so SQLite's own
  // per-call locking would only cost time.
  int rc = sqlite3_open_v2(name.empty() ? path_.c_str() : name.c_str(), &raw,
                           flags | SQLITE_OPEN_NOMUTEX, nullptr);
  db_.reset(raw);  // owned even when the open failed: SQLite hands back a handle to close
  if (rc != SQLITE_OK) throw error("cannot open database");
  sqlite3_extended_result_codes(raw, 1);
}

int Database::first_read(int& version) {
  int tables = 0;
  try {
    // One statement, so one read snapshot: read apart, another process's schema step could
    // commit in between, and its tables would show with the version from before it.
    Statement(*this,
              "SELECT (SELECT user_version FROM pragma_user_version),"
              " (SELECT count(*) FROM sqlite_schema WHERE type = 'table')")
        .each([&](Statement& s) {
          version = static_cast<int>(s.int64(0));
          tables = static_cast<int>(s.int64(1));
        });
  } catch (const Error&) {
    if (sqlite3_extended_errcode(db_.get()) == SQLITE_NOTADB)
      throw Error(path_ + ": cannot open as an SQLite database: " + sqlite3_errmsg(db_.get()));
    throw error("cannot open database");
  }
  return tables;
}

Error Database::error(std::string_view what) const {
  if (!db_) return Error(path_ + ": " + std::string(what) + ": out of memory");
  const int code = sqlite3_extended_errcode(db_.get());
  // A full disk shows as SQLITE_FULL when a page cannot be written, but as a plain "disk I/O
  // error" when the WAL or its -shm file cannot grow: both are said in plain words.
  if ((code & 0xFF) == SQLITE_FULL ||
      ((code & 0xFF) == SQLITE_IOERR && sqlite3_system_errno(db_.get()) == ENOSPC))
    return Error(path_ + ": " + std::string(what) +
                 ": the disk is full (no space left for the database, its WAL or its -shm file)");
  return Error(path_ + ": " + std::string(what) + ": " + sqlite3_errmsg(db_.get()));
}

void Database::exec(std::string_view sql) {
  std::string text(sql);
  if (sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
    throw error(label_of(sql));
}

Statement& Database::cached(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it == cache_.end()) it = cache_.emplace(key, std::make_unique<Statement>(*this, sql)).first;
  Statement& s = *it->second;
  s.reset();
  s.clear_bindings();
  return s;
}

int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_.get()); }

int Database::changes() const { return sqlite3_changes(db_.get()); }

Statement::Statement(const Database& db, std::string_view sql) : db_(&db), label_(label_of(sql)) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  stmt_.reset(raw);
  if (rc != SQLITE_OK) throw db.error("prepare " + label_);
  if (!raw) throw Error(db.path() + ": prepare: empty statement");
}

void Statement::check_bind(int rc, int index) {
  if (rc != SQLITE_OK) throw db_->error(label_ + ": bind parameter " + std::to_string(index));
}

Statement& Statement::bind_int64(int index, int64_t value) {
  check_bind(sqlite3_bind_int64(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind_double(int index, double value) {
  check_bind(sqlite3_bind_double(stmt_.get(), index, value), index);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  check_bind(sqlite3_bind_text64(stmt_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8),
             index);
  return *this;
}

Statement& Statement::bind(int index, Unowned value) {
  check_bind(sqlite3_bind_text64(stmt_.get(), index, value.text.data(), value.text.size(),
                                 SQLITE_STATIC, SQLITE_UTF8),
             index);
  return *this;
}

Statement& Statement::bind(int index, std::span<const uint8_t> blob) {
  // A zero-length blob with a null pointer would bind NULL; an empty blob must stay a blob.
  static const uint8_t kEmpty = 0;
  const void* data = blob.empty() ? &kEmpty : blob.data();
  check_bind(sqlite3_bind_blob64(stmt_.get(), index, data, blob.size(), SQLITE_TRANSIENT), index);
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  check_bind(sqlite3_bind_null(stmt_.get(), index), index);
  return *this;
}

int Statement::parameter_index(std::string_view name) const {
  int index = sqlite3_bind_parameter_index(stmt_.get(), std::string(name).c_str());
  if (index == 0)
    throw Error(db_->path() + ": " + label_ + ": no parameter named " + std::string(name));
  return index;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // Read the message before resetting: reset keeps it, but be explicit about the order.
  Error e = db_->error(label_);
  reset_quietly();
  throw e;
}

void Statement::reset() {
  // sqlite3_reset repeats the error of the last step, which step() already reported.
  sqlite3_reset(stmt_.get());
}

void Statement::reset_quietly() noexcept { sqlite3_reset(stmt_.get()); }

void Statement::clear_bindings() { sqlite3_clear_bindings(stmt_.get()); }

void Statement::run() {
  ResetOnExit guard{this};
  while (step()) {
  }
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_.get(), column); }

double Statement::real(int column) const { return sqlite3_column_double(stmt_.get(), column); }

std::string Statement::text(int column) const {
  const unsigned char* p = sqlite3_column_text(stmt_.get(), column);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column)));
}

std::vector<uint8_t> Statement::blob(int column) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  if (!p) return {};
  return std::vector<uint8_t>(p, p + sqlite3_column_bytes(stmt_.get(), column));
}

std::optional<int64_t> Statement::optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return int64(column);
}

std::optional<double> Statement::optional_real(int column) const {
  if (is_null(column)) return std::nullopt;
  return real(column);
}

Transaction::Transaction(Database& db, std::string_view what) : db_(db), what_(what) {
  db_.cached("BEGIN IMMEDIATE").run();
}

Transaction::~Transaction() {
  if (done_) return;
  // SQLite may already have rolled back by itself (disk full, I/O error); ROLLBACK would then
  // fail with "no transaction is active", which is fine to ignore here.
  if (!sqlite3_get_autocommit(db_.handle()))
    sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  try {
    db_.cached("COMMIT").run();
  } catch (const Error&) {
    throw db_.error("commit " + what_);
  }
  done_ = true;
}

ForeignKeysOff::ForeignKeysOff(Database& db) : db_(db) {
  db_.cached("PRAGMA foreign_keys = OFF").run();
}

ForeignKeysOff::~ForeignKeysOff() {
  // Outside any transaction (the Transaction went first), so this cannot be ignored by SQLite.
  sqlite3_exec(db_.handle(), "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr);
}

}  // namespace iotmap::db
