// Tamper evidence: the log cannot be changed through the library or the CLI, and verify detects events
// changed or removed behind their backs (the sqlite3 shell after dropping the triggers).
#include <doctest/doctest.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include "support/process.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

void fill(EventStore& store, int n) {
  for (int i = 0; i < n; ++i) {
    store.append("order-" + std::to_string(i % 3), ExpectedVersion::any(), {make_event("Placed", R"({"n":)" + std::to_string(i) + "}")});
  }
}

bool mentions(const EventStore::VerifyReport& report, const std::string& fragment) {
  for (const auto& f : report.findings) {
    if (f.find(fragment) != std::string::npos) return true;
  }
  return false;
}

// The sqlite3 shell's way in: a raw connection that first drops the append-only triggers.
SQLite::Database shell(const std::filesystem::path& db) {
  SQLite::Database raw(db.string(), SQLite::OPEN_READWRITE);
  for (const char* t : {"update", "delete", "replace"}) raw.exec(std::string("DROP TRIGGER events_are_append_only_") + t);
  return raw;
}

}  // namespace

TEST_CASE_FIXTURE(TempStore, "every event carries a hash chained to the one before, and verify checks all of it") {
  fill(store, 20);
  CHECK(store.verify().ok());
  SQLite::Database raw(db_path.string(), SQLite::OPEN_READONLY);
  CHECK(raw.execAndGet("SELECT count(*) FROM events WHERE length(hash) = 32").getInt() == 20);
  CHECK(raw.execAndGet("SELECT count(DISTINCT hash) FROM events").getInt() == 20);
}

TEST_CASE_FIXTURE(TempStore, "the triggers refuse UPDATE, DELETE and REPLACE through any connection") {
  fill(store, 3);
  SQLite::Database raw(db_path.string(), SQLite::OPEN_READWRITE);
  CHECK_THROWS_AS(raw.exec("UPDATE events SET data = '{}' WHERE position = 2"), SQLite::Exception);
  CHECK_THROWS_AS(raw.exec("DELETE FROM events WHERE position = 2"), SQLite::Exception);
  CHECK_THROWS_AS(raw.exec("REPLACE INTO events SELECT * FROM events WHERE position = 2"), SQLite::Exception);
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(TempStore, "verify detects an event changed behind the library's back") {
  fill(store, 10);
  shell(db_path).exec(R"(UPDATE events SET data = '{"n":999}' WHERE position = 5)");
  auto report = store.verify();
  CHECK_FALSE(report.ok());
  CHECK(mentions(report, "hash chain broken at position 5"));
  CHECK(report.findings.size() == 4);  // the chain, reported once, and the three dropped triggers
}

TEST_CASE_FIXTURE(TempStore, "verify detects an event deleted from the middle, even with the streams table mended") {
  fill(store, 9);
  auto raw = shell(db_path);
  raw.exec("DELETE FROM events WHERE position = 4");
  auto report = store.verify();
  CHECK(mentions(report, "hash chain broken at position 5"));
  CHECK(mentions(report, "versions are not contiguous"));
}

TEST_CASE_FIXTURE(TempStore, "verify detects an event whose hash was recomputed alone: the next link no longer fits") {
  fill(store, 6);
  auto raw = shell(db_path);
  // A careful forger changes event 3 and gives it some hash; event 4 still names the original in its chain.
  raw.exec(R"(UPDATE events SET data = '{"n":-1}', hash = randomblob(32) WHERE position = 3)");
  auto report = store.verify();
  CHECK(mentions(report, "position 3"));
  CHECK(mentions(report, "position 4"));
}

TEST_CASE_FIXTURE(TempStore, "the CLI offers no way to change or remove an event, and verify through it exits 3 on tampering") {
  fill(store, 4);
  ProgramResult ok = run_program({EVLITE_CLI, "--db", db_path.string(), "verify"}, dir.path());
  CHECK(ok.status == 0);
  shell(db_path).exec(R"(UPDATE events SET type = 'Forged' WHERE position = 2)");
  ProgramResult bad = run_program({EVLITE_CLI, "--db", db_path.string(), "verify"}, dir.path());
  CHECK(bad.status == 3);
  CHECK(bad.out.find("hash chain broken at position 2") != std::string::npos);
}

TEST_CASE("a store made before the hash chain gets one on open, and is then checked like any other") {
  for (bool update_trigger_dropped : {false, true}) {  // dropped by hand in the sqlite3 shell, say
    CAPTURE(update_trigger_dropped);
    TempDir dir;
    auto db = dir.path() / "old.db";
    {
      EventStore store = EventStore::open(db);
      fill(store, 12);
    }
    {  // Back to schema 3, as a store written by the version before the chain.
      SQLite::Database raw(db.string(), SQLite::OPEN_READWRITE);
      raw.exec("DROP TRIGGER events_are_append_only_update");
      raw.exec("ALTER TABLE events DROP COLUMN hash");
      if (!update_trigger_dropped) {
        raw.exec("CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events BEGIN "
                 "SELECT RAISE(ABORT, 'evlite: events are append-only; UPDATE is not allowed'); END");
      }
      raw.exec("PRAGMA user_version = 3");
    }
    CHECK(EventStore::schema_version_of(db) == 3);
    EventStore store = EventStore::open(db);
    CHECK(store.schema_version() == EventStore::latest_schema_version());
    CHECK(store.verify().ok());
    store.append("order-9", ExpectedVersion::any(), {make_event()});
    CHECK(store.verify().ok());
    SQLite::Database raw(db.string(), SQLite::OPEN_READWRITE);
    // The trigger is back.
    CHECK_THROWS_WITH(raw.exec("UPDATE events SET data = '{}' WHERE position = 1"), doctest::Contains("append-only"));
    shell(db).exec("UPDATE events SET stream_id = 'order-7' WHERE position = 1");
    CHECK_FALSE(store.verify().ok());
  }
}
