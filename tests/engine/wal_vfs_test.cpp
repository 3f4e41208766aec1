// evlite's VFS (wal_vfs.h): a transaction's WAL frames go out in a few writes, never later than anyone could
// read them, never after a process dies with a commit acknowledged, and never over another writer's frames.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "evlite/engine/event_store.h"
#include "evlite/engine/sqlite_access.h"
#include "support/process.h"
#include "support/test_helpers.h"
#include "connection.h"
#include "wal_vfs.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

NewEvent numbered_event(int i) { return make_event("Numbered", fmt::format(R"({{"i":{},"pad":"{:0>500}"}})", i, i)); }

// The first column of the rows of `sql`, as a connection on SQLite's own VFS reads them.
std::vector<std::string> read_by_plain_sqlite(const std::filesystem::path& path, const std::string& sql) {
  SQLite::Database plain(path.string(), SQLite::OPEN_READONLY);
  SQLite::Statement query(plain, sql);
  std::vector<std::string> column;
  while (query.executeStep()) column.push_back(query.getColumn(0).getString());
  return column;
}

std::vector<std::string> data_read_by_plain_sqlite(const std::filesystem::path& path) {
  return read_by_plain_sqlite(path, "SELECT data FROM events ORDER BY position");
}

// Rows `from`..`to` of a table (n INTEGER PRIMARY KEY, pad BLOB NOT NULL), each pad the SQL expression `pad`.
void insert_rows(SQLite::Database& db, std::string_view table, int from, int to, std::string_view pad) {
  db.exec(fmt::format(
      "WITH RECURSIVE k(n) AS (SELECT {} UNION ALL SELECT n + 1 FROM k WHERE n < {}) "
      "INSERT INTO {} SELECT n, {} FROM k",
      from, to, table, pad));
}

std::string integrity(const std::filesystem::path& path) {
  SQLite::Database plain(path.string(), SQLite::OPEN_READONLY);
  return plain.execAndGet("PRAGMA integrity_check").getString();
}

}  // namespace

TEST_CASE("an append's WAL frames reach the file in a few writes, not two for each page") {
  TempDir dir;
  EventStore store = EventStore::open(dir.path() / "store.db", {.synchronous = Synchronous::Normal});
  std::vector<NewEvent> events;
  for (int i = 0; i < 1000; ++i) events.push_back(numbered_event(i));
  auto before = detail::wal_write_counts();
  store.append("numbers", ExpectedVersion::no_stream(), events);
  auto after = detail::wal_write_counts();
  auto sqlite_writes = after.sqlite_writes - before.sqlite_writes;
  auto file_writes = after.file_writes - before.file_writes;
  CAPTURE(sqlite_writes);
  CAPTURE(file_writes);
  CHECK(sqlite_writes > 200);                // ~1 MB of frames, a header and a page each
  CHECK(file_writes * 10 <= sqlite_writes);  // in pieces of up to 128 KiB
  CHECK(after.barrier_flushes == before.barrier_flushes);  // all written before the commit was published
}

TEST_CASE("a commit is in the file before another connection, or SQLite's own VFS, can read it") {
  // Synchronous::Normal: no sync writes the frames out before the commit is published.
  TempDir dir;
  auto path = dir.path() / "store.db";
  EventStore store = EventStore::open(path, {.synchronous = Synchronous::Normal});
  EventStore other = EventStore::open(path, {.synchronous = Synchronous::Normal});
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) {
    std::vector<NewEvent> batch{numbered_event(2 * i), numbered_event(2 * i + 1)};
    store.append("numbers", ExpectedVersion::any(), batch);
    for (const auto& e : batch) expected.push_back(e.data);
    REQUIRE(other.read_stream("numbers").drain().size() == expected.size());
    REQUIRE(data_read_by_plain_sqlite(path) == expected);
  }
}

