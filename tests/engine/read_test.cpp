// Reads (DESIGN.md §3): read_stream in both directions, read_all with filters, paging across cursor pages,
// stream_version, head_position, list_streams and stats; what is stored, checked with raw SQL; the
// append-only triggers; timestamps.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "support/test_helpers.h"
#include "evlite/engine/errors.h"
#include "evlite/engine/event_store.h"
#include "evlite/engine/filter.h"
#include "evlite/engine/ndjson.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::testing;
using namespace std::chrono_literals;

namespace {

// The log most read tests start from (position: stream, type):
//   1 order-1 OrderPlaced    2 order-1 OrderPaid     3 order-2 OrderPlaced   4 customer-7 CustomerRegistered
//   5 order-1 OrderShipped   6 inventory StockAdded  7 orderly-1 OrderPlaced
// Each event's data is {"n":<its position>}.
void append_sample_log(EventStore& store) {
  store.append("order-1", ExpectedVersion::no_stream(),
               {make_event("OrderPlaced", R"({"n":1})"), make_event("OrderPaid", R"({"n":2})")});
  store.append("order-2", ExpectedVersion::no_stream(), {make_event("OrderPlaced", R"({"n":3})")});
  store.append("customer-7", ExpectedVersion::no_stream(), {make_event("CustomerRegistered", R"({"n":4})")});
  store.append("order-1", ExpectedVersion::exact(2), {make_event("OrderShipped", R"({"n":5})")});
  store.append("inventory", ExpectedVersion::no_stream(), {make_event("StockAdded", R"({"n":6})")});
  store.append("orderly-1", ExpectedVersion::no_stream(), {make_event("OrderPlaced", R"({"n":7})")});
}

StreamRead forwards(std::optional<StreamVersion> from = std::nullopt, std::int64_t max_count = kNoLimit) {
  return StreamRead{.direction = Direction::Forward, .from = from, .max_count = max_count};
}

StreamRead backwards(std::optional<StreamVersion> from = std::nullopt, std::int64_t max_count = kNoLimit) {
  return StreamRead{.direction = Direction::Backward, .from = from, .max_count = max_count};
}

// "1 2 3": the stream versions of `events` in order.
std::string versions_of(const std::vector<RecordedEvent>& events) {
  std::string out;
  for (const RecordedEvent& event : events) {
    if (!out.empty()) out += ' ';
    out += std::to_string(event.version.value);
  }
  return out;
}

// "a b c": the ids of `streams` in order.
std::string ids_of(const std::vector<StreamInfo>& streams) {
  std::string out;
  for (const StreamInfo& stream : streams) {
    if (!out.empty()) out += ' ';
    out += stream.stream_id;
  }
  return out;
}

// "a=1 b=2", sorted by name; "duplicate name" if a name appears twice.
std::string counts_of(const std::vector<std::pair<std::string, std::int64_t>>& counts) {
  const std::map<std::string, std::int64_t> sorted(counts.begin(), counts.end());
  if (sorted.size() != counts.size()) return "duplicate name";
  std::string out;
  for (const auto& entry : sorted) {
    if (!out.empty()) out += ' ';
    out += entry.first + "=" + std::to_string(entry.second);
  }
  return out;
}

Timestamp now() { return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()); }

std::int64_t micros(Timestamp t) { return t.time_since_epoch().count(); }

// A raw connection to the store file, beside the store's own, for checking and tampering with SQL.
SQLite::Database raw_connection(const std::filesystem::path& path) {
  return SQLite::Database(path.string(), SQLite::OPEN_READWRITE, 5000);
}

}  // namespace

// ---- read_stream ----

TEST_CASE_FIXTURE(TempStore, "read_stream reads a stream forwards from its first event by default") {
  append_sample_log(store);
  const auto events = all_of(store.read_stream("order-1"));
  CHECK(versions_of(events) == "1 2 3");
  CHECK(positions_of(events) == "1 2 5");
  REQUIRE(events.size() == 3u);
  CHECK(events[0].type == "OrderPlaced");
  CHECK(events[1].type == "OrderPaid");
  CHECK(events[2].type == "OrderShipped");
  CHECK(events[2].data == R"({"n":5})");
  for (const RecordedEvent& event : events) CHECK(event.stream_id == "order-1");
}

