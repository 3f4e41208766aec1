// Internal: recognising a store file and bringing its schema up to date (DESIGN.md §2).
#pragma once

#include <chrono>
#include <filesystem>

#include <SQLiteCpp/Database.h>

namespace evlite::detail {

// PRAGMA application_id of every evlite store: "EVLT".
inline constexpr int kApplicationId = 0x45564c54;

// Checks that `db` (opened on `path`) is an evlite store, or an empty file that can become one, before
// anything is written to it; then switches it to WAL and applies the pending migrations, each in its own
// IMMEDIATE transaction that re-reads the version first (another process may be migrating too).
// Returns the schema version. Throws SchemaError naming `path`, leaving the file unchanged, when the file
// is not SQLite, is a foreign SQLite database, or is newer than this code.
int open_schema(SQLite::Database& db, const std::filesystem::path& path, std::chrono::milliseconds busy_timeout);

// The schema version of the store `db` is open on, without changing anything; SchemaError as above.
int stored_schema_version(SQLite::Database& db, const std::filesystem::path& path);

// For a read-only open: the schema version of the store `db` is open on, which must be the latest. Throws
// SchemaError as open_schema does, and also for an older store, which only a writable open can migrate.
int current_schema_version(SQLite::Database& db, const std::filesystem::path& path);

// The version the last compiled-in migration brings a store to.
int latest_schema_version();

}  // namespace evlite::detail