TEST_CASE("a transaction that spilled pages and rolled back leaves no frame behind to overwrite a later commit") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  EventStore store = EventStore::open(path, {.synchronous = Synchronous::Normal});
  auto spiller = open_connection(store);
  spiller->exec("CREATE TABLE scratch (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)");
  spiller->exec("INSERT INTO scratch VALUES (0, zeroblob(100))");
  // Page 1 only in the database file: the rollback then reads nothing back from the WAL, which would write
  // the frames out while the spiller still holds the write lock. And a WAL begun by another transaction: the
  // one that begins it syncs its header, and what it writes after a sync goes straight to the file.
  spiller->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  spiller->exec("UPDATE scratch SET pad = randomblob(100) WHERE n = 0");
  spiller->exec("PRAGMA cache_size = 10");
  auto before = detail::wal_write_counts();
  CHECK_THROWS_WITH(write_transaction(store, *spiller,
                                      [&] {
                                        insert_rows(*spiller, "scratch", 1, 20, "randomblob(2000)");
                                        throw std::runtime_error("changed my mind");
                                      }),
                    "changed my mind");
  auto after = detail::wal_write_counts();
  REQUIRE(after.sqlite_writes > before.sqlite_writes);  // it did spill into the WAL…
  REQUIRE(after.file_writes == before.file_writes);     // …and its frames were still buffered
  // Another writer's commit takes the WAL offsets the rolled-back frames had.
  store.append("numbers", ExpectedVersion::no_stream(), {numbered_event(1)});
  // The spiller reads that commit's pages from the WAL: frames it had kept would be written over them now.
  CHECK(spiller->execAndGet("SELECT count(*) FROM events").getInt() == 1);
  spiller.reset();
  CHECK(data_read_by_plain_sqlite(path) == std::vector<std::string>{numbered_event(1).data});
  CHECK(integrity(path) == "ok");
  CHECK(store.verify().ok());
}

TEST_CASE("a commit whose checksums SQLite rewrote after a spill survives its process dying right after") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  auto worker = run_program({EVLITE_WAL_WORKER, path.string(), "spill"}, dir.path());
  INFO(worker.err);
  REQUIRE(worker.status == 0);
  std::istringstream out(worker.out);
  int overwrites = -1, barrier_flushes = -1;
  out >> overwrites >> barrier_flushes;
  CHECK(overwrites >= 1);  // the path under test: SQLite wrote below the commit's furthest frame
  CHECK(barrier_flushes == 0);
  SQLite::Database plain(path.string(), SQLite::OPEN_READONLY);
  CHECK(plain.execAndGet("SELECT count(*) FROM scratch").getInt() == 200);
  CHECK(plain.execAndGet("SELECT sum(v) FROM scratch").getInt64() == 7 * 200 * 201 / 2);
  CHECK(integrity(path) == "ok");
}

TEST_CASE("a WAL write that fails fails its append with StorageError and keeps every acknowledged event") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  auto worker = run_program({EVLITE_WAL_WORKER, path.string(), "fill"}, dir.path());
  INFO(worker.err);
  REQUIRE(worker.status == 0);
  std::istringstream out(worker.out);
  std::string word, error;
  int acknowledged = -1;
  out >> word >> acknowledged;
  std::getline(out >> std::ws, error);
  REQUIRE(word == "acknowledged");
  CHECK(acknowledged >= 10);  // each commit writes ~5 pages of frames: some 20 fit in the 512 KiB
  CHECK(error.find(path.string()) != std::string::npos);
  CHECK(error.find("I/O error") != std::string::npos);
  EventStore store = EventStore::open(path);
  auto events = store.read_stream("filler").drain();
  REQUIRE(static_cast<int>(events.size()) == acknowledged);  // all of them, and nothing half-written
  for (int i = 0; i < acknowledged; ++i) {
    CHECK(events[static_cast<std::size_t>(i)].data == fmt::format(R"({{"i":{},"pad":"{:0>2000}"}})", i, i));
  }
  CHECK(store.verify().ok());
  CHECK(integrity(path) == "ok");
}

TEST_CASE("a connection in exclusive locking mode writes its WAL as SQLite makes the writes") {
  // It takes no write lock through the VFS, so nothing could drop its rolled-back frames or see its publishing.
  TempDir dir;
  auto path = dir.path() / "plain.db";
  {
    SQLite::Database db = detail::open_database(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)");
    auto before = detail::wal_write_counts();
    insert_rows(db, "t", 1, 100, "zeroblob(2000)");
    auto after = detail::wal_write_counts();
    CHECK(after.sqlite_writes - before.sqlite_writes > 100);
    CHECK(after.file_writes - before.file_writes == after.sqlite_writes - before.sqlite_writes);
  }
  CHECK(read_by_plain_sqlite(path, "SELECT count(*) FROM t") == std::vector<std::string>{"100"});
  CHECK(integrity(path) == "ok");
}

TEST_CASE("a durable commit padded to a sector boundary writes its padding after the sync straight to the file") {
  // psow=0: SQLite may not assume a write leaves the rest of its sector intact, so under FULL it repeats a
  // commit's last frame up to the next sector boundary and writes the part past it after the sync.
  TempDir dir;
  auto path = dir.path() / "padded.db";
  auto uri = "file:" + path.string() + "?psow=0";
  std::vector<std::string> expected;
  {
    SQLite::Database db =
        detail::open_database(uri, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_URI);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    db.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT NOT NULL)");
    auto before = detail::wal_write_counts();
    for (int i = 0; i < 20; ++i) {
      db.exec(fmt::format("INSERT INTO t (s) VALUES ('row {}')", i));
      expected.push_back(fmt::format("row {}", i));
    }
    auto after = detail::wal_write_counts();
    CHECK(after.barrier_flushes == before.barrier_flushes);
    CHECK(read_by_plain_sqlite(path, "SELECT s FROM t ORDER BY n") == expected);  // while the WAL is live
  }
  CHECK(integrity(path) == "ok");
}

