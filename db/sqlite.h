// A thin RAII layer over the SQLite C API: a connection, prepared statements and transactions.
// Every failure throws db::Error whose message names the database file, the operation and
// SQLite's own words ("iotmap.db: INSERT INTO resolutions: database or disk is full"),
// so that a log line alone says what broke and where.
//
// A Database is used by one thread at a time (the scanner and resolver funnel their writes
// through one writer); open one Database per thread otherwise.
#pragma once

#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/handle.h"

namespace iotmap::db {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Statement;

class Database {
 public:
  struct Options {
    bool create = true;            // false: a missing file is an error instead of a new database
    int busy_timeout_ms = 10'000;  // how long to wait for another process's write lock
    // true: opened read-only, never created, its journal mode left as it is, so that a check
    // works on a read-only mount or a copy someone else owns.
    bool read_only = false;
  };

  // Opens (and with Options::create, creates along with its parent directory) the database and
  // applies the connection settings: WAL journal, busy timeout, foreign keys on,
  // synchronous=NORMAL. A file that is not SQLite fails here, naming the file, and so does an
  // SQLite file of another program (tables but no schema version), which is left unchanged.
  explicit Database(std::string path, Options options);
  explicit Database(std::string path) : Database(std::move(path), Options{}) {}
  ~Database();

  // Statements keep a pointer to their Database, so it must stay where it was created.
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_.get(); }

  // Runs one or more statements that return no rows (schema steps, pragmas that set).
  void exec(std::string_view sql);

  // A statement prepared once per connection and kept for reuse; returned reset, with its
  // bindings cleared. Hot loops should fetch it once outside the loop.
  Statement& cached(std::string_view sql);

  int64_t last_insert_rowid() const;
  int changes() const;  // rows changed by the last INSERT/UPDATE/DELETE

  // The exception for a failed `what`, carrying the file name and sqlite3_errmsg(); a full
  // disk is said in plain words, whichever SQLite error it caused.
  Error error(std::string_view what) const;

 private:
  // Opens `name` (default: the path) with `flags`, replacing any connection held.
  void open(int flags, const std::string& name = "");
  // Reads the schema version and returns the number of tables; names the file when it is not
  // SQLite.
  int first_read(int& version);

  std::string path_;
  // close_v2 rather than close: if a statement somehow outlives us, SQLite defers the close
  // instead of failing it and leaking the connection.
  Handle<sqlite3, sqlite3_close_v2> db_;
  // Declared after db_ so that the statements are finalized before the connection closes.
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
};

// Text bound without a copy: it must stay alive and unchanged until the statement has run.
// For hot loops only (an hourly resolve binds six strings per row); bind() copies.
struct Unowned {
  std::string_view text;
};

// One prepared statement. Parameters are numbered from 1 (or named, ":name"); columns from 0.
class Statement {
 public:
  Statement(const Database& db, std::string_view sql);

  // Integers (including bool), reals, text and blobs; std::nullopt or an empty optional binds
  // NULL. Text is copied, so temporaries are safe to bind.
  template <std::integral T>
  Statement& bind(int index, T value) {
    return bind_int64(index, static_cast<int64_t>(value));
  }
  template <std::floating_point T>
  Statement& bind(int index, T value) {
    return bind_double(index, static_cast<double>(value));
  }
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, Unowned value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, std::span<const uint8_t> blob);
  Statement& bind(int index, const std::vector<uint8_t>& blob) {
    return bind(index, std::span<const uint8_t>(blob));
  }
  Statement& bind(int index, std::nullopt_t);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }
  template <typename T>
  Statement& bind(std::string_view name, const T& value) {
    return bind(parameter_index(name), value);
  }
  // Binds every parameter in order: bind_all(a, b, c) is bind(1, a).bind(2, b).bind(3, c).
  template <typename... T>
  Statement& bind_all(const T&... values) {
    int index = 0;
    (bind(++index, values), ...);
    return *this;
  }

  // Advances to the next row: true when a row is available, false when the statement is done.
  bool step();
  // Makes the statement ready to run again; bindings are kept unless cleared.
  void reset();
  void clear_bindings();
  // Steps to the end (for statements that return no rows) and resets.
  void run();
  // Calls fn(*this) for every row, then resets, also when fn throws.
  template <typename F>
  void each(F&& fn) {
    ResetOnExit guard{this};
    while (step()) fn(*this);
  }

  bool is_null(int column) const;
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::vector<uint8_t> blob(int column) const;
  std::optional<int64_t> optional_int64(int column) const;
  std::optional<double> optional_real(int column) const;

  // A short name of the statement for error messages: its SQL up to the first '(' or newline.
  const std::string& label() const { return label_; }

 private:
  struct ResetOnExit {
    Statement* s;
    ~ResetOnExit() { s->reset_quietly(); }
  };
  Statement& bind_int64(int index, int64_t value);
  Statement& bind_double(int index, double value);
  int parameter_index(std::string_view name) const;
  void check_bind(int rc, int index);
  void reset_quietly() noexcept;

  const Database* db_;
  std::string label_;
  Handle<sqlite3_stmt, sqlite3_finalize> stmt_;
};

// BEGIN IMMEDIATE ... COMMIT. Rolls back in the destructor unless commit() succeeded, so an
// exception half-way through a batch leaves nothing of it behind. IMMEDIATE takes the write
// lock at the start, waiting up to the busy timeout, so that two writers never deadlock on
// upgrading a read lock.
class Transaction {
 public:
  // `what` names the work in a failed COMMIT's message ("iotmap.db: commit add_resolutions: ...").
  Transaction(Database& db, std::string_view what);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit();

 private:
  Database& db_;
  std::string what_;
  bool done_ = false;
};

// Foreign keys off while it lives, for a write path that checks its references itself (once a
// batch instead of once a row). Made before the Transaction and gone after it: SQLite ignores
// the pragma inside a transaction.
class ForeignKeysOff {
 public:
  explicit ForeignKeysOff(Database& db);
  ~ForeignKeysOff();
  ForeignKeysOff(const ForeignKeysOff&) = delete;
  ForeignKeysOff& operator=(const ForeignKeysOff&) = delete;

 private:
  Database& db_;
};

}  // namespace iotmap::db
