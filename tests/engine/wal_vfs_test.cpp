// evlite's VFS (wal_vfs.h): a transaction's WAL frames go out in a few writes, never later than anyone could
// read them, never after a process dies with a commit acknowledged, and never over another writer's frames.
#include <doctest/doctest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "evlite/engine/event_store.h"
#include "evlite/engine/sqlite_access.h"
#include "support/process.h"
#include "support/test_helpers.h"
#include "wal_vfs.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

NewEvent numbered_event(int i) { return make_event("Numbered", fmt::format(R"({{"i":{},"pad":"{:0>500}"}})", i, i)); }

// What a connection on SQLite's own VFS reads: the events' data in position order.
std::vector<std::string> data_read_by_plain_sqlite(const std::filesystem::path& path) {
  SQLite::Database plain(path.string(), SQLite::OPEN_READONLY);
  SQLite::Statement query(plain, "SELECT data FROM events ORDER BY position");
  std::vector<std::string> data;
  while (query.executeStep()) data.push_back(query.getColumn(0).getString());
  return data;
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
  // An empty WAL: the rollback then reads nothing back from it, which would have written the frames out
  // while the spiller still held the write lock.
  spiller->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  spiller->exec("PRAGMA cache_size = 10");
  auto before = detail::wal_write_counts();
  CHECK_THROWS_WITH(write_transaction(store, *spiller,
                                      [&] {
                                        spiller->exec(
                                            "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k "
                                            "WHERE n < 20) INSERT INTO scratch SELECT n, randomblob(2000) FROM k");
                                        throw std::runtime_error("changed my mind");
                                      }),
                    "changed my mind");
  REQUIRE(detail::wal_write_counts().sqlite_writes > before.sqlite_writes);  // it did spill into the WAL
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
  CHECK(std::stoi(worker.out) >= 1);  // the path under test: frames were left for the publishing barrier
  SQLite::Database plain(path.string(), SQLite::OPEN_READONLY);
  CHECK(plain.execAndGet("SELECT count(*) FROM scratch").getInt() == 200);
  CHECK(plain.execAndGet("SELECT sum(v) FROM scratch").getInt64() == 7 * 200 * 201 / 2);
  CHECK(plain.execAndGet("PRAGMA integrity_check").getString() == "ok");
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