TEST_CASE_FIXTURE(TempStore, "read_stream reads a stream backwards from its last event by default") {
  append_sample_log(store);
  const auto events = all_of(store.read_stream("order-1", backwards()));
  CHECK(versions_of(events) == "3 2 1");
  CHECK(positions_of(events) == "5 2 1");
}

TEST_CASE_FIXTURE(TempStore, "read_stream from a version includes that version in both directions") {
  append_sample_log(store);
  CHECK(versions_of(all_of(store.read_stream("order-1", forwards(StreamVersion{2})))) == "2 3");
  CHECK(versions_of(all_of(store.read_stream("order-1", backwards(StreamVersion{2})))) == "2 1");
  CHECK(versions_of(all_of(store.read_stream("order-1", forwards(StreamVersion{3})))) == "3");
  CHECK(versions_of(all_of(store.read_stream("order-1", backwards(StreamVersion{1})))) == "1");
  CHECK(versions_of(all_of(store.read_stream("order-1", forwards(StreamVersion{4})))) == "");
}

TEST_CASE_FIXTURE(TempStore, "read_stream stops after max_count events") {
  append_sample_log(store);
  CHECK(versions_of(all_of(store.read_stream("order-1", forwards(std::nullopt, 2)))) == "1 2");
  CHECK(versions_of(all_of(store.read_stream("order-1", backwards(std::nullopt, 2)))) == "3 2");
  CHECK(versions_of(all_of(store.read_stream("order-1", forwards(StreamVersion{2}, 1)))) == "2");
  CHECK(versions_of(all_of(store.read_stream("order-1", backwards(StreamVersion{3}, 1)))) == "3");
  CHECK(versions_of(all_of(store.read_stream("order-1", forwards(std::nullopt, 0)))) == "");
  CHECK(versions_of(all_of(store.read_stream("order-1", forwards(std::nullopt, 10)))) == "1 2 3");
}

TEST_CASE_FIXTURE(TempStore, "read_stream of an absent stream yields an empty cursor and its version is 0") {
  append_sample_log(store);
  EventCursor cursor = store.read_stream("order-99");
  CHECK_FALSE(cursor.next());
  CHECK(all_of(store.read_stream("order-99", backwards())).empty());
  CHECK(store.stream_version("order-99") == StreamVersion{0});
}

TEST_CASE_FIXTURE(TempStore, "read_stream with a bad stream id throws InvalidArgument") {
  for (const std::string& stream : {std::string(), std::string(257, 'a'), std::string("a\nb"), std::string("$all")}) {
    INFO("stream id of ", stream.size(), " bytes");
    CHECK_THROWS_AS(all_of(store.read_stream(stream)), InvalidArgument);
  }
}

TEST_CASE_FIXTURE(TempStore, "reads with a negative max_count throw InvalidArgument") {
  append_sample_log(store);
  CHECK_THROWS_AS(all_of(store.read_stream("order-1", forwards(std::nullopt, -1))), InvalidArgument);
  CHECK_THROWS_AS(all_of(store.read_stream("order-1", backwards(std::nullopt, -1))), InvalidArgument);
  CHECK_THROWS_AS(all_of(store.read_all(AllRead{.from = Position{1}, .max_count = -1, .filter = {}})),
                  InvalidArgument);
}

// ---- read_all and filters ----

TEST_CASE_FIXTURE(TempStore, "read_all reads the whole log in position order by default") {
  append_sample_log(store);
  const auto events = all_of(store.read_all());
  CHECK(positions_of(events) == "1 2 3 4 5 6 7");
  REQUIRE(events.size() == 7u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].data == R"({"n":)" + std::to_string(i + 1) + "}");
  }
  CHECK(events[3].stream_id == "customer-7");
  CHECK(events[3].version == StreamVersion{1});
  CHECK(events[4].stream_id == "order-1");
  CHECK(events[4].version == StreamVersion{3});
}

