#include "migrator.h"

#include <limits>
#include <thread>

#include <fmt/format.h>
#include <sqlite3.h>

#include "connection.h"
#include "event_tables.h"
#include "errors_internal.h"
#include "migrations.h"

namespace evlite::detail {
namespace {

struct FileIdentity {
  int application_id = 0;
  int user_version = 0;
  std::int64_t schema_objects = 0;
};

FileIdentity identify(SQLite::Database& db, const std::filesystem::path& path) {
  try {
    // One statement, so one read snapshot: three separate reads could straddle another process's
    // first migration and see its tables without its application_id.
    SQLite::Statement query(db,
                            "SELECT (SELECT application_id FROM pragma_application_id), "
                            "(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_schema)");
    query.executeStep();
    return FileIdentity{query.getColumn(0).getInt(), query.getColumn(1).getInt(), query.getColumn(2).getInt64()};
  } catch (const SQLite::Exception& e) {
    if (e.getErrorCode() == SQLITE_NOTADB) throw SchemaError(path.string(), "not an SQLite database (and so not an evlite store)");
    if (e.getErrorCode() == SQLITE_CORRUPT) throw SchemaError(path.string(), fmt::format("the file is corrupt: {}", e.what()));
    throw;
  }
}

void check_identity(const FileIdentity& id, const std::filesystem::path& path, int latest) {
  bool blank = id.application_id == 0 && id.user_version == 0 && id.schema_objects == 0;
  if (id.application_id != kApplicationId && !blank) {
    throw SchemaError(path.string(), fmt::format("an SQLite database that is not an evlite store (application_id {:#x}, "
                                                 "{} schema objects)",
                                                 static_cast<unsigned>(id.application_id), id.schema_objects));
  }
  if (id.user_version > latest) {
    throw SchemaError(path.string(), fmt::format("schema version {} is newer than this evlite supports ({}); "
                                                 "open it with a newer evlite",
                                                 id.user_version, latest));
  }
}

void enable_wal(SQLite::Database& db, const std::filesystem::path& path, std::chrono::milliseconds busy_timeout) {
  auto deadline = deadline_after(busy_timeout);
  for (;;) {
    try {
      std::string mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
      if (mode != "wal") throw StorageError(SQLITE_ERROR, fmt::format("{}: cannot switch to WAL mode (got {})", path.string(), mode));
      return;
    } catch (const SQLite::Exception& e) {
      if (e.getErrorCode() != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) throw;
      std::this_thread::yield();
    }
  }
}

// Runs a migration's SQL, and at each "-- step: NAME" line the engine's code of that name: work SQL alone
// cannot do, such as hashing every stored event (0004). A step runs today's code on a store at its
// migration's version: a later migration that changes what fill_hash_chain reads from `events` must keep
// that step working on the schema-4 table (or give the step SQL of its own).
void run_migration(SQLite::Database& db, const Migration& migration) {
  constexpr std::string_view kStep = "-- step: ";
  std::string_view sql = migration.sql;
  for (std::size_t at; (at = sql.find(kStep)) != std::string_view::npos;) {
    db.exec(std::string(sql.substr(0, at)));
    std::size_t end = sql.find('\n', at);
    std::string_view step = sql.substr(at + kStep.size(), end - at - kStep.size());
    if (step == "fill_hash_chain") {
      EventTables(db).fill_hash_chain();
    } else {
      throw SchemaError("migration", fmt::format("{:04}_{} names an unknown step \"{}\"", migration.number,
                                                 migration.name, step));
    }
    sql = end == std::string_view::npos ? std::string_view{} : sql.substr(end + 1);
  }
  db.exec(std::string(sql));
}

}  // namespace

int latest_schema_version() {
  const auto& all = migrations();
  return all.empty() ? 0 : all.back().number;
}

int stored_schema_version(SQLite::Database& db, const std::filesystem::path& path) {
  FileIdentity found = identify(db, path);
  check_identity(found, path, std::numeric_limits<int>::max());
  return found.user_version;
}

int current_schema_version(SQLite::Database& db, const std::filesystem::path& path) {
  int latest = latest_schema_version();
  FileIdentity found = identify(db, path);
  check_identity(found, path, latest);
  if (found.user_version < latest) {
    throw SchemaError(path.string(), fmt::format("schema version {} needs migrating to {}; open it for writing once",
                                                 found.user_version, latest));
  }
  return found.user_version;
}

int open_schema(SQLite::Database& db, const std::filesystem::path& path, std::chrono::milliseconds busy_timeout) {
  const auto& all = migrations();
  int latest = latest_schema_version();
  FileIdentity found = identify(db, path);
  check_identity(found, path, latest);
  enable_wal(db, path, busy_timeout);

  TransactionStatements transactions(db);
  for (const Migration& migration : all) {
    if (found.user_version >= migration.number) continue;
    std::string context = fmt::format("{}: migration {:04}_{}", path.string(), migration.number, migration.name);
    write_transaction(transactions, deadline_after(busy_timeout), busy_timeout, context, [&] {
      FileIdentity now = identify(db, path);
      check_identity(now, path, latest);
      if (now.user_version >= migration.number) return;
      run_migration(db, migration);
      db.exec(fmt::format("PRAGMA user_version = {}", migration.number));
      db.exec(fmt::format("PRAGMA application_id = {}", kApplicationId));
    });
  }
  return latest;
}

}  // namespace evlite::detail
