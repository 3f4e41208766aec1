// The benchmark's two sides (bench/): evlite and the raw SQLite baseline must write the same rows, or a
// ratio between them measures nothing; and a durable workload's set-up must end where bench/baseline.h says.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <tuple>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "support/temp_store.h"
#include "workloads.h"

namespace evlite::bench {
namespace {

using testing::TempDir;

// What a row holds apart from its own id, time and hash: the same for both sides' rows of one workload.
using Row = std::tuple<std::int64_t, std::string, std::int64_t, std::string, std::int32_t, std::string, std::string>;

std::vector<Row> rows_of(const std::filesystem::path& file) {
  auto store = EventStore::open(file, {.read_only = true});
  std::vector<Row> rows;
  auto cursor = store.read_all();
  while (cursor.next()) {
    const RecordedEvent& e = cursor.event();
    rows.emplace_back(e.position.value, e.stream_id, e.version.value, e.type, e.schema_version, e.data, e.metadata);
  }
  return rows;
}

std::vector<std::tuple<std::string, std::string, std::int64_t>> heads_of(const std::filesystem::path& file) {
  auto store = EventStore::open(file, {.read_only = true});
  std::vector<std::tuple<std::string, std::string, std::int64_t>> heads;
  for (const StreamInfo& s : store.list_streams({.max_count = 100'000})) {
    heads.emplace_back(s.stream_id, s.category, s.version.value);
  }
  return heads;
}

std::uintmax_t wal_size(const std::filesystem::path& file) {
  return std::filesystem::file_size(file.string() + "-wal");
}

// A settle_wal batch: `events` events appended to a stream of their own.
struct Batches {
  EventStore& store;
  std::int64_t events;
  int written = 0;
  void operator()() {
    store.append(fmt::format("settle-{}", written++), ExpectedVersion::no_stream(),
                 std::vector<NewEvent>(static_cast<std::size_t>(events), order_placed(shop_payload())));
  }
};

TEST_CASE("batch appends write the same rows and stream heads through evlite as through the raw baseline") {
  TempDir dir;
  auto ours = dir.path() / "ours.db", theirs = dir.path() / "theirs.db";
  Payload payload = shop_payload();
  append(ours, 1'500, 100, Synchronous::Normal, payload, 7);
  EventStore::open(theirs);  // the schema, as the bench gives the baseline
  raw_append(theirs, {.events = 1'500, .per_transaction = 100, .streams = 7}, payload);

  std::vector<Row> rows = rows_of(ours);
  CHECK(rows == rows_of(theirs));
  CHECK(heads_of(ours) == heads_of(theirs));
  // Every stream existed before the timed appends: 7 first events, then 15 appends round robin.
  REQUIRE(rows.size() == 1'507);
  CHECK(std::get<1>(rows[6]) == order_stream(6));
  CHECK(std::get<1>(rows[7]) == order_stream(0));
  CHECK(std::get<2>(rows[7]) == 2);
  // 15 appends of 100, round robin: the last one is order-0's third.
  CHECK(std::get<1>(rows.back()) == order_stream(0));
  CHECK(std::get<2>(rows.back()) == 301);
}

TEST_CASE("an append workload refuses a count of events that is not whole calls, before writing") {
  TempDir dir;
  auto file = dir.path() / "ours.db";
  CHECK_THROWS_WITH_AS(append(file, 1'050, 100, Synchronous::Normal, shop_payload(), 7),
                       "1050 events are not whole calls of 100", std::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(file));
}

TEST_CASE("a raw group of one-event appends writes one row to each of its streams") {
  TempDir dir;
  auto file = dir.path() / "theirs.db";
  EventStore::open(file);
  raw_append(file, {.events = 64, .per_transaction = 16, .streams = 20, .spread = RawAppend::Spread::StreamPerRow},
             shop_payload());
  auto heads = heads_of(file);
  REQUIRE(heads.size() == 20);
  for (int s = 0; s < 20; ++s) {
    // 1 event when created, then one in each of the 4 groups for the 16 streams the groups write to.
    std::int64_t expected = s < 16 ? 5 : 1;
    CHECK(std::count(heads.begin(), heads.end(), std::tuple{order_stream(s), std::string("order"), expected}) == 1);
  }
}

TEST_CASE("settling a WAL stops at the first batch that finds the WAL reused, and commits reuse it from there") {
  TempDir dir;
  auto file = dir.path() / "store.db";
  auto store = EventStore::open(file, {.synchronous = Synchronous::Full, .wal_autocheckpoint_pages = 64});
  Batches batches{store, 100};
  settle_wal(file, std::ref(batches));
  CHECK(batches.written >= 2);  // it held only the migrations at first: the first batch grows it
  CHECK(batches.written < 20);
  // Reused from here on: a batch more does not grow it.
  auto settled = wal_size(file);
  batches();
  CHECK(wal_size(file) <= settled);
}

TEST_CASE("settling a WAL that a reader keeps from being reused fails and names the file") {
  TempDir dir;
  auto file = dir.path() / "store.db";
  auto store = EventStore::open(file, {.synchronous = Synchronous::Full, .wal_autocheckpoint_pages = 64});
  Batches batches{store, 1};
  batches();
  // A read transaction holds its snapshot: no checkpoint may restart the WAL under it.
  SQLite::Database reader(file.string(), SQLite::OPEN_READONLY);
  reader.exec("BEGIN");
  CHECK(reader.execAndGet("SELECT count(*) FROM events").getInt() == 1);
  auto pinned = wal_size(file);
  batches();
  REQUIRE(wal_size(file) > pinned);  // the reader pins it: were it reused, settling would rightly stop
  std::string message = fmt::format("the WAL of {} still grows after 200 batches", file.string());
  CHECK_THROWS_WITH_AS(settle_wal(file, std::ref(batches)), doctest::Contains(message.c_str()), std::runtime_error);
}

TEST_CASE("settling fails, naming the file, when a reader keeps its last batch from being copied back") {
  TempDir dir;
  auto file = dir.path() / "store.db";
  auto store = EventStore::open(file, {.synchronous = Synchronous::Full, .wal_autocheckpoint_pages = 64});
  SQLite::Database reader(file.string(), SQLite::OPEN_READWRITE);
  bool reading = false;
  Batches batches{store, 1};
  // Before each batch, copy the WAL back and begin a read transaction: with nothing left in the WAL it reads
  // the database file alone, which does not keep the batch from restarting the WAL, but keeps any
  // checkpoint from copying the batch into the file under it.
  auto write_batch = [&] {
    if (reading) reader.exec("COMMIT");
    reader.exec("PRAGMA wal_checkpoint(PASSIVE)");
    reader.exec("BEGIN");
    CHECK(reader.execAndGet("SELECT count(*) FROM events").getInt() == batches.written);
    reading = true;
    batches();
  };
  std::string message = fmt::format("the checkpoint of {} copied 0 of", file.string());
  CHECK_THROWS_WITH_AS(settle_wal(file, write_batch), doctest::Contains(message.c_str()), std::runtime_error);
}

}  // namespace
}  // namespace evlite::bench
