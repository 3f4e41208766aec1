#include "baseline.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <sqlite3.h>

#include "uuid.h"

namespace evlite::bench {
namespace {

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw std::runtime_error(fmt::format("baseline {}: {}", what, sqlite3_errmsg(db)));
  }
}

void exec(sqlite3* db, const char* sql) { check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql); }

}  // namespace

double raw_append(const std::filesystem::path& file, std::int64_t events, std::int64_t per_transaction,
                  int streams, bool full_sync, const Payload& payload) {
  sqlite3* db = nullptr;
  check(sqlite3_open(file.c_str(), &db), db, "open");
  exec(db, full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  exec(db, "PRAGMA cache_size = -262144");
  exec(db, "PRAGMA wal_autocheckpoint = 10000");
  sqlite3_stmt* version = nullptr;
  sqlite3_stmt* insert = nullptr;
  sqlite3_stmt* head = nullptr;
  check(sqlite3_prepare_v2(db, "SELECT version FROM streams WHERE stream_id = ?1", -1, &version, nullptr), db, "prepare");
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata, "
                           "recorded_at) VALUES (?1, ?2, ?3, 'OrderPlaced', 1, ?4, ?5, ?6)",
                           -1, &insert, nullptr),
        db, "prepare");
  check(sqlite3_prepare_v2(db,
                           "INSERT INTO streams (stream_id, category, version, created_at, updated_at) "
                           "VALUES (?1, 'order', ?2, ?3, ?3) ON CONFLICT (stream_id) DO UPDATE SET "
                           "version = excluded.version, updated_at = excluded.updated_at",
                           -1, &head, nullptr),
        db, "prepare");
  auto start = std::chrono::steady_clock::now();
  for (std::int64_t done = 0, round = 0; done < events; ++round) {
    std::string stream = fmt::format("order-{}", round % streams);
    std::int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    exec(db, "BEGIN IMMEDIATE");
    sqlite3_bind_text(version, 1, stream.c_str(), -1, SQLITE_STATIC);
    std::int64_t v = sqlite3_step(version) == SQLITE_ROW ? sqlite3_column_int64(version, 0) : 0;
    sqlite3_reset(version);
    for (std::int64_t i = 0; i < per_transaction && done < events; ++i, ++done) {
      std::string id = detail::new_uuid_v7();
      sqlite3_bind_text(insert, 1, stream.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(insert, 2, ++v);
      sqlite3_bind_text(insert, 3, id.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 4, payload.data.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 5, payload.metadata.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(insert, 6, now);
      check(sqlite3_step(insert), db, "insert");
      sqlite3_reset(insert);
    }
    sqlite3_bind_text(head, 1, stream.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(head, 2, v);
    sqlite3_bind_int64(head, 3, now);
    check(sqlite3_step(head), db, "upsert stream");
    sqlite3_reset(head);
    exec(db, "COMMIT");
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  sqlite3_finalize(version);
  sqlite3_finalize(insert);
  sqlite3_finalize(head);
  sqlite3_close(db);
  return seconds;
}

}  // namespace evlite::bench