TEST_CASE_FIXTURE(TempStore, "read_all from a position includes that position and stops after max_count events") {
  append_sample_log(store);
  auto read = [&](Position from, std::int64_t max_count) {
    return positions_of(all_of(store.read_all(AllRead{.from = from, .max_count = max_count, .filter = {}})));
  };
  CHECK(read(Position{3}, 2) == "3 4");
  CHECK(read(Position{3}, kNoLimit) == "3 4 5 6 7");
  CHECK(read(Position{7}, kNoLimit) == "7");
  CHECK(read(Position{8}, kNoLimit) == "");
  CHECK(read(Position{1}, 0) == "");
}

TEST_CASE_FIXTURE(TempStore,
                  "read_all with a filter delivers the events matching every list and any entry within a list") {
  append_sample_log(store);
  struct Case {
    const char* description;
    Filter filter;
    const char* positions;
  };
  const std::vector<Case> cases = {
      {"no filter", Filter{}, "1 2 3 4 5 6 7"},
      {"one category (not orderly)", Filter{.categories = {"order"}, .types = {}, .stream_prefixes = {}}, "1 2 3 5"},
      {"two categories", Filter{.categories = {"order", "customer"}, .types = {}, .stream_prefixes = {}},
       "1 2 3 4 5"},
      {"the category of an id without a dash", Filter{.categories = {"inventory"}, .types = {}, .stream_prefixes = {}},
       "6"},
      {"one type", Filter{.categories = {}, .types = {"OrderPlaced"}, .stream_prefixes = {}}, "1 3 7"},
      {"two types", Filter{.categories = {}, .types = {"OrderPlaced", "StockAdded"}, .stream_prefixes = {}},
       "1 3 6 7"},
      {"one prefix", Filter{.categories = {}, .types = {}, .stream_prefixes = {"order"}}, "1 2 3 5 7"},
      {"two prefixes", Filter{.categories = {}, .types = {}, .stream_prefixes = {"order-1", "inv"}}, "1 2 5 6"},
      {"category and type", Filter{.categories = {"order"}, .types = {"OrderPlaced"}, .stream_prefixes = {}}, "1 3"},
      {"all three lists",
       Filter{.categories = {"order", "orderly"},
              .types = {"OrderPlaced", "OrderPaid"},
              .stream_prefixes = {"orderly"}},
       "7"},
      {"nothing matches", Filter{.categories = {"customer"}, .types = {"OrderPlaced"}, .stream_prefixes = {}}, ""},
      {"an unknown category", Filter{.categories = {"nope"}, .types = {}, .stream_prefixes = {}}, ""},
      {"LIKE wildcards in a prefix are plain characters",
       Filter{.categories = {}, .types = {}, .stream_prefixes = {"%", "_rder", "order_1"}}, ""},
  };
  for (const Case& test : cases) {
    INFO(test.description);
    const AllRead read{.from = Position{1}, .max_count = kNoLimit, .filter = test.filter};
    CHECK(positions_of(all_of(store.read_all(read))) == test.positions);
  }
}

TEST_CASE_FIXTURE(TempStore, "read_all with a filter counts max_count in matching events and starts at from") {
  append_sample_log(store);
  const Filter orders{.categories = {"order"}, .types = {}, .stream_prefixes = {}};
  CHECK(positions_of(all_of(store.read_all(AllRead{.from = Position{1}, .max_count = 3, .filter = orders}))) ==
        "1 2 3");
  CHECK(positions_of(all_of(store.read_all(AllRead{.from = Position{3}, .max_count = kNoLimit, .filter = orders}))) ==
        "3 5");
  CHECK(positions_of(all_of(store.read_all(AllRead{.from = Position{4}, .max_count = 1, .filter = orders}))) == "5");
}

TEST_CASE("category_of is the part of a stream id before the first dash, or the whole id") {
  CHECK(category_of("order-42") == "order");
  CHECK(category_of("plain") == "plain");
  CHECK(category_of("order-42-line-3") == "order");
  CHECK(category_of("order-") == "order");
}

