// WAL checkpoints (checkpointer.h): a background thread copies the WAL into the database file once it
// passes Options::wal_autocheckpoint_pages, so that no commit pays for the copy.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "evlite/engine/event_store.h"
#include "evlite/engine/sqlite_access.h"
#include "support/test_helpers.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

// Appends `batches` batches of 100 events of about 1 KB each.
void append_kilobyte_events(EventStore& store, int batches) {
  std::string data = R"({"text":")" + std::string(1000, 'x') + R"("})";
  for (int b = 0; b < batches; ++b) {
    std::vector<NewEvent> events(100, make_event("Written", data));
    store.append("bulk-" + std::to_string(b), ExpectedVersion::any(), events);
  }
}

}  // namespace

TEST_CASE("past the threshold the WAL is copied into the database file in the background, and then reused") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  auto wal = std::filesystem::path(path.string() + "-wal");
  EventStore store = EventStore::open(path, {.synchronous = Synchronous::Normal, .wal_autocheckpoint_pages = 100});
  auto empty_size = std::filesystem::file_size(path);
  append_kilobyte_events(store, 20);  // about 2 MB: 5 times the threshold of 400 KB
  // The events reach the database file itself, not only the WAL.
  CHECK(eventually([&] { return std::filesystem::file_size(path) > empty_size + (1 << 20); },
                   std::chrono::seconds(20)));
  // Writers start the WAL over once a checkpoint caught up; a writer that outpaces the thread copies it
  // itself at 4 times the threshold. Either way the WAL stays at most that plus one batch: 1.8 MB here.
  for (int round = 0; round < 40; ++round) append_kilobyte_events(store, 2);
  CHECK(std::filesystem::file_size(wal) < 2 * (1 << 20));  // of about 10 MB written
  CHECK(store.read_all().drain().size() == 10'000);
}

TEST_CASE("wal_autocheckpoint_pages 0 leaves the WAL to grow, as SQLite's own setting does") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  EventStore store = EventStore::open(path, {.synchronous = Synchronous::Normal, .wal_autocheckpoint_pages = 0});
  auto empty_size = std::filesystem::file_size(path);
  append_kilobyte_events(store, 20);  // about 2 MB
  CHECK(std::filesystem::file_size(path) == empty_size);  // nothing copied into the database file
  CHECK(std::filesystem::file_size(path.string() + "-wal") > (2 << 20));
}

TEST_CASE("a connection from open_connection does not call into a store that is gone") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  std::unique_ptr<SQLite::Database> db;
  {
    EventStore store = EventStore::open(path, {.wal_autocheckpoint_pages = 1});
    db = open_connection(store);
    write_transaction(store, *db, [&] { db->exec("CREATE TABLE notes (text TEXT)"); });
  }
  // A commit after the store closed: no report to its checkpointer (ASan would see the freed memory).
  db->exec("INSERT INTO notes VALUES ('after')");
  CHECK(db->execAndGet("SELECT count(*) FROM notes").getInt() == 1);
}

TEST_CASE("a write transaction whose body leaves a writing statement unfinished fails at once naming it and rolls back") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  EventStore store = EventStore::open(path, {.busy_timeout = std::chrono::seconds(60)});
  auto db = open_connection(store);
  write_transaction(store, *db, [&] { db->exec("CREATE TABLE notes (text TEXT)"); });
  auto count = [&] { return db->execAndGet("SELECT count(*) FROM notes").getInt(); };

  // Stepped once of its two rows: COMMIT would answer SQLITE_BUSY, read as another process's lock.
  std::optional<SQLite::Statement> insert;
  auto start = std::chrono::steady_clock::now();
  std::string message;
  try {
    write_transaction(store, *db, [&] {
      insert.emplace(*db, "INSERT INTO notes VALUES ('a'), ('b') RETURNING text");
      insert->executeStep();
    });
  } catch (const StorageError& e) {
    message = e.what();
  }
  CHECK(message.find("still running") != std::string::npos);
  CHECK(message.find("INSERT INTO notes") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(30));  // not the busy timeout's wait
  insert.reset();
  CHECK(count() == 0);

  write_transaction(store, *db, [&] { db->exec("INSERT INTO notes VALUES ('c')"); });
  CHECK(count() == 1);
}
