// Resource faults: a full disk, a read-only store, a lock held too long, a damaged file. Each gives a clear
// StorageError or SchemaError, keeps what was committed, and the store recovers once the fault is gone.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include "evlite/engine/ndjson.h"
#include "evlite/engine/sqlite_access.h"
#include "support/temp_store.h"
#include "support/test_helpers.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

NewEvent big_event(int i) { return make_event("Filler", fmt::format(R"({{"i":{},"pad":"{:0>2000}"}})", i, i)); }

// Appends events until one fails; returns how many succeeded and the error.
std::pair<int, std::optional<StorageError>> fill(EventStore& store) {
  for (int i = 0; i < 100'000; ++i) {
    try {
      store.append("filler", ExpectedVersion::any(), {big_event(i)});
    } catch (const StorageError& e) {
      return {i, e};
    }
  }
  return {100'000, std::nullopt};
}

}  // namespace

TEST_CASE("a full disk fails the append with StorageError, keeps what was committed, and recovers with room") {
  TempDir dir;
  auto db = dir.path() / "full.db";
  int written = 0;
  {
    EventStore store = EventStore::open(db, {.max_file_bytes = 512 * 1024});
    auto [ok, error] = fill(store);
    written = ok;
    REQUIRE(error.has_value());
    CHECK(error->code() == SQLITE_FULL);
    CHECK(std::string(error->what()).find("full") != std::string::npos);
    CHECK(store.head_position() == Position{written});  // the failed append wrote nothing
    CHECK(store.verify().ok());
    // Still full: a second try fails the same way, and a small append may fit or not, never half.
    CHECK_THROWS_AS(store.append("filler", ExpectedVersion::any(), {big_event(-1)}), StorageError);
  }
  EventStore roomy = EventStore::open(db);
  auto events = roomy.read_stream("filler").drain();
  REQUIRE(static_cast<int>(events.size()) == written);
  for (int i = 0; i < written; ++i) CHECK(events[static_cast<std::size_t>(i)].data == big_event(i).data);
  roomy.append("filler", ExpectedVersion::any(), {big_event(written)});
  CHECK(roomy.verify().ok());
}

TEST_CASE("a read-only store reads, refuses appends with StorageError, and leaves the file unchanged") {
  TempDir dir;
  auto db = dir.path() / "ro.db";
  EventStore::open(db).append("s-1", ExpectedVersion::any(), {make_event()});
  std::string before = file_bytes(db);
  {
    EventStore ro = EventStore::open(db, {.read_only = true});
    CHECK(ro.read_stream("s-1").drain().size() == 1);
    auto error = thrown<StorageError>([&] { ro.append("s-1", ExpectedVersion::any(), {make_event()}); });
    REQUIRE(error.has_value());
    CHECK((error->code() & 0xff) == SQLITE_READONLY);
  }
  CHECK(file_bytes(db) == before);
  CHECK_THROWS_AS(EventStore::open(dir.path() / "absent.db", {.read_only = true}), StorageError);
}