TEST_CASE("Filter::matches applies AND across lists and OR within a list") {
  CHECK(Filter{}.empty());
  CHECK(Filter{}.matches("anything-1", "AnyType"));
  const Filter filter{.categories = {"order", "cart"}, .types = {"Placed", "Paid"}, .stream_prefixes = {}};
  CHECK_FALSE(filter.empty());
  CHECK(filter.matches("order-1", "Placed"));
  CHECK(filter.matches("cart-9", "Paid"));
  CHECK_FALSE(filter.matches("order-1", "Shipped"));
  CHECK_FALSE(filter.matches("orderly-1", "Placed"));
  CHECK_FALSE(filter.matches("customer-1", "Paid"));
  const Filter prefixed{.categories = {}, .types = {}, .stream_prefixes = {"order-1"}};
  CHECK(prefixed.matches("order-1", "X"));
  CHECK(prefixed.matches("order-17", "X"));
  CHECK_FALSE(prefixed.matches("order-2", "X"));
}

// ---- Paging ----

TEST_CASE("reads longer than Options::read_page_events return every event in order across pages") {
  TempDir dir;
  EventStore store = EventStore::open(dir.path() / "paged.db", Options{.read_page_events = 3});
  // Positions 1–12: every third event in other-1, the rest in page-1; every fourth event's type is Rare.
  for (int position = 1; position <= 12; ++position) {
    const std::string stream = position % 3 == 0 ? "other-1" : "page-1";
    const std::string type = position % 4 == 0 ? "Rare" : "Common";
    store.append(stream, ExpectedVersion::any(), {make_event(type, R"({"n":)" + std::to_string(position) + "}")});
  }

  CHECK(positions_of(all_of(store.read_stream("page-1"))) == "1 2 4 5 7 8 10 11");
  CHECK(versions_of(all_of(store.read_stream("page-1"))) == "1 2 3 4 5 6 7 8");
  CHECK(versions_of(all_of(store.read_stream("page-1", backwards()))) == "8 7 6 5 4 3 2 1");
  CHECK(versions_of(all_of(store.read_stream("page-1", forwards(StreamVersion{4})))) == "4 5 6 7 8");
  CHECK(versions_of(all_of(store.read_stream("page-1", backwards(StreamVersion{7}, 5)))) == "7 6 5 4 3");
  CHECK(versions_of(all_of(store.read_stream("page-1", forwards(StreamVersion{2}, 4)))) == "2 3 4 5");

  auto read_all = [&](Position from, std::int64_t max_count, Filter filter) {
    return positions_of(all_of(store.read_all(AllRead{.from = from, .max_count = max_count, .filter = filter})));
  };
  CHECK(read_all(Position{1}, kNoLimit, {}) == "1 2 3 4 5 6 7 8 9 10 11 12");
  CHECK(read_all(Position{1}, 7, {}) == "1 2 3 4 5 6 7");
  CHECK(read_all(Position{5}, kNoLimit, {}) == "5 6 7 8 9 10 11 12");
  CHECK(read_all(Position{1}, kNoLimit, Filter{.categories = {}, .types = {"Rare"}, .stream_prefixes = {}}) ==
        "4 8 12");
  CHECK(read_all(Position{1}, 2, Filter{.categories = {}, .types = {"Rare"}, .stream_prefixes = {}}) == "4 8");
  CHECK(read_all(Position{1}, kNoLimit, Filter{.categories = {"other"}, .types = {}, .stream_prefixes = {}}) ==
        "3 6 9 12");
  CHECK(read_all(Position{1}, kNoLimit, Filter{.categories = {"other"}, .types = {"Rare"}, .stream_prefixes = {}}) ==
        "12");
}

