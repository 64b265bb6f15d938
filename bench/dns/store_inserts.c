/* The SQLite work of one hourly resolve, without iotmap around it: N resolutions rows, each
 * with one answer, inserted the way db/store_dns.cpp inserts them (the same statements, 1,000
 * rows per transaction, the connection opened as db/sqlite.cpp opens it), into a database that
 * `iotmap db migrate` made. A variant switches one cost off (or, bit 2, back on), so valgrind's
 * instruction count shows what each costs (bench/README.md).
 *   store_inserts DB N VARIANT   VARIANT bits: 1 no foreign keys, 2 SQLite's default locking
 *                                and allocation counting (what db/sqlite.cpp turns off),
 *                                4 no answers ip index, 8 no resolutions_name index,
 *                                16 bound text not copied (SQLITE_STATIC) */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

static void must(sqlite3* db, int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE) return;
  fprintf(stderr, "store_inserts: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static void exec(sqlite3* db, const char* sql) { must(db, sqlite3_exec(db, sql, 0, 0, 0), sql); }

static void insert_row(sqlite3* db, sqlite3_stmt* s, sqlite3_stmt* a, int i, sqlite3_int64 run,
                       sqlite3_destructor_type text) {
  char ip[32];
  sqlite3_bind_int64(s, 1, 1765033200);
  sqlite3_bind_int64(s, 2, i + 1);
  sqlite3_bind_text(s, 3, "A", -1, text);
  sqlite3_bind_int64(s, 4, 1);
  sqlite3_bind_text(s, 5, "NOERROR", -1, text);
  sqlite3_bind_int(s, 6, 0);
  sqlite3_bind_text(s, 7, "[]", -1, text);
  sqlite3_bind_int(s, 8, 3600);
  sqlite3_bind_text(s, 9, "127.0.1.53:53", -1, text);
  sqlite3_bind_double(s, 10, 0.3);
  sqlite3_bind_int64(s, 11, 1765033300);
  sqlite3_bind_int64(s, 12, run);
  sqlite3_bind_text(s, 13, "", -1, text);
  sqlite3_bind_null(s, 14);
  sqlite3_bind_text(s, 15, "[]", -1, text);
  sqlite3_bind_text(s, 16, "", -1, text);
  must(db, sqlite3_step(s), "insert resolution");
  sqlite3_reset(s);
  snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
  sqlite3_bind_int64(a, 1, sqlite3_last_insert_rowid(db));
  sqlite3_bind_text(a, 2, ip, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(a, 3, 3600);
  must(db, sqlite3_step(a), "insert answer");
  sqlite3_reset(a);
}

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: store_inserts DB N VARIANT\n");
    return 2;
  }
  int n = atoi(argv[2]), v = atoi(argv[3]);
  sqlite3* db = NULL;
  if (!(v & 2)) sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  must(db,
       sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE | (v & 2 ? 0 : SQLITE_OPEN_NOMUTEX), 0),
       argv[1]);
  exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536");
  if (!(v & 1)) exec(db, "PRAGMA foreign_keys = ON");
  if (v & 4) exec(db, "DROP INDEX resolution_answers_ip");
  if (v & 8) exec(db, "DROP INDEX resolutions_name");
  exec(db, "INSERT INTO runs(kind, started_at) VALUES ('resolve', 0)");
  sqlite3_int64 run = sqlite3_last_insert_rowid(db);
  sqlite3_stmt *s, *a;
  must(
      db,
      sqlite3_prepare_v2(db,
                         "INSERT INTO resolutions(hour, name_id, qtype, vantage_id, status, rcode, "
                         "cname_chain, min_ttl, resolver, rtt_ms, resolved_at, run_id, ecs, "
                         "ecs_scope, cname_ttls, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                         "?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                         -1, &s, 0),
      "prepare");
  must(db,
       sqlite3_prepare_v2(db,
                          "INSERT INTO resolution_answers(resolution_id, ip, ttl) VALUES (?, ?, ?) "
                          "ON CONFLICT DO NOTHING",
                          -1, &a, 0),
       "prepare");
  for (int i = 0; i < n; i++) {
    if (i % 1000 == 0) exec(db, "BEGIN");
    insert_row(db, s, a, i, run, v & 16 ? SQLITE_STATIC : SQLITE_TRANSIENT);
    if (i % 1000 == 999 || i == n - 1) exec(db, "COMMIT");
  }
  sqlite3_finalize(s);
  sqlite3_finalize(a);
  sqlite3_close(db);
  return 0;
}