TEST_CASE("a savepoint rolled back after a spill, then committed, leaves exactly what was committed") {
  TempDir dir;
  auto path = dir.path() / "store.db";
  EventStore store = EventStore::open(path, {.synchronous = Synchronous::Normal});
  auto db = open_connection(store);
  db->exec("CREATE TABLE scratch (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)");
  db->exec("PRAGMA cache_size = 10");
  auto insert = [&](int from, int to) { insert_rows(*db, "scratch", from, to, "randomblob(2000)"); };
  auto before = detail::wal_write_counts();
  write_transaction(store, *db, [&] {
    insert(1, 40);  // spills
    db->exec("SAVEPOINT half");
    insert(41, 80);  // spills over frames the savepoint gives back
    db->exec("ROLLBACK TO half");
    db->exec("RELEASE half");
    insert(1001, 1010);
  });
  auto after = detail::wal_write_counts();
  CHECK(after.overwrites > before.overwrites);  // the frames after the savepoint were written over
  CHECK(after.barrier_flushes == before.barrier_flushes);
  db.reset();
  CHECK(read_by_plain_sqlite(path, "SELECT count(*) FROM scratch") == std::vector<std::string>{"50"});
  CHECK(read_by_plain_sqlite(path, "SELECT count(*) FROM scratch WHERE n BETWEEN 41 AND 80") ==
        std::vector<std::string>{"0"});
  CHECK(integrity(path) == "ok");
}

TEST_CASE("a connection that leaves WAL mode and returns to it buffers its frames again") {
  TempDir dir;
  auto path = dir.path() / "modes.db";
  SQLite::Database db = detail::open_database(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  int next = 1;
  auto insert_1000 = [&] {
    insert_rows(db, "t", next, next + 999, "zeroblob(500)");
    next += 1000;
  };
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("CREATE TABLE t (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)");
  insert_1000();
  CHECK(db.execAndGet("PRAGMA journal_mode = DELETE").getString() == "delete");  // closes the WAL
  insert_1000();
  CHECK(db.execAndGet("PRAGMA journal_mode = WAL").getString() == "wal");  // a new WAL file
  insert_1000();  // restarts the new WAL: its header is synced, and the rest goes straight through
  auto before = detail::wal_write_counts();
  insert_1000();
  auto after = detail::wal_write_counts();
  CHECK(after.sqlite_writes - before.sqlite_writes > 200);
  CHECK((after.file_writes - before.file_writes) * 10 <= after.sqlite_writes - before.sqlite_writes);
  CHECK(db.execAndGet("SELECT count(*) FROM t").getInt() == 4000);
}

TEST_CASE("an attached database's WAL is buffered for its own file, and both are read back by plain SQLite") {
  TempDir dir;
  auto main_path = dir.path() / "main.db";
  auto other_path = dir.path() / "other.db";
  {
    SQLite::Database db = detail::open_database(main_path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(fmt::format("ATTACH DATABASE '{}' AS other", other_path.string()));
    db.exec("PRAGMA other.journal_mode = WAL");
    db.exec("CREATE TABLE main.a (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)");
    db.exec("CREATE TABLE other.b (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)");
    db.exec("BEGIN IMMEDIATE");  // both files' first frames, so that the next transaction appends to both
    db.exec("INSERT INTO a VALUES (0, zeroblob(10))");
    db.exec("INSERT INTO b VALUES (0, zeroblob(10))");
    db.exec("COMMIT");
    auto before = detail::wal_write_counts();
    db.exec("BEGIN IMMEDIATE");
    for (const char* table : {"a", "b"}) insert_rows(db, table, 1, 500, "zeroblob(500)");
    db.exec("COMMIT");
    auto after = detail::wal_write_counts();
    CHECK((after.file_writes - before.file_writes) * 10 <= after.sqlite_writes - before.sqlite_writes);
    CHECK(after.barrier_flushes == before.barrier_flushes);
    // While both WALs are live.
    CHECK(read_by_plain_sqlite(main_path, "SELECT count(*) FROM a") == std::vector<std::string>{"501"});
    CHECK(read_by_plain_sqlite(other_path, "SELECT count(*) FROM b") == std::vector<std::string>{"501"});
  }
  CHECK(integrity(main_path) == "ok");
  CHECK(integrity(other_path) == "ok");
}