TEST_CASE("drain into a vector replaces what it held with the events left, batch after batch and across pages") {
  TempDir dir;
  EventStore store = EventStore::open(dir.path() / "paged.db", Options{.read_page_events = 3});
  for (int position = 1; position <= 10; ++position) {
    store.append(position % 2 == 0 ? "even-1" : "odd-1", ExpectedVersion::any(),
                 {make_event("Counted", R"({"n":)" + std::to_string(position) + "}")});
  }
  auto batch = [&](Position from, std::int64_t max_count, Filter filter = {}) {
    return store.read_all(AllRead{.from = from, .max_count = max_count, .filter = std::move(filter)});
  };

  std::vector<RecordedEvent> events;
  batch(Position{1}, 4).drain(events);  // two pages
  CHECK(positions_of(events) == "1 2 3 4");
  batch(Position{5}, 2).drain(events);  // fewer than the vector holds
  CHECK(positions_of(events) == "5 6");
  CHECK(events[1].data == R"({"n":6})");
  batch(Position{1}, kNoLimit, Filter{.categories = {"even"}, .types = {}, .stream_prefixes = {}}).drain(events);
  CHECK(positions_of(events) == "2 4 6 8 10");
  CHECK(events.back().stream_id == "even-1");
  EventCursor started = batch(Position{1}, 5);
  REQUIRE(started.next());
  started.drain(events);  // what is left after the current event
  CHECK(positions_of(events) == "2 3 4 5");
  batch(Position{11}, kNoLimit).drain(events);
  CHECK(events.empty());

  // The next batch is written over the last one's events: a long event's buffer is kept for a shorter one.
  auto text_of = [](std::size_t length) { return R"({"text":")" + std::string(length, 'x') + "\"}"; };
  store.append("odd-1", ExpectedVersion::any(), {make_event("Counted", text_of(1000))});
  store.append("odd-1", ExpectedVersion::any(), {make_event("Counted", text_of(100))});
  batch(Position{11}, 1).drain(events);
  REQUIRE(events.size() == 1);
  batch(Position{12}, 1).drain(events);
  REQUIRE(positions_of(events) == "12");
  CHECK(events[0].data.size() == 111);
  CHECK(events[0].data.capacity() >= 1011);
}

TEST_CASE("a read_all cursor without a count limit also yields events committed after it was created") {
  TempDir dir;
  EventStore store = EventStore::open(dir.path() / "paged.db", Options{.read_page_events = 3});
  for (int i = 0; i < 10; ++i) store.append("page-1", ExpectedVersion::any(), {make_event()});

  EventCursor cursor = store.read_all();
  std::vector<RecordedEvent> events;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(cursor.next());
    events.push_back(cursor.event());
  }
  store.append("page-2", ExpectedVersion::any(), std::vector<NewEvent>(5, make_event()));
  while (cursor.next()) events.push_back(cursor.event());

  CHECK(position_mismatch(events, 1, 15) == "");
}

// ---- stream_version, head_position, list_streams, stats ----

TEST_CASE_FIXTURE(TempStore,
                  "stream_version and head_position follow appends and are 0 for an absent stream and an empty store") {
  CHECK(store.head_position() == Position{0});
  CHECK(store.stream_version("order-1") == StreamVersion{0});
  append_sample_log(store);
  CHECK(store.head_position() == Position{7});
  CHECK(store.stream_version("order-1") == StreamVersion{3});
  CHECK(store.stream_version("order-2") == StreamVersion{1});
  CHECK(store.stream_version("order") == StreamVersion{0});
  CHECK(store.stream_version("order-3") == StreamVersion{0});
}

TEST_CASE_FIXTURE(TempStore,
                  "list_streams lists streams in id order, pages with after and max_count, and filters by category") {
  CHECK(store.list_streams().empty());
  append_sample_log(store);
  auto list = [&](StreamList request) { return ids_of(store.list_streams(request)); };

  CHECK(ids_of(store.list_streams()) == "customer-7 inventory order-1 order-2 orderly-1");
  CHECK(list({.category = "", .after = "", .max_count = 2}) == "customer-7 inventory");
  CHECK(list({.category = "", .after = "inventory", .max_count = 2}) == "order-1 order-2");
  CHECK(list({.category = "", .after = "order-2", .max_count = 2}) == "orderly-1");
  CHECK(list({.category = "", .after = "orderly-1", .max_count = 2}) == "");
  CHECK(list({.category = "", .after = "order", .max_count = 1000}) == "order-1 order-2 orderly-1");
  CHECK(list({.category = "order", .after = "", .max_count = 1000}) == "order-1 order-2");
  CHECK(list({.category = "order", .after = "order-1", .max_count = 1000}) == "order-2");
  CHECK(list({.category = "nope", .after = "", .max_count = 1000}) == "");

  std::string paged;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    const auto streams = store.list_streams({.category = "", .after = after, .max_count = 2});
    if (streams.empty()) break;
    if (!paged.empty()) paged += ' ';
    paged += ids_of(streams);
    after = streams.back().stream_id;
  }
  CHECK(paged == "customer-7 inventory order-1 order-2 orderly-1");
}

