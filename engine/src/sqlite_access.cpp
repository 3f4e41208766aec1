// The door of sqlite_access.h: connections and checkpoints for libraries with tables in the store's file.
#include "evlite/engine/sqlite_access.h"

#include "store_impl.h"

namespace evlite {

std::unique_ptr<SQLite::Database> open_connection(const EventStore& store) {
  return detail::translate_errors(store.path().string() + ": open connection", [&] {
    bool read_only = store.options().read_only;
    auto db = std::make_unique<SQLite::Database>(detail::open_database(
        store.path().string(), (read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE) | SQLite::OPEN_NOMUTEX));
    detail::configure(*db, store.options(), detail::Role::Reader);
    // The reader settings, but this connection writes its own tables, unless the store is open to read.
    if (!read_only) db->exec("PRAGMA query_only = OFF");
    return db;
  });
}

void write_transaction(const EventStore& store, SQLite::Database& db, const std::function<void()>& body) {
  std::string context = store.path().string() + ": write";
  EventStore::Impl& impl = detail::ImplAccess::of(store);
  auto deadline = detail::deadline_after(impl.options.busy_timeout);  // the wait for write_mutex counts
  detail::translate_errors(context, [&] {
    // Writers of one process queue on the store's write lock instead of meeting in SQLite's busy handler,
    // whose growing sleeps can starve an appender behind a stream of projection batches.
    std::lock_guard lock(impl.write_mutex);
    // The store's checkpointer copies the WAL, not this commit; only for this write, since the connection
    // may outlive the store.
    detail::Checkpointer::Attached attached(impl.checkpointer, db);
    detail::TransactionStatements transactions(db);  // one transaction per call: nothing to keep
    detail::write_transaction(transactions, deadline, impl.options.busy_timeout, context, body);
  });
  impl.commits.notify();
}

namespace checkpoints {

// Checkpoint statements are prepared per call: callers move a checkpoint once per batch transaction.
Position load(SQLite::Database& db, std::string_view name) {
  return detail::translate_errors("load checkpoint", [&] { return detail::EventTables(db).checkpoint(name); });
}

bool advance(SQLite::Database& db, std::string_view name, Position from, Position to) {
  return detail::translate_errors("advance checkpoint", [&] {
    return detail::EventTables(db).advance_checkpoint(name, from, to, detail::now());
  });
}

void reset(SQLite::Database& db, std::string_view name, Position to) {
  detail::translate_errors("reset checkpoint", [&] { detail::EventTables(db).set_checkpoint(name, to, detail::now()); });
}

}  // namespace checkpoints
}  // namespace evlite
