// The deliberate door for libraries that keep tables of their own in the store's file (projections):
// a connection configured like the store's, the engine's write-transaction helper, and the checkpoint
// table, so that a consumer's writes and its checkpoint commit in one transaction.
//
// Only the names of SQLiteCpp's types appear here; include <SQLiteCpp/Database.h> to use them.
//
// Thread safety: a connection is used by one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <string_view>

#include "evlite/engine/position.h"

namespace SQLite {
class Database;
}

namespace evlite {

class EventStore;

// A new read-write connection to the store's file (read-only when the store was opened read_only), with
// the store's busy timeout and synchronous setting. Throws StorageError.
std::unique_ptr<SQLite::Database> open_connection(const EventStore& store);

// Runs `body` in one IMMEDIATE transaction on `db` and commits; SQLITE_BUSY retried up to the store's busy
// timeout (then StorageError). Anything `body` throws rolls back and propagates.
void write_transaction(const EventStore& store, SQLite::Database& db, const std::function<void()>& body);

// Checkpoints, read and moved inside the caller's transaction on a connection from open_connection().
namespace checkpoints {

// The named checkpoint; Position{0} if it was never set.
Position load(SQLite::Database& db, std::string_view name);

// Moves the checkpoint from `from` to `to` and returns true, or returns false and changes nothing if it is
// not at `from` (another consumer moved it first).
bool advance(SQLite::Database& db, std::string_view name, Position from, Position to);

// Sets the checkpoint unconditionally (position 0 removes it).
void reset(SQLite::Database& db, std::string_view name, Position to);

}  // namespace checkpoints
}  // namespace evlite