TEST_CASE_FIXTURE(TempStore, "list_streams gives each stream's category, version and times") {
  const Timestamp before = now();
  append_sample_log(store);
  const Timestamp after = now();

  const auto streams = store.list_streams();
  REQUIRE(streams.size() == 5u);
  const StreamInfo& order = streams[2];
  CHECK(order.stream_id == "order-1");
  CHECK(order.category == "order");
  CHECK(order.version == StreamVersion{3});
  CHECK(micros(order.created_at) <= micros(order.updated_at));
  CHECK(micros(order.created_at) >= micros(before - 1s));
  CHECK(micros(order.updated_at) <= micros(after + 1s));
  CHECK(streams[1].category == "inventory");
  CHECK(streams[1].version == StreamVersion{1});
  CHECK(streams[4].category == "orderly");
}

TEST_CASE_FIXTURE(TempStore, "stats counts events and streams in total, per category and per type") {
  const EventStore::Stats empty = store.stats();
  CHECK(empty.events == 0);
  CHECK(empty.streams == 0);
  CHECK(empty.head == Position{0});
  CHECK(empty.events_per_category.empty());
  CHECK(empty.events_per_type.empty());

  append_sample_log(store);
  const EventStore::Stats stats = store.stats();
  CHECK(stats.events == 7);
  CHECK(stats.streams == 5);
  CHECK(stats.head == Position{7});
  CHECK(counts_of(stats.events_per_category) == "customer=1 inventory=1 order=4 orderly=1");
  CHECK(counts_of(stats.events_per_type) ==
        "CustomerRegistered=1 OrderPaid=1 OrderPlaced=3 OrderShipped=1 StockAdded=1");
}

// ---- Recorded events ----

TEST_CASE_FIXTURE(TempStore,
                  "a recorded event carries what it was appended with, its position and version, and a recent "
                  "recorded_at") {
  store.append("customer-1", ExpectedVersion::no_stream(), {make_event("Other")});
  NewEvent renamed = event_with_id(test_uuid(42), "CustomerRenamed", R"({"name":"Ada"})");
  renamed.schema_version = 3;
  renamed.metadata = R"({"user":"u-1"})";

  const Timestamp before = now();
  store.append("customer-7", ExpectedVersion::no_stream(), {make_event("CustomerRegistered"), renamed});
  const Timestamp after = now();

  const auto events = all_of(store.read_stream("customer-7"));
  REQUIRE(events.size() == 2u);
  const RecordedEvent& event = events[1];
  CHECK(event.position == Position{3});
  CHECK(event.stream_id == "customer-7");
  CHECK(event.version == StreamVersion{2});
  CHECK(event.id == test_uuid(42));
  CHECK(event.type == "CustomerRenamed");
  CHECK(event.schema_version == 3);
  CHECK(event.data == R"({"name":"Ada"})");
  CHECK(json_at(event.metadata, "$.user") == "u-1");
  CHECK(correlation_id(event) == test_uuid(42));
  CHECK(micros(event.recorded_at) >= micros(before - 1s));
  CHECK(micros(event.recorded_at) <= micros(after + 1s));
  CHECK(events[0].schema_version == 1);

  const auto from_all = all_of(store.read_all(AllRead{.from = Position{3}, .max_count = 1, .filter = {}}));
  REQUIRE(from_all.size() == 1u);
  CHECK(from_all[0] == event);
}