TEST_CASE("a store locked by another writer beyond the busy timeout gives StorageError saying so, then recovers") {
  TempDir dir;
  auto db = dir.path() / "locked.db";
  EventStore store = EventStore::open(db, {.busy_timeout = std::chrono::milliseconds(200)});
  store.append("s-1", ExpectedVersion::any(), {make_event()});
  {
    SQLite::Database other(db.string(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");
    auto error = thrown<StorageError>([&] { store.append("s-1", ExpectedVersion::any(), {make_event()}); });
    REQUIRE(error.has_value());
    CHECK((error->code() & 0xff) == SQLITE_BUSY);
    CHECK(std::string(error->what()).find("locked by another process") != std::string::npos);
    CHECK(std::string(error->what()).find("200 ms") != std::string::npos);
    other.exec("ROLLBACK");
  }
  CHECK(store.append("s-1", ExpectedVersion::exact(1), {make_event()}).version == StreamVersion{2});
}

TEST_CASE("a new store locked by another process while it is created names the migration it waited for") {
  TempDir dir;
  auto db = dir.path() / "blank.db";
  SQLite::Database other(db.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  other.exec("PRAGMA journal_mode = WAL");
  other.exec("BEGIN IMMEDIATE");
  auto error = thrown<StorageError>([&] { EventStore::open(db, {.busy_timeout = std::chrono::milliseconds(100)}); });
  REQUIRE(error.has_value());
  CHECK(std::string(error->what()).find("migration 0001_event_log: the store is locked") != std::string::npos);
  other.exec("ROLLBACK");
  CHECK(EventStore::open(db).schema_version() == EventStore::latest_schema_version());
}

TEST_CASE("writers queued behind another process's lock each give up about busy_timeout after their call") {
  TempDir dir;
  auto db = dir.path() / "locked.db";
  constexpr auto kTimeout = std::chrono::milliseconds(400);
  EventStore store = EventStore::open(db, {.busy_timeout = kTimeout});
  SQLite::Database other(db.string(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  // Appends from 6 threads (one leads, the rest queue behind it) and a projection-style write.
  std::vector<std::chrono::steady_clock::duration> waited(7);
  std::vector<std::thread> threads;
  for (int i = 0; i < 7; ++i) {
    threads.emplace_back([&, i] {
      auto start = std::chrono::steady_clock::now();
      auto error = thrown<StorageError>([&] {
        if (i == 6) {
          auto connection = open_connection(store);
          write_transaction(store, *connection, [] {});
        } else {
          store.append(fmt::format("s-{}", i), ExpectedVersion::any(), {make_event()});
        }
      });
      waited[i] = std::chrono::steady_clock::now() - start;
      CHECK(error.has_value());
    });
  }
  for (auto& t : threads) t.join();
  // Each waited its timeout once, not once per writer ahead of it: the last of 7 in line used to wait about
  // 7 x 400 ms. The upper bound leaves room for a loaded machine and sanitizers; the lower one cannot flake.
  for (auto w : waited) {
    CHECK(w >= kTimeout * 9 / 10);
    CHECK(w < 5 * kTimeout);
  }
  other.exec("ROLLBACK");
  CHECK(store.append("s-0", ExpectedVersion::no_stream(), {make_event()}).version == StreamVersion{1});
}

namespace {

// Input that can be read once only, as from a pipe: it cannot seek.
class OneWayBuffer : public std::stringbuf {
 public:
  using std::stringbuf::stringbuf;

 protected:
  pos_type seekoff(off_type, std::ios_base::seekdir, std::ios_base::openmode) override { return pos_type(off_type(-1)); }
  pos_type seekpos(pos_type, std::ios_base::openmode) override { return pos_type(off_type(-1)); }
};

// An export of `events` events, one per line.
std::string exported(int events) {
  TempDir dir;
  EventStore source = EventStore::open(dir.path() / "source.db");
  std::vector<NewEvent> batch;
  for (int i = 0; i < events; ++i) batch.push_back(make_event());
  source.append("order-1", ExpectedVersion::any(), batch);
  std::string text;
  for (const auto& e : source.read_all({}).drain()) text += to_ndjson(e) + "\n";
  return text;
}

}  // namespace

TEST_CASE("an import whose transaction must be retried reads its input again, or fails whole when it cannot") {
  const std::string text = exported(10'001);  // progress is reported every 10,000 lines
  // A write gives up retrying busy_timeout after it began: under a sanitizer the first pass alone can
  // take longer than the default 10 s.
  const Options kPatient{.busy_timeout = std::chrono::minutes(10)};
  // The store busy once, after the body has read 10,000 lines: the transaction is retried from the start.
  auto busy_once = [](bool& thrown_once) {
    return [&thrown_once](std::int64_t) {
      if (!std::exchange(thrown_once, true)) throw SQLite::Exception("injected: database is locked", SQLITE_BUSY);
    };
  };
  SUBCASE("input that can seek is read again from where it began, not from its first byte") {
    TempDir dir;
    EventStore store = EventStore::open(dir.path() / "copy.db", kPatient);
    std::istringstream in("a header line the caller read first\n" + text);
    std::string header;
    std::getline(in, header);
    bool thrown_once = false;
    auto result = store.import_ndjson(in, EventStore::ImportMode::Exact, busy_once(thrown_once));
    CHECK(thrown_once);
    CHECK(result.written == 10'001);
    CHECK(store.head_position() == Position{10'001});
  }
  SUBCASE("input that cannot seek (a pipe) fails whole, saying why, instead of importing nothing as success") {
    TempDir dir;
    EventStore store = EventStore::open(dir.path() / "copy.db", kPatient);
    OneWayBuffer buffer(text);
    std::istream in(&buffer);
    bool thrown_once = false;
    auto error = thrown<StorageError>([&] { store.import_ndjson(in, EventStore::ImportMode::Exact, busy_once(thrown_once)); });
    REQUIRE(error.has_value());
    CHECK(std::string(error->what()).find("cannot be read again") != std::string::npos);
    CHECK(store.head_position() == Position{0});
  }
}

TEST_CASE("a file truncated or overwritten with garbage gives a clear error, and restoring it restores the store") {
  TempDir dir;
  auto db = dir.path() / "damaged.db";
  {
    EventStore store = EventStore::open(db, {.wal_autocheckpoint_pages = 1});
    for (int i = 0; i < 200; ++i) store.append("s-" + std::to_string(i % 5), ExpectedVersion::any(), {big_event(i)});
  }
  std::string good = file_bytes(db);
  REQUIRE(good.size() > 64 * 1024);
  auto damaged_is_reported = [&] {
    try {
      EventStore store = EventStore::open(db);
      auto report = store.verify();
      if (!report.ok()) return true;
      store.read_all().drain();
      return false;
    } catch (const SchemaError&) {
      return true;
    } catch (const StorageError&) {
      return true;
    }
  };
  SUBCASE("truncated to half") {
    std::filesystem::resize_file(db, good.size() / 2);
    CHECK(damaged_is_reported());
  }
  SUBCASE("garbage in the middle") {
    std::string bad = good;
    for (std::size_t i = good.size() / 2; i < good.size() / 2 + 8192; ++i) bad[i] = static_cast<char>(i * 31);
    std::ofstream(db, std::ios::binary | std::ios::trunc) << bad;
    CHECK(damaged_is_reported());
  }
  for (const char* suffix : {"-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
  std::ofstream(db, std::ios::binary | std::ios::trunc) << good;  // the fault goes away: a good copy is back
  EventStore restored = EventStore::open(db);
  CHECK(restored.verify().ok());
  CHECK(restored.head_position() == Position{200});
}

TEST_CASE("a new store file and its -wal and -shm are readable and writable by their owner only") {
  TempDir dir;
  auto mode_of = [](const std::filesystem::path& file) {
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    return st.st_mode & 0777;
  };
  auto db = dir.path() / "private.db";
  EventStore store = EventStore::open(db);
  store.append("s-1", ExpectedVersion::any(), {make_event()});
  CHECK(mode_of(db) == 0600);
  CHECK(mode_of(db.string() + "-wal") == 0600);
  CHECK(mode_of(db.string() + "-shm") == 0600);
  auto shared = dir.path() / "shared.db";
  EventStore group_readable = EventStore::open(shared, {.file_mode = 0640});
  group_readable.append("s-1", ExpectedVersion::any(), {make_event()});
  CHECK(mode_of(shared) == 0640);
  CHECK(mode_of(shared.string() + "-wal") == 0640);
}
