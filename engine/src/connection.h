// Internal: SQLite connections configured for the store, a pool of readers, and the one helper that owns
// write transactions (begin IMMEDIATE, busy retry, commit).
//
// Thread safety: a Connection is used by one thread at a time (SQLiteCpp's rule for Database); the pool
// itself is safe from any thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

#include "event_tables.h"
#include "evlite/engine/options.h"

namespace evlite::detail {

enum class Role {
  Writer,  // appends; the large page cache
  Reader,  // reads only (PRAGMA query_only); a small page cache
};

// The statements that begin, commit and roll back a write transaction on `db`, each prepared on first
// use and then kept: sqlite3_exec would parse and prepare each one again for every transaction (2.0
// against 1.3 µs per transaction here, ~2% of a one-event NORMAL append).
class TransactionStatements {
 public:
  explicit TransactionStatements(SQLite::Database& db) : db_(db) {}
  ~TransactionStatements();
  TransactionStatements(const TransactionStatements&) = delete;
  TransactionStatements& operator=(const TransactionStatements&) = delete;

  SQLite::Database& db() { return db_; }
  // Throw SQLite::Exception on failure.
  void begin_immediate() { run(begin_, "BEGIN IMMEDIATE"); }
  void commit() { run(commit_, "COMMIT"); }
  // Rolls back the open transaction; does nothing when SQLite already rolled it back by itself (after an
  // I/O error, say), as when there is nothing to do.
  void rollback() noexcept;

 private:
  void run(sqlite3_stmt*& statement, const char* sql);

  SQLite::Database& db_;
  sqlite3_stmt* begin_ = nullptr;
  sqlite3_stmt* commit_ = nullptr;
  sqlite3_stmt* rollback_ = nullptr;
};

// A connection with its prepared statements.
struct Connection {
  Connection(const std::filesystem::path& path, const Options& options, Role role);
  // Adopts a connection that is already configured.
  explicit Connection(SQLite::Database&& configured) : db(std::move(configured)) {}
  SQLite::Database db;
  EventTables tables{db};
  TransactionStatements transactions{db};
};

// Opens `path` with SQLite `flags` through evlite's VFS (wal_vfs.h), as every connection evlite makes does.
SQLite::Database open_database(const std::string& path, int flags);

// Applies the per-connection settings of `options` for `role` (synchronous, caches, busy timeout).
// Must not run before the file is known to be an evlite store: it is the first thing that may write.
void configure(SQLite::Database& db, const Options& options, Role role);

// How long SQLite's busy handler waits on `db` for a lock another connection holds.
void set_busy_timeout(SQLite::Database& db, std::chrono::milliseconds wait);

// The instant `timeout` from now, saturating: a timeout too long for the clock (say milliseconds::max(),
// meaning "wait forever") gives the clock's end instead of overflowing into the past.
std::chrono::steady_clock::time_point deadline_after(std::chrono::milliseconds timeout);

// Runs `body` inside one IMMEDIATE transaction on `statements`' connection and commits. When another
// process holds the write lock (SQLITE_BUSY), the whole attempt is retried until `deadline`, then
// StorageError names the wait, `busy_timeout` (the setting `deadline` came from); `body` must therefore do
// all its reading inside the transaction. Any other exception rolls back and propagates, and a body that
// leaves a statement that writes unfinished gets a StorageError quoting it.
// The deadline is the caller's, fixed when its write began: time spent queued for the write lock in this
// process counts, so writers queued behind one that waited for another process do not each wait in full.
void write_transaction(TransactionStatements& statements, std::chrono::steady_clock::time_point deadline,
                       std::chrono::milliseconds busy_timeout, const std::string& context,
                       const std::function<void()>& body);

// Reader connections, created on demand and kept for reuse.
class ConnectionPool {
 public:
  ConnectionPool(std::filesystem::path path, Options options);

  // A borrowed connection, returned to the pool on destruction.
  class Lease {
   public:
    Lease(ConnectionPool& pool, std::unique_ptr<Connection> connection);
    Lease(Lease&&) = default;
    ~Lease();
    Connection* operator->() const { return connection_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  Lease borrow();

 private:
  std::filesystem::path path_;
  Options options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;  // Guarded by mutex_
};

}  // namespace evlite::detail
