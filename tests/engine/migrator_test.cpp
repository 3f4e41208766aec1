// Opening files (DESIGN.md §2): a new or empty file becomes a store at the latest schema, a store keeps its
// events across reopening, and a file that is newer, not an evlite store or not SQLite at all is refused
// with SchemaError and left byte for byte as it was.
#include <doctest/doctest.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "support/test_helpers.h"
#include "evlite/engine/errors.h"
#include "evlite/engine/event_store.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Opens `path`, expecting SchemaError naming the file, and checks that the file's bytes did not change
// and that no write-ahead log was left behind for it.
void check_refused_and_unchanged(const std::filesystem::path& path) {
  const std::string before = file_bytes(path);
  REQUIRE_FALSE(before.empty());

  for (bool read_only : {false, true}) {
    CAPTURE(read_only);
    auto error = thrown<SchemaError>([&] { EventStore::open(path, {.read_only = read_only}); });
    REQUIRE(error.has_value());
    CHECK(error->path() == path.string());
    CHECK(std::string(error->what()).find(path.string()) != std::string::npos);
  }
  const bool unchanged = file_bytes(path) == before;
  CHECK(unchanged);
  const std::filesystem::path wal = path.string() + "-wal";
  CHECK((!std::filesystem::exists(wal) || std::filesystem::file_size(wal) == 0));
}

}  // namespace

TEST_CASE("opening a new path creates a store at the latest schema version, recorded in PRAGMA user_version") {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "new.db";
  REQUIRE_FALSE(std::filesystem::exists(path));

  int schema_version = 0;
  {
    EventStore store = EventStore::open(path);
    schema_version = store.schema_version();
    CHECK(schema_version >= 1);
    CHECK(store.path() == path);
    CHECK(store.head_position() == Position{0});
  }
  CHECK(std::filesystem::exists(path));

  SQLite::Database raw(path.string(), SQLite::OPEN_READWRITE, 5000);
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == schema_version);
  CHECK(raw.execAndGet("PRAGMA application_id").getInt() != 0);
  CHECK(raw.execAndGet("PRAGMA journal_mode").getString() == "wal");
  CHECK(raw.tableExists("events"));
  CHECK(raw.tableExists("streams"));
  CHECK(raw.execAndGet("SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'events'").getInt() >=
        2);

  EventStore reopened = EventStore::open(path);
  CHECK(reopened.schema_version() == schema_version);
}

TEST_CASE("opening an existing zero-byte file makes it a store") {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "empty.db";
  write_file(path, "");
  REQUIRE(std::filesystem::file_size(path) == 0u);

  EventStore store = EventStore::open(path);
  CHECK(store.schema_version() >= 1);
  store.append("order-1", ExpectedVersion::no_stream(), {make_event()});
  CHECK(positions_of(all_of(store.read_stream("order-1"))) == "1");
}

TEST_CASE("reopening a store keeps its events, streams and positions") {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "store.db";
  std::vector<RecordedEvent> written;
  {
    EventStore store = EventStore::open(path);
    store.append("order-1", ExpectedVersion::no_stream(), {make_event("OrderPlaced"), make_event("OrderPaid")});
    store.append("customer-1", ExpectedVersion::no_stream(), {make_event("CustomerRegistered")});
    written = all_of(store.read_all());
  }

  EventStore store = EventStore::open(path);
  CHECK(all_of(store.read_all()) == written);
  CHECK(store.head_position() == Position{3});
  CHECK(store.stream_version("order-1") == StreamVersion{2});
  CHECK(store.list_streams().size() == 2u);
  const AppendResult next = store.append("order-1", ExpectedVersion::exact(2), {make_event("OrderShipped")});
  CHECK(next == AppendResult{StreamVersion{3}, Position{4}, Position{4}});
}

TEST_CASE("several stores opening one new file at the same time all succeed with one schema") {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "raced.db";
  constexpr int kOpeners = 4;
  std::vector<std::string> failures(kOpeners);
  std::vector<int> versions(kOpeners, 0);
  std::vector<std::thread> openers;
  for (int i = 0; i < kOpeners; ++i) {
    openers.emplace_back([&path, &failures, &versions, i] {
      const auto slot = static_cast<std::size_t>(i);
      try {
        EventStore store = EventStore::open(path);
        versions[slot] = store.schema_version();
        store.append("opener-" + std::to_string(i), ExpectedVersion::no_stream(), {make_event()});
      } catch (const std::exception& e) {
        failures[slot] = e.what();
      }
    });
  }
  for (std::thread& opener : openers) opener.join();

  for (std::size_t i = 0; i < failures.size(); ++i) {
    INFO("opener ", i);
    CHECK(failures[i] == "");
    CHECK(versions[i] == versions[0]);
  }
  EventStore store = EventStore::open(path);
  CHECK(store.head_position() == Position{kOpeners});
  CHECK(store.list_streams().size() == static_cast<std::size_t>(kOpeners));
}

TEST_CASE("a store whose schema is newer than this code is refused with SchemaError and left unchanged") {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "newer.db";
  {
    EventStore store = EventStore::open(path);
    store.append("order-1", ExpectedVersion::no_stream(), {make_event()});
  }
  {
    SQLite::Database raw(path.string(), SQLite::OPEN_READWRITE, 5000);
    raw.exec("PRAGMA user_version = 999");
  }

  check_refused_and_unchanged(path);

  SQLite::Database raw(path.string(), SQLite::OPEN_READWRITE, 5000);
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == 999);
  CHECK(raw.execAndGet("SELECT count(*) FROM events").getInt() == 1);
}

TEST_CASE("an SQLite file that is not an evlite store is refused with SchemaError and left unchanged") {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "customers.db";
  {
    SQLite::Database raw(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    raw.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    raw.exec("INSERT INTO customers (name) VALUES ('Ada')");
  }

  check_refused_and_unchanged(path);

  SQLite::Database raw(path.string(), SQLite::OPEN_READONLY);
  CHECK_FALSE(raw.tableExists("events"));
  CHECK(raw.execAndGet("SELECT count(*) FROM customers").getInt() == 1);
  CHECK(raw.execAndGet("PRAGMA user_version").getInt() == 0);
}

TEST_CASE("a file that is not SQLite at all is refused with SchemaError and left unchanged") {
  TempDir dir;
  const std::filesystem::path path = dir.path() / "garbage.db";
  SUBCASE("4096 bytes of x") { write_file(path, std::string(4096, 'x')); }
  SUBCASE("4096 random bytes") {
    std::mt19937 random(20240601);
    std::string bytes(4096, '\0');
    for (char& byte : bytes) byte = static_cast<char>(random() & 0xff);
    write_file(path, bytes);
  }
  SUBCASE("a short text file") { write_file(path, "this is not a database\n"); }

  check_refused_and_unchanged(path);
}

TEST_CASE("opening an empty path throws InvalidArgument") {
  CHECK_THROWS_AS(EventStore::open(""), InvalidArgument);
}

TEST_CASE("opening a path in a directory that does not exist throws StorageError and creates nothing") {
  TempDir dir;
  const std::filesystem::path missing = dir.path() / "missing";
  CHECK_THROWS_AS(EventStore::open(missing / "store.db"), StorageError);
  CHECK_FALSE(std::filesystem::exists(missing));
}