TEST_CASE("to_iso8601 formats a timestamp as UTC with six fractional digits") {
  CHECK(to_iso8601(Timestamp{std::chrono::microseconds{1'700'000'000'123'456}}) == "2023-11-14T22:13:20.123456Z");
  CHECK(to_iso8601(Timestamp{std::chrono::microseconds{1'700'000'000'000'007}}) == "2023-11-14T22:13:20.000007Z");
  CHECK(to_iso8601(Timestamp{}) == "1970-01-01T00:00:00.000000Z");
}

// ---- What is stored ----

TEST_CASE_FIXTURE(TempStore,
                  "data is stored minified: whitespace between tokens goes, key order, numbers and strings stay exactly") {
  const std::string pretty = "{\n  \"b\": 1,\n  \"a\": [1, 2],\r\n  \"c\": {\"d\": \"x y\"}\n}";
  const std::vector<std::pair<std::string, std::string>> given_and_stored = {
      {R"({"b":1, "a":2})", R"({"b":1,"a":2})"},
      {R"({"x": 1.50, "e": 2E3})", R"({"x":1.50,"e":2E3})"},
      {R"({"text":"line1\nline2 \u00e9"})", R"({"text":"line1\nline2 \u00e9"})"},
      {"[1, 2]", "[1,2]"},
      {R"({"q":"say \"hi there\"", "z":1})", R"({"q":"say \"hi there\"","z":1})"},  // escaped quotes
      {R"({"p":"C:\\", "z":1})", R"({"p":"C:\\","z":1})"},                            // an escaped backslash
      {"{\"\u00e9t\u00e9\": \"\xc3\xbc \", \"z\": 1}", "{\"\u00e9t\u00e9\":\"\xc3\xbc \",\"z\":1}"},
      {R"("just a string")", R"("just a string")"}};
  NewEvent pretty_metadata = make_event("PrettyMetadata");
  pretty_metadata.metadata = "{\n  \"user\": \"u-1\"\n}";
  std::vector<NewEvent> events = {make_event("Pretty", pretty), pretty_metadata};
  for (const auto& [given, stored] : given_and_stored) events.push_back(make_event("AsGiven", given));
  store.append("doc-1", ExpectedVersion::no_stream(), events);

  const auto stored = all_of(store.read_stream("doc-1"));
  REQUIRE(stored.size() == 2 + given_and_stored.size());
  CHECK(stored[0].data == R"({"b":1,"a":[1,2],"c":{"d":"x y"}})");
  CHECK(json_at(stored[1].metadata, "$.user") == "u-1");
  for (std::size_t i = 0; i < given_and_stored.size(); ++i) CHECK(stored[2 + i].data == given_and_stored[i].second);

  SQLite::Database raw = raw_connection(db_path);
  CHECK(raw.execAndGet("SELECT data FROM events WHERE position = 1").getString() ==
        R"({"b":1,"a":[1,2],"c":{"d":"x y"}})");
  CHECK(raw.execAndGet("SELECT count(*) FROM events WHERE instr(data, char(10)) OR instr(data, char(13)) OR "
                       "instr(metadata, char(10)) OR instr(metadata, char(13))")
            .getInt64() == 0);
}

TEST_CASE_FIXTURE(TempStore, "a retry whose data differs only in whitespace is the same append") {
  NewEvent first = event_with_id(test_uuid(1), "Spaced", R"({"a": 1})");
  NewEvent retry = event_with_id(test_uuid(1), "Spaced", "{\n  \"a\":1\n}");
  auto original = store.append("doc-2", ExpectedVersion::no_stream(), {first});
  CHECK(store.append("doc-2", ExpectedVersion::no_stream(), {retry}) == original);
  CHECK(store.head_position() == Position{1});
}

TEST_CASE_FIXTURE(TempStore, "stored rows hold the event as JSON that SQLite's json functions read") {
  store.append("order-1", ExpectedVersion::no_stream(),
               {event_with_id(test_uuid(9), "OrderPlaced", R"({"n":42,"items":[{"sku":"a-1"}]})")});

  SQLite::Database raw = raw_connection(db_path);
  SQLite::Statement row(raw,
                        "SELECT stream_id, version, event_id, type, json_extract(data, '$.n'), "
                        "json_extract(data, '$.items[0].sku'), json_extract(metadata, '$.correlation_id'), "
                        "json_valid(metadata) FROM events WHERE position = 1");
  REQUIRE(row.executeStep());
  CHECK(row.getColumn(0).getString() == "order-1");
  CHECK(row.getColumn(1).getInt64() == 1);
  CHECK(row.getColumn(2).getString() == test_uuid(9));
  CHECK(row.getColumn(3).getString() == "OrderPlaced");
  CHECK(row.getColumn(4).getInt64() == 42);
  CHECK(row.getColumn(5).getString() == "a-1");
  CHECK(row.getColumn(6).getString() == test_uuid(9));
  CHECK(row.getColumn(7).getInt() == 1);

  SQLite::Statement head(raw, "SELECT category, version FROM streams WHERE stream_id = 'order-1'");
  REQUIRE(head.executeStep());
  CHECK(head.getColumn(0).getString() == "order");
  CHECK(head.getColumn(1).getInt64() == 1);
}

// ---- The log is append-only ----

TEST_CASE_FIXTURE(TempStore,
                  "UPDATE and DELETE on the events table are refused by triggers and the event stays as it was") {
  store.append("order-1", ExpectedVersion::no_stream(), {make_event("OrderPlaced", R"({"n":1})")});
  const auto before = all_of(store.read_all());

  SQLite::Database raw = raw_connection(db_path);
  for (const char* sql : {"UPDATE events SET data = '{}'", "UPDATE events SET type = 'Forged' WHERE position = 1",
                          "UPDATE events SET position = 99", "DELETE FROM events",
                          "DELETE FROM events WHERE position = 1",
                          "INSERT INTO events (position, stream_id, version, event_id, type, schema_version, data, "
                          "metadata, recorded_at) SELECT position, stream_id, version, event_id, type, schema_version, "
                          "data, metadata, recorded_at FROM events WHERE position = 1 "
                          "ON CONFLICT(position) DO UPDATE SET data = '{}'"}) {
    INFO(sql);
    auto error = thrown<SQLite::Exception>([&] { raw.exec(sql); });
    REQUIRE(error.has_value());
    CHECK((error->getErrorCode() & 0xff) == SQLITE_CONSTRAINT);  // a trigger's RAISE(ABORT, …)
  }
  CHECK(raw.execAndGet("SELECT data FROM events WHERE position = 1").getString() == R"({"n":1})");
  CHECK(raw.execAndGet("SELECT count(*) FROM events").getInt64() == 1);
  CHECK(all_of(store.read_all()) == before);
}

TEST_CASE_FIXTURE(TempStore, "INSERT OR REPLACE over a stored event is refused and the event stays as it was") {
  store.append("order-1", ExpectedVersion::no_stream(), {make_event("OrderPlaced", R"({"n":1})")});
  const auto before = all_of(store.read_all());

  // REPLACE deletes the conflicting row without firing DELETE triggers (unless recursive_triggers is on),
  // so only a check on INSERT keeps this path from rewriting the log.
  SQLite::Database raw = raw_connection(db_path);
  for (const char* sql :
       {"INSERT OR REPLACE INTO events (position, stream_id, version, event_id, type, schema_version, data, metadata, "
        "recorded_at) SELECT position, stream_id, version, event_id, 'Forged', schema_version, '{}', metadata, "
        "recorded_at FROM events WHERE position = 1",
        "REPLACE INTO events (position, stream_id, version, event_id, type, schema_version, data, metadata, "
        "recorded_at) SELECT 2, stream_id, version, event_id, 'Forged', schema_version, '{}', metadata, recorded_at "
        "FROM events WHERE position = 1"}) {
    INFO(sql);
    CHECK_THROWS_AS(raw.exec(sql), SQLite::Exception);
  }
  CHECK(raw.execAndGet("SELECT count(*) FROM events").getInt64() == 1);
  CHECK(all_of(store.read_all()) == before);
}

TEST_CASE("from_iso8601 reads what to_iso8601 writes and refuses any other shape, short or long") {
  Timestamp t{std::chrono::microseconds{1'700'000'000'123'456}};
  CHECK(from_iso8601(to_iso8601(t)) == t);
  for (std::string bad : {"", "2", "2026-11-23", "2026-11-23T06:42:08Z", "2026-13-23T06:42:08.123456Z",
                          "2026-11-23T06:42:08.123456Zx", "2026-11-23 06:42:08.123456Z"}) {
    CAPTURE(bad);
    CHECK_THROWS_AS(from_iso8601(bad), InvalidArgument);
  }
}
