// Append (DESIGN.md §3): expectations, idempotent retries, event ids, metadata, validation of input, and
// append_many's all-or-nothing rule. Every refused append is checked to have written nothing.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "support/test_helpers.h"
#include "evlite/engine/errors.h"
#include "evlite/engine/event_store.h"
#include "support/temp_store.h"
#include "support/writer_access.h"
#include "json_text.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

// Everything an append can change, to check that a refused one changed nothing.
struct LogState {
  Position head;
  std::int64_t events = 0;
  std::int64_t streams = 0;
  friend bool operator==(const LogState&, const LogState&) = default;
};

std::ostream& operator<<(std::ostream& out, const LogState& state) {
  return out << "{head " << state.head.value << ", " << state.events << " events, " << state.streams << " streams}";
}

LogState log_state(const EventStore& store) {
  const EventStore::Stats stats = store.stats();
  return {store.head_position(), stats.events, stats.streams};
}

bool mentions(const std::exception& error, const std::string& text) {
  return std::string(error.what()).find(text) != std::string::npos;
}

}  // namespace

// ---- Expectations ----

TEST_CASE_FIXTURE(TempStore,
                  "each expectation is accepted or refused as specified against an absent stream and a stream at "
                  "version 2") {
  struct Cell {
    const char* expectation;
    ExpectedVersion expected;
    std::int64_t initial_version;
    bool accepted;
  };
  const std::vector<Cell> cells = {
      {"any()", ExpectedVersion::any(), 0, true},
      {"no_stream()", ExpectedVersion::no_stream(), 0, true},
      {"stream_exists()", ExpectedVersion::stream_exists(), 0, false},
      {"exact(0)", ExpectedVersion::exact(0), 0, true},
      {"exact(2)", ExpectedVersion::exact(2), 0, false},
      {"exact(3)", ExpectedVersion::exact(3), 0, false},
      {"any()", ExpectedVersion::any(), 2, true},
      {"no_stream()", ExpectedVersion::no_stream(), 2, false},
      {"stream_exists()", ExpectedVersion::stream_exists(), 2, true},
      {"exact(0)", ExpectedVersion::exact(0), 2, false},
      {"exact(2)", ExpectedVersion::exact(2), 2, true},
      {"exact(3)", ExpectedVersion::exact(3), 2, false},
  };

  for (std::size_t i = 0; i < cells.size(); ++i) {
    const Cell& cell = cells[i];
    const std::string stream = "matrix-" + std::to_string(i);
    INFO(cell.expectation, " against a stream at version ", cell.initial_version);
    if (cell.initial_version > 0) store.append(stream, ExpectedVersion::any(), {make_event(), make_event()});
    const LogState before = log_state(store);

    if (cell.accepted) {
      const AppendResult result = store.append(stream, cell.expected, {make_event()});
      CHECK(result.version == StreamVersion{cell.initial_version + 1});
      CHECK(result.first_position == Position{before.head.value + 1});
      CHECK(result.last_position == Position{before.head.value + 1});
      CHECK(store.stream_version(stream) == StreamVersion{cell.initial_version + 1});
      CHECK(store.head_position() == Position{before.head.value + 1});
    } else {
      auto error = thrown<WrongExpectedVersion>([&] { store.append(stream, cell.expected, {make_event()}); });
      CHECK(error.has_value());
      if (!error) continue;
      CHECK(error->stream() == stream);
      CHECK(error->expected() == cell.expected);
      CHECK(error->actual() == StreamVersion{cell.initial_version});
      CHECK(mentions(*error, stream));
      CHECK(log_state(store) == before);
      CHECK(store.stream_version(stream) == StreamVersion{cell.initial_version});
    }
  }
}

TEST_CASE_FIXTURE(TempStore,
                  "append with exact(2) to a stream at version 3 throws WrongExpectedVersion and writes nothing") {
  store.append("order-1", ExpectedVersion::no_stream(), {make_event(), make_event(), make_event()});
  const LogState before = log_state(store);
  const auto events_before = all_of(store.read_stream("order-1"));

  auto error = thrown<WrongExpectedVersion>(
      [&] { store.append("order-1", ExpectedVersion::exact(2), {make_event("Late"), make_event("Later")}); });

  REQUIRE(error.has_value());
  CHECK(error->stream() == "order-1");
  CHECK(error->expected() == ExpectedVersion::exact(2));
  CHECK(error->actual() == StreamVersion{3});
  CHECK(log_state(store) == before);
  CHECK(all_of(store.read_stream("order-1")) == events_before);
}

TEST_CASE_FIXTURE(TempStore,
                  "appends give stream versions from 1 per stream and global positions from 1 in commit order") {
  const AppendResult first = store.append("order-1", ExpectedVersion::no_stream(), {make_event(), make_event()});
  const AppendResult second = store.append("order-2", ExpectedVersion::no_stream(), {make_event()});
  const AppendResult third = store.append("order-1", ExpectedVersion::exact(2), {make_event(), make_event()});

  CHECK(first == AppendResult{StreamVersion{2}, Position{1}, Position{2}});
  CHECK(second == AppendResult{StreamVersion{1}, Position{3}, Position{3}});
  CHECK(third == AppendResult{StreamVersion{4}, Position{4}, Position{5}});
  CHECK(positions_of(all_of(store.read_stream("order-1"))) == "1 2 4 5");
  CHECK(store.head_position() == Position{5});
}

TEST_CASE("ExpectedVersion::parse reads any, no-stream, exists and a non-negative version") {
  CHECK(ExpectedVersion::parse("any") == ExpectedVersion::any());
  CHECK(ExpectedVersion::parse("no-stream") == ExpectedVersion::no_stream());
  CHECK(ExpectedVersion::parse("exists") == ExpectedVersion::stream_exists());
  CHECK(ExpectedVersion::parse("5") == ExpectedVersion::exact(5));
  CHECK(ExpectedVersion::parse("5").kind() == ExpectedVersion::Kind::Exact);
  CHECK(ExpectedVersion::parse("5").value() == 5);
  CHECK(ExpectedVersion::parse("9223372036854775807").value() == INT64_MAX);

  const ExpectedVersion zero = ExpectedVersion::parse("0");
  CHECK(zero.accepts(StreamVersion{0}));
  CHECK_FALSE(zero.accepts(StreamVersion{1}));
}

TEST_CASE("ExpectedVersion::parse throws InvalidArgument naming the text for anything else") {
  for (const char* text : {"-1", "abc", "", "9223372036854775808", "5x", "Any"}) {
    INFO("parse(\"", text, "\")");
    auto error = thrown<InvalidArgument>([&] { ExpectedVersion::parse(text); });
    CHECK(error.has_value());
    if (error && std::string(text).size() > 1) CHECK(mentions(*error, text));
  }
}

TEST_CASE("ExpectedVersion::exact of a negative version throws InvalidArgument") {
  CHECK_THROWS_AS(ExpectedVersion::exact(-1), InvalidArgument);
  CHECK_THROWS_AS(ExpectedVersion::exact(INT64_MIN), InvalidArgument);
}

TEST_CASE("ExpectedVersion::to_string spells expectations as the CLI does") {
  CHECK(ExpectedVersion::any().to_string() == "any");
  CHECK(ExpectedVersion::no_stream().to_string() == "no-stream");
  CHECK(ExpectedVersion::stream_exists().to_string() == "exists");
  CHECK(ExpectedVersion::exact(5).to_string() == "5");
}

// ---- Idempotency ----

TEST_CASE_FIXTURE(TempStore,
                  "appending the same events again returns the original result and writes nothing, whatever the "
                  "expectation says") {
  const std::vector<NewEvent> events = {event_with_id(test_uuid(1), "OrderPlaced", R"({"total":10})"),
                                        event_with_id(test_uuid(2), "OrderPaid", R"({"amount":10})")};
  const AppendResult original = store.append("order-1", ExpectedVersion::no_stream(), events);
  store.append("order-2", ExpectedVersion::no_stream(), {make_event()});
  const LogState before = log_state(store);
  const auto stored_before = all_of(store.read_all());

  for (const ExpectedVersion expected : {ExpectedVersion::no_stream(), ExpectedVersion::exact(0),
                                         ExpectedVersion::exact(7), ExpectedVersion::any(),
                                         ExpectedVersion::stream_exists(), ExpectedVersion::exact(2)}) {
    INFO("retried with expectation ", expected);
    const AppendResult retry = store.append("order-1", expected, events);
    CHECK(retry.version == original.version);
    CHECK(retry.first_position == original.first_position);
    CHECK(retry.last_position == original.last_position);
    CHECK(log_state(store) == before);
  }
  CHECK(all_of(store.read_all()) == stored_before);
}

TEST_CASE_FIXTURE(TempStore,
                  "retrying an earlier append that is no longer the stream's last returns that append's original "
                  "result") {
  const std::vector<NewEvent> first_call = {event_with_id(test_uuid(1)), event_with_id(test_uuid(2))};
  const std::vector<NewEvent> second_call = {event_with_id(test_uuid(3))};
  const AppendResult first = store.append("order-1", ExpectedVersion::no_stream(), first_call);
  const AppendResult second = store.append("order-1", ExpectedVersion::exact(2), second_call);
  const LogState before = log_state(store);

  CHECK(store.append("order-1", ExpectedVersion::no_stream(), first_call) ==
        AppendResult{StreamVersion{2}, Position{1}, Position{2}});
  CHECK(store.append("order-1", ExpectedVersion::exact(2), second_call) == second);
  CHECK(first == AppendResult{StreamVersion{2}, Position{1}, Position{2}});
  CHECK(log_state(store) == before);
}

TEST_CASE_FIXTURE(TempStore,
                  "an append where only some of the ids are stored throws DuplicateEventId and writes nothing") {
  store.append("order-1", ExpectedVersion::no_stream(), {event_with_id(test_uuid(1)), event_with_id(test_uuid(2))});
  const LogState before = log_state(store);

  std::vector<NewEvent> events;
  SUBCASE("a stored id followed by a new one") { events = {event_with_id(test_uuid(2)), event_with_id(test_uuid(3))}; }
  SUBCASE("a new id followed by a stored one") { events = {event_with_id(test_uuid(3)), event_with_id(test_uuid(1))}; }
  SUBCASE("every stored id and one new id") {
    events = {event_with_id(test_uuid(1)), event_with_id(test_uuid(2)), event_with_id(test_uuid(3))};
  }
  SUBCASE("the stored ids in another order") { events = {event_with_id(test_uuid(2)), event_with_id(test_uuid(1))}; }

  auto error = thrown<DuplicateEventId>([&] { store.append("order-1", ExpectedVersion::any(), events); });

  REQUIRE(error.has_value());
  CHECK(error->stream() == "order-1");
  bool names_an_id_of_the_call = false;
  for (const NewEvent& event : events) names_an_id_of_the_call |= error->event_id() == event.id;
  CHECK(names_an_id_of_the_call);
  CHECK(log_state(store) == before);
  CHECK(store.stream_version("order-1") == StreamVersion{2});
}

TEST_CASE_FIXTURE(TempStore, "an id stored in one stream and appended to another throws DuplicateEventId") {
  store.append("order-1", ExpectedVersion::no_stream(), {event_with_id(test_uuid(1))});
  const LogState before = log_state(store);

  auto error = thrown<DuplicateEventId>(
      [&] { store.append("order-2", ExpectedVersion::no_stream(), {event_with_id(test_uuid(1))}); });

  REQUIRE(error.has_value());
  CHECK(error->event_id() == test_uuid(1));
  CHECK(error->stream() == "order-2");
  CHECK(mentions(*error, test_uuid(1)));
  CHECK(log_state(store) == before);
  CHECK(store.stream_version("order-2") == StreamVersion{0});
}

TEST_CASE_FIXTURE(TempStore, "an id stored with other data or another type throws DuplicateEventId") {
  store.append("order-1", ExpectedVersion::no_stream(), {event_with_id(test_uuid(1), "OrderPlaced", R"({"n":1})")});
  const LogState before = log_state(store);

  NewEvent changed = event_with_id(test_uuid(1), "OrderPlaced", R"({"n":1})");
  SUBCASE("other data") { changed.data = R"({"n":2})"; }
  SUBCASE("another type") { changed.type = "OrderCancelled"; }

  auto error = thrown<DuplicateEventId>([&] { store.append("order-1", ExpectedVersion::any(), {changed}); });

  REQUIRE(error.has_value());
  CHECK(error->event_id() == test_uuid(1));
  CHECK(error->stream() == "order-1");
  CHECK(log_state(store) == before);
  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 1u);
  CHECK(stored[0].type == "OrderPlaced");
  CHECK(stored[0].data == R"({"n":1})");
}

TEST_CASE_FIXTURE(TempStore, "the same id twice in one append throws DuplicateEventId and writes nothing") {
  const LogState before = log_state(store);

  auto error = thrown<DuplicateEventId>([&] {
    store.append("order-1", ExpectedVersion::no_stream(), {event_with_id(test_uuid(1)), event_with_id(test_uuid(1))});
  });

  REQUIRE(error.has_value());
  CHECK(error->event_id() == test_uuid(1));
  CHECK(log_state(store) == before);
  CHECK(store.stream_version("order-1") == StreamVersion{0});
}

// ---- Event ids ----

TEST_CASE_FIXTURE(TempStore, "a caller's UUID is stored as given and an id that is not a UUID throws InvalidArgument") {
  store.append("order-1", ExpectedVersion::no_stream(), {event_with_id("0190a5f3-7b1c-4d2e-9f00-123456789abc")});
  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 1u);
  CHECK(stored[0].id == "0190a5f3-7b1c-4d2e-9f00-123456789abc");
  const LogState before = log_state(store);

  for (const char* id : {"not-a-uuid", "0190a5f37b1c4d2e9f00123456789abc", "{0190a5f3-7b1c-4d2e-9f00-123456789abc}",
                         "0190a5f3-7b1c-4d2e-9f00-123456789abz", "0190a5f3-7b1c-4d2e-9f00-123456789ab"}) {
    INFO("id \"", id, "\"");
    CHECK_THROWS_AS(store.append("order-2", ExpectedVersion::any(), {event_with_id(id)}), InvalidArgument);
    CHECK(log_state(store) == before);
  }
}

TEST_CASE_FIXTURE(TempStore,
                  "ids the engine generates are UUIDv7 strings that ascend in the order they were generated") {
  store.append("generated-1", ExpectedVersion::any(), std::vector<NewEvent>(40, make_event()));
  for (int i = 0; i < 20; ++i) store.append("generated-2", ExpectedVersion::any(), {make_event()});

  const auto events = all_of(store.read_all());
  REQUIRE(events.size() == 60u);
  for (std::size_t i = 0; i < events.size(); ++i) {
    const std::string& id = events[i].id;
    INFO("event ", i, " id ", id);
    REQUIRE(id.size() == 36u);
    bool well_formed = true;
    for (std::size_t k = 0; k < id.size(); ++k) {
      const bool dash_expected = k == 8 || k == 13 || k == 18 || k == 23;
      const bool lower_hex = (id[k] >= '0' && id[k] <= '9') || (id[k] >= 'a' && id[k] <= 'f');
      well_formed &= dash_expected ? id[k] == '-' : lower_hex;
    }
    CHECK(well_formed);
    CHECK(id[14] == '7');
    CHECK(std::string("89ab").find(id[19]) != std::string::npos);

    // The first 48 bits are the Unix time in milliseconds when the id was made.
    const std::int64_t id_ms = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
    const std::int64_t recorded_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(events[i].recorded_at.time_since_epoch()).count();
    CHECK(std::llabs(id_ms - recorded_ms) < 60'000);

    if (i > 0) CHECK(events[i - 1].id < id);
  }
}

// ---- Metadata ----

TEST_CASE_FIXTURE(TempStore, "metadata without ids gets correlation_id and causation_id equal to the event's own id") {
  store.append("order-1", ExpectedVersion::no_stream(), {make_event(), event_with_id(test_uuid(7))});

  const auto events = all_of(store.read_stream("order-1"));
  REQUIRE(events.size() == 2u);
  for (const RecordedEvent& event : events) {
    INFO("event ", event.id, " metadata ", event.metadata);
    CHECK(json_type_of(event.metadata) == "object");
    CHECK(json_at(event.metadata, "$.correlation_id") == event.id);
    CHECK(json_at(event.metadata, "$.causation_id") == event.id);
    CHECK(correlation_id(event) == event.id);
    CHECK(causation_id(event) == event.id);
  }
  CHECK(events[1].id == test_uuid(7));
}

TEST_CASE_FIXTURE(TempStore, "correlation and causation ids given as NewEvent fields are stored in the metadata") {
  NewEvent event = make_event();
  event.correlation_id = test_uuid(100);
  event.causation_id = test_uuid(101);
  store.append("order-1", ExpectedVersion::no_stream(), {event});

  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 1u);
  CHECK(correlation_id(stored[0]) == test_uuid(100));
  CHECK(causation_id(stored[0]) == test_uuid(101));
  CHECK(json_at(stored[0].metadata, "$.correlation_id") == test_uuid(100));
  CHECK(json_at(stored[0].metadata, "$.causation_id") == test_uuid(101));
}

TEST_CASE_FIXTURE(TempStore, "correlation and causation ids given in the metadata object are kept") {
  NewEvent event = make_event();
  event.metadata = R"({"correlation_id":")" + test_uuid(100) + R"(","causation_id":")" + test_uuid(101) + R"("})";
  store.append("order-1", ExpectedVersion::no_stream(), {event});

  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 1u);
  CHECK(correlation_id(stored[0]) == test_uuid(100));
  CHECK(causation_id(stored[0]) == test_uuid(101));
}

TEST_CASE_FIXTURE(TempStore, "a correlation id given both as a field and in the metadata is taken from the field") {
  NewEvent event = make_event();
  event.metadata = R"({"correlation_id":")" + test_uuid(100) + R"("})";
  event.correlation_id = test_uuid(200);
  store.append("order-1", ExpectedVersion::no_stream(), {event});

  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 1u);
  CHECK(correlation_id(stored[0]) == test_uuid(200));
  CHECK(causation_id(stored[0]) == stored[0].id);
}

TEST_CASE_FIXTURE(TempStore, "events of one append that share metadata each get the ids their own metadata calls for") {
  // The metadata of the first event is reused for the next ones only where it does not depend on an id.
  std::string with_ids = R"({"correlation_id":")" + test_uuid(100) + R"(","causation_id":")" + test_uuid(101) + R"("})";
  std::string correlation_only = R"({"correlation_id":")" + test_uuid(100) + R"("})";
  std::vector<NewEvent> events;
  for (const std::string& metadata : {with_ids, with_ids, correlation_only, correlation_only, std::string("{}"),
                                      std::string("{}")}) {
    NewEvent event = make_event();
    event.metadata = metadata;
    events.push_back(event);
  }
  events[1].causation_id = test_uuid(102);  // same metadata text, but a field that changes the result
  store.append("order-1", ExpectedVersion::no_stream(), events);

  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 6u);
  CHECK(causation_id(stored[0]) == test_uuid(101));
  CHECK(causation_id(stored[1]) == test_uuid(102));
  for (int i : {2, 3}) {
    CHECK(correlation_id(stored[i]) == test_uuid(100));
    CHECK(causation_id(stored[i]) == stored[i].id);
  }
  for (int i : {4, 5}) {
    CHECK(correlation_id(stored[i]) == stored[i].id);
    CHECK(causation_id(stored[i]) == stored[i].id);
  }
}

TEST_CASE_FIXTURE(TempStore, "the caller's own metadata keys are kept beside the ids") {
  NewEvent event = make_event();
  event.metadata = R"({"user":"alice","tenant":7,"tags":["a","b"],"nested":{"ip":"10.0.0.1"}})";
  store.append("order-1", ExpectedVersion::no_stream(), {event});

  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 1u);
  const std::string& metadata = stored[0].metadata;
  INFO("metadata ", metadata);
  CHECK(json_at(metadata, "$.user") == "alice");
  CHECK(json_at(metadata, "$.tenant") == "7");
  CHECK(json_at(metadata, "$.tags") == R"(["a","b"])");
  CHECK(json_at(metadata, "$.nested.ip") == "10.0.0.1");
  CHECK(correlation_id(stored[0]) == stored[0].id);
  CHECK(causation_id(stored[0]) == stored[0].id);
}

TEST_CASE_FIXTURE(TempStore, "metadata that is not a JSON object throws InvalidArgument and writes nothing") {
  const LogState before = log_state(store);
  for (const char* metadata : {"[1]", "3", R"("text")", "null", "{nope", "", "{} {}"}) {
    INFO("metadata ", metadata);
    NewEvent event = make_event();
    event.metadata = metadata;
    CHECK_THROWS_AS(store.append("order-1", ExpectedVersion::any(), {event}), InvalidArgument);
    CHECK(log_state(store) == before);
  }
}

// Metadata that mentions the id keys is scanned by simdjson when it can vouch for the text, else by
// nlohmann's parser (here: a leading space, which the early check leaves to json()); both must agree.
TEST_CASE_FIXTURE(TempStore, "an id key given twice or not as a string is refused naming it and writes nothing whichever parser scans the metadata") {
  const LogState before = log_state(store);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"correlation_id":"a","correlation_id":"b"})", R"(key "correlation_id" appears twice)"},
      {R"({"correlation\u005fid":"a","correlation_id":"b"})", R"(key "correlation_id" appears twice)"},
      {R"({"user":"u","causation_id":7})", "correlation_id and causation_id must be strings"},
      {R"({"causation_id":{"id":"x"}})", "correlation_id and causation_id must be strings"},
      {R"({"correlation_id":null})", "correlation_id and causation_id must be strings"},
  };
  for (const auto& [metadata, message] : cases) {
    for (const std::string& text : {metadata, " " + metadata}) {
      INFO("metadata '", text, "'");
      NewEvent event = make_event();
      event.metadata = text;
      auto error = thrown<InvalidArgument>([&] { store.append("order-1", ExpectedVersion::any(), {event}); });
      REQUIRE(error.has_value());
      CHECK(std::string(error->what()).find("metadata must be a JSON object: " + message) != std::string::npos);
      CHECK(log_state(store) == before);
    }
  }
}

TEST_CASE_FIXTURE(TempStore, "metadata ids are taken from top-level keys only and from keys spelled with escapes whichever parser scans the metadata") {
  const std::string nested = R"({"nested":{"correlation_id":"n"},"correlation\u005fid":"c","n":1})";
  const std::string escaped_only = R"({"correlation\u005fid":"c","n":1})";  // no id key spelled plainly
  std::vector<NewEvent> events;
  for (const std::string& metadata : {nested, " " + nested, escaped_only, " " + escaped_only}) {
    events.push_back(make_event());
    events.back().metadata = metadata;
  }
  store.append("order-1", ExpectedVersion::no_stream(), events);

  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 4u);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    INFO("metadata ", stored[i].metadata);
    CHECK(correlation_id(stored[i]) == "c");
    CHECK(json_at(stored[i].metadata, "$.correlation_id") == "c");  // one such key, not a second in front
    CHECK(causation_id(stored[i]) == stored[i].id);
    CHECK(json_at(stored[i].metadata, "$.n") == "1");
    if (i < 2) CHECK(json_at(stored[i].metadata, "$.nested.correlation_id") == "n");
  }
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(TempStore, "an id field that overrides the metadata's replaces only that value and the caller's other bytes are stored as written") {
  // A nested value with brackets and quotes in its strings before the id key, numbers and escapes as
  // written: only the id's value changes, and the id the metadata lacks goes in front.
  const std::string rest = R"("n":1.50,"b":123456789012345678901234567890,"s":"\u0041","e":1E2})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"correlation_id":"c",)" + rest, R"({"causation_id":"{id}","correlation_id":"x",)" + rest},
      {R"({"a":{"b":[1,{"c":"}\"]"}]},"t":true,"correlation_id":"c","z":null,)" + rest,
       R"({"causation_id":"{id}","a":{"b":[1,{"c":"}\"]"}]},"t":true,"correlation_id":"x","z":null,)" + rest},
      {R"({"causation_id":"d","correlation\u005fid":"c",)" + rest, R"({"causation_id":"d","correlation_id":"x",)" + rest},
      {R"( { "correlation_id" : "c" , "n" : 1.50 } )", R"({"causation_id":"{id}","correlation_id":"x","n":1.50})"},
  };
  std::vector<NewEvent> events;
  for (const auto& [metadata, expected] : cases) {
    events.push_back(make_event());
    events.back().metadata = metadata;
    events.back().correlation_id = "x";
  }
  store.append("order-1", ExpectedVersion::no_stream(), events);

  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    std::string expected = cases[i].second;
    if (auto at = expected.find("{id}"); at != std::string::npos) expected.replace(at, 4, stored[i].id);
    CHECK(stored[i].metadata == expected);
    CHECK(json_at(stored[i].metadata, "$.correlation_id") == "x");
  }
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(TempStore, "the ids are read from metadata whose other values no parser holds and a missing or malformed id throws InvalidArgument naming the event") {
  NewEvent event = make_event();
  event.metadata = R"({"n":1e400,"s":"\ud800","big":123456789012345678901234567890})";
  store.append("order-1", ExpectedVersion::no_stream(), {event});
  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 1u);
  CHECK(correlation_id(stored[0]) == stored[0].id);
  CHECK(causation_id(stored[0]) == stored[0].id);

  RecordedEvent foreign = stored[0];
  for (const auto& [metadata, message] : std::vector<std::pair<std::string, std::string>>{
           {R"({"n":1})", R"(no "correlation_id")"},
           {R"({"correlation_id":7})", "is not a string"},
           {"[1]", "not a JSON object"},
           {R"({"correlation_id":"ab)", "not a JSON object"},
           {R"({"correlation_id")", "not a JSON object"},
           {"{", "not a JSON object"},
           {"", "not a JSON object"},
       }) {
    INFO("metadata '", metadata, "'");
    foreign.metadata = metadata;
    auto error = thrown<InvalidArgument>([&] { correlation_id(foreign); });
    REQUIRE(error.has_value());
    CHECK(mentions(*error, message));
    CHECK(mentions(*error, foreign.id));
  }
}

// ---- Invalid input ----

TEST_CASE_FIXTURE(TempStore,
                  "stream ids that are empty, too long, hold control characters, are not UTF-8 or are reserved "
                  "throw InvalidArgument and write nothing") {
  const std::vector<std::pair<const char*, std::string>> bad_ids = {
      {"empty", ""},
      {"257 bytes", std::string(257, 'a')},
      {"a line break", "a\nb"},
      {"a tab", "a\tb"},
      {"an embedded NUL", std::string("a\0b", 3)},
      {"invalid UTF-8", "\xff\xfe"},
      {"a truncated UTF-8 sequence", "caf\xc3"},
      {"the reserved $all", "$all"},
      {"a reserved $ prefix", "$orders-1"},
  };
  store.append("order-1", ExpectedVersion::no_stream(), {make_event()});
  const LogState before = log_state(store);

  for (const auto& bad : bad_ids) {
    INFO("a stream id with ", bad.first);
    CHECK_THROWS_AS(store.append(bad.second, ExpectedVersion::any(), {make_event()}), InvalidArgument);
    CHECK(log_state(store) == before);
  }
}

TEST_CASE_FIXTURE(TempStore,
                  "a stream id of exactly 256 bytes, multi-byte UTF-8 included, is accepted and round-trips") {
  std::string two_byte_characters;
  for (int i = 0; i < 128; ++i) two_byte_characters += "\xc3\xa9";  // é
  for (const std::string& stream : {std::string(256, 's'), two_byte_characters}) {
    REQUIRE(stream.size() == 256u);
    const AppendResult result = store.append(stream, ExpectedVersion::no_stream(), {make_event()});
    CHECK(result.version == StreamVersion{1});
    const auto events = all_of(store.read_stream(stream));
    REQUIRE(events.size() == 1u);
    CHECK(events[0].stream_id == stream);
    CHECK(store.stream_version(stream) == StreamVersion{1});
  }
  CHECK(store.list_streams().size() == 2u);
}

TEST_CASE_FIXTURE(TempStore, "a stream id that looks like SQL is an ordinary stream id and round-trips") {
  const std::string stream = "'; DROP TABLE events; --";
  store.append("order-1", ExpectedVersion::no_stream(), {make_event()});
  store.append(stream, ExpectedVersion::no_stream(), {make_event("Injected", R"({"q":"' OR 1=1 --"})")});

  const auto events = all_of(store.read_stream(stream));
  REQUIRE(events.size() == 1u);
  CHECK(events[0].stream_id == stream);
  CHECK(events[0].data == R"({"q":"' OR 1=1 --"})");
  CHECK(store.stream_version(stream) == StreamVersion{1});
  CHECK(store.head_position() == Position{2});
  CHECK(positions_of(all_of(store.read_all())) == "1 2");
  const auto streams = store.list_streams();
  REQUIRE(streams.size() == 2u);
  CHECK(streams[0].stream_id == stream);  // ' (0x27) sorts before o
  CHECK(streams[0].category == "'; DROP TABLE events; ");
}

TEST_CASE_FIXTURE(TempStore, "event types that are empty, too long or hold control characters throw InvalidArgument") {
  const LogState before = log_state(store);
  for (const std::string& type : {std::string(), std::string(257, 'T'), std::string("Order\nPlaced")}) {
    INFO("type of ", type.size(), " bytes");
    CHECK_THROWS_AS(store.append("order-1", ExpectedVersion::any(), {make_event(type)}), InvalidArgument);
    CHECK(log_state(store) == before);
  }
  CHECK(store.append("order-1", ExpectedVersion::any(), {make_event(std::string(256, 'T'))}).version ==
        StreamVersion{1});
}

TEST_CASE_FIXTURE(TempStore,
                  "data that is not valid JSON or not valid UTF-8 throws InvalidArgument and writes nothing") {
  const std::vector<std::pair<const char*, std::string>> bad_data = {
      {"unparsable", "{nope"},
      {"empty", ""},
      {"two documents", "{} {}"},
      {"a trailing comma", R"({"a":1,})"},
      {"invalid UTF-8 inside a string", "{\"s\":\"\xff\"}"},
      {"a truncated UTF-8 sequence inside a string", "{\"s\":\"caf\xc3\"}"},
  };
  const LogState before = log_state(store);
  for (const auto& bad : bad_data) {
    INFO("data: ", bad.first);
    const NewEvent event = make_event("Tested", bad.second);
    CHECK_THROWS_AS(store.append("order-1", ExpectedVersion::any(), {event}), InvalidArgument);
    CHECK(log_state(store) == before);
  }
}

TEST_CASE_FIXTURE(TempStore, "data may be any JSON value and is stored as given") {
  const std::vector<std::string> values = {"42", "[1,2]", R"("text")", "null", "true", R"({"a":{"b":[]}})"};
  std::vector<NewEvent> events;
  for (const std::string& value : values) events.push_back(make_event("Valued", value));
  store.append("values-1", ExpectedVersion::no_stream(), events);

  const auto stored = all_of(store.read_stream("values-1"));
  REQUIRE(stored.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(stored[i].data == values[i]);
}

TEST_CASE_FIXTURE(TempStore,
                  "JSON that the check before the write lock cannot vouch for is checked by the insert and stored "
                  "as given") {
  // simdjson refuses these, SQLite's json() accepts them: the insert decides, as for any text.
  const std::vector<std::string> values = {
      R"({"big":123456789012345678901234567890})",       // an integer beyond 64 bits
      "[1e400,-1e400]",                                  // beyond a double's range
      R"(["\ud800","\udc00x"])",                         // lone surrogate escapes
      R"({"s":")" + std::string(20'000, 'x') + R"("})",  // over the 16 KiB the check looks at
  };
  // The same in metadata, with escapes too (which could spell an id key, so they are looked at).
  const std::vector<std::string> metadata = {
      R"({"n":123456789012345678901234567890})",
      R"({"s":"\ud800"})",
      R"({"n":1e400,"s":"caf\u00e9"})",
      R"({"s":"\u0041"})",
  };
  std::vector<NewEvent> events;
  for (std::size_t i = 0; i < values.size(); ++i) {
    NewEvent event = make_event("Valued", values[i]);
    event.metadata = metadata[i];
    events.push_back(event);
  }
  store.append("values-1", ExpectedVersion::no_stream(), events);

  const auto stored = all_of(store.read_stream("values-1"));
  REQUIRE(stored.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    CHECK(stored[i].data == values[i]);
    const std::string ids = R"({"correlation_id":")" + stored[i].id + R"(","causation_id":")" + stored[i].id + R"(",)";
    CHECK(stored[i].metadata == ids + metadata[i].substr(1));
  }
  CHECK(store.verify().ok());

  // And over 16 KiB, malformed JSON is refused by the insert.
  const LogState before = log_state(store);
  const std::string long_bad = R"({"s":")" + std::string(20'000, 'x') + R"(","n":01})";
  auto error = thrown<InvalidArgument>(
      [&] { store.append("values-1", ExpectedVersion::any(), {make_event("Bad", long_bad)}); });
  REQUIRE(error.has_value());
  CHECK(mentions(*error, "data is not valid JSON"));
  CHECK(log_state(store) == before);
}

TEST_CASE_FIXTURE(TempStore,
                  "an event text over SQLite's length limit throws InvalidArgument, writes nothing, and the next "
                  "append is stored") {
  // A lower limit on the store's own writer stands in for SQLite's 1 GB one.
  on_writer(store, [](SQLite::Database& db) { sqlite3_limit(db.getHandle(), SQLITE_LIMIT_LENGTH, 10'000); });
  store.append("order-1", ExpectedVersion::no_stream(), {make_event("Placed", R"({"n":1})")});
  const LogState before = log_state(store);
  const std::string long_data = R"({"s":")" + std::string(12'000, 'x') + R"("})";
  NewEvent long_metadata = make_event();
  long_metadata.metadata = long_data;
  for (const NewEvent& event : {make_event("Long", long_data), long_metadata}) {
    auto error = thrown<InvalidArgument>(
        [&] { store.append("order-1", ExpectedVersion::exact(1), {make_event(), event}); });
    REQUIRE(error.has_value());
    CHECK(mentions(*error, "length limit"));
    CHECK(mentions(*error, "order-1"));
    CHECK(log_state(store) == before);
  }

  store.append("order-1", ExpectedVersion::exact(1), {make_event("Shipped", R"({"n":2})")});
  const auto stored = all_of(store.read_stream("order-1"));
  REQUIRE(stored.size() == 2u);
  CHECK(stored[1].data == R"({"n":2})");
  CHECK(store.verify().ok());
}

TEST_CASE("the check before the write lock vouches only for minified JSON that SQLite's json() stores as given") {
  SQLite::Database sqlite(":memory:");
  SQLite::Statement json(sqlite, "SELECT json(?1)");
  auto stored_as_given = [&](const std::string& text) {
    json.reset();
    json.bind(1, text);
    return json.executeStep() && json.getColumn(0).getString() == text;
  };
  const std::string deep_1000 = std::string(1000, '[') + std::string(1000, ']');
  const std::string string_of_16k = "\"" + std::string(detail::kMaxFastText - 2, 'x') + "\"";
  const std::vector<std::string> vouched = {
      R"({"a":1})", "[1,2]", R"("x")", "-0", "1E+2", "0e0", "1e-400", R"("\u0000\/")", "true", "null", "{}",
      R"({"a":1,"a":2})", deep_1000, string_of_16k};
  for (const std::string& text : vouched) {
    INFO("text: ", text.substr(0, 40));
    CHECK(detail::is_surely_json(text));
    CHECK(stored_as_given(text));
  }
  const std::vector<std::string> left_to_json = {
      "",
      "\xEF\xBB\xBF{\"a\":1}",  // a byte-order mark: json() refuses it, simdjson from 3.6 skips it
      R"({"a":01})", R"([1,])", "123456789012345678901234567890", "1e400", R"("\ud800")",
      "[" + deep_1000 + "]",  // deeper than 1,000
      "\"" + std::string(detail::kMaxFastText - 1, 'x') + "\"",  // one byte over 16 KiB
  };
  for (const std::string& text : left_to_json) {
    INFO("text: ", text.substr(0, 40));
    CHECK_FALSE(detail::is_surely_json(text));
  }
}

TEST_CASE_FIXTURE(TempStore, "data or metadata that starts with a byte-order mark throws InvalidArgument") {
  const std::string bom = "\xEF\xBB\xBF";
  NewEvent metadata = make_event();
  metadata.metadata = bom + R"({"correlation_id":"c","causation_id":"d"})";
  NewEvent without_ids = make_event();  // its ids are spliced in, after the mark, which json() then refuses
  without_ids.metadata = bom + R"({"a":1})";
  for (const NewEvent& event : {make_event("Marked", bom + R"({"a":1})"), metadata, without_ids}) {
    CHECK_THROWS_AS(store.append("order-1", ExpectedVersion::any(), {event}), InvalidArgument);
  }
  CHECK(store.head_position() == Position{0});
}

TEST_CASE_FIXTURE(TempStore, "an append of no events throws InvalidArgument") {
  CHECK_THROWS_AS(store.append("order-1", ExpectedVersion::any(), {}), InvalidArgument);
  CHECK(log_state(store) == LogState{Position{0}, 0, 0});
}

// ---- append_many ----

TEST_CASE_FIXTURE(TempStore, "append_many writes every part in one call and returns each part's result in order") {
  store.append("customer-1", ExpectedVersion::no_stream(), {make_event()});

  const std::vector<AppendResult> results = store.append_many({
      StreamAppend{"order-1", ExpectedVersion::no_stream(), {make_event(), make_event()}},
      StreamAppend{"customer-1", ExpectedVersion::exact(1), {make_event()}},
  });

  REQUIRE(results.size() == 2u);
  CHECK(results[0] == AppendResult{StreamVersion{2}, Position{2}, Position{3}});
  CHECK(results[1] == AppendResult{StreamVersion{2}, Position{4}, Position{4}});
  CHECK(store.stream_version("order-1") == StreamVersion{2});
  CHECK(store.stream_version("customer-1") == StreamVersion{2});
  CHECK(store.head_position() == Position{4});
}

TEST_CASE_FIXTURE(TempStore,
                  "append_many with one part's expectation failing throws WrongExpectedVersion naming that stream "
                  "and writes no part") {
  store.append("order-1", ExpectedVersion::no_stream(), {make_event()});
  store.append("customer-1", ExpectedVersion::no_stream(), {make_event()});
  const LogState before = log_state(store);

  auto error = thrown<WrongExpectedVersion>([&] {
    store.append_many({
        StreamAppend{"order-2", ExpectedVersion::no_stream(), {make_event(), make_event()}},
        StreamAppend{"customer-1", ExpectedVersion::exact(5), {make_event()}},
        StreamAppend{"order-1", ExpectedVersion::exact(1), {make_event()}},
    });
  });

  REQUIRE(error.has_value());
  CHECK(error->stream() == "customer-1");
  CHECK(error->expected() == ExpectedVersion::exact(5));
  CHECK(error->actual() == StreamVersion{1});
  CHECK(log_state(store) == before);
  CHECK(store.stream_version("order-2") == StreamVersion{0});
  CHECK(store.stream_version("customer-1") == StreamVersion{1});
  CHECK(store.stream_version("order-1") == StreamVersion{1});
}

TEST_CASE_FIXTURE(TempStore, "append_many with one invalid part throws InvalidArgument and writes no part") {
  const LogState before = log_state(store);
  std::vector<StreamAppend> parts = {StreamAppend{"order-1", ExpectedVersion::no_stream(), {make_event()}}};
  SUBCASE("a bad stream id") { parts.push_back(StreamAppend{"$all", ExpectedVersion::any(), {make_event()}}); }
  SUBCASE("bad data") { parts.push_back(StreamAppend{"order-2", ExpectedVersion::any(), {make_event("T", "{nope")}}); }
  SUBCASE("no events") { parts.push_back(StreamAppend{"order-2", ExpectedVersion::any(), {}}); }

  CHECK_THROWS_AS(store.append_many(parts), InvalidArgument);
  CHECK(log_state(store) == before);
  CHECK(store.stream_version("order-1") == StreamVersion{0});
}

TEST_CASE_FIXTURE(TempStore, "append_many with the same id in two parts throws DuplicateEventId and writes no part") {
  auto error = thrown<DuplicateEventId>([&] {
    store.append_many({
        StreamAppend{"order-1", ExpectedVersion::no_stream(), {event_with_id(test_uuid(1))}},
        StreamAppend{"order-2", ExpectedVersion::no_stream(), {event_with_id(test_uuid(1))}},
    });
  });

  REQUIRE(error.has_value());
  CHECK(error->event_id() == test_uuid(1));
  CHECK(log_state(store) == LogState{Position{0}, 0, 0});
}

TEST_CASE_FIXTURE(TempStore, "retrying an append_many returns the original results and writes nothing") {
  const std::vector<StreamAppend> parts = {
      StreamAppend{"order-1", ExpectedVersion::no_stream(), {event_with_id(test_uuid(1)), event_with_id(test_uuid(2))}},
      StreamAppend{"customer-1", ExpectedVersion::no_stream(), {event_with_id(test_uuid(3))}},
  };
  const std::vector<AppendResult> original = store.append_many(parts);
  const LogState before = log_state(store);

  const std::vector<AppendResult> retry = store.append_many(parts);

  REQUIRE(retry.size() == 2u);
  CHECK(retry[0] == original[0]);
  CHECK(retry[1] == original[1]);
  CHECK(log_state(store) == before);
}

TEST_CASE_FIXTURE(TempStore, "malformed metadata or data is refused naming which, as one event of several, and nothing is written") {
  auto check = [&](NewEvent bad, const std::string& fragment) {
    std::vector<NewEvent> events = {make_event(), bad, make_event()};
    auto error = thrown<InvalidArgument>([&] { store.append("doc-9", ExpectedVersion::any(), events); });
    REQUIRE(error.has_value());
    CHECK(std::string(error->what()).find(fragment) != std::string::npos);
    CHECK(std::string(error->what()).find("event 1") != std::string::npos);
    CHECK(store.head_position() == Position{0});
  };
  NewEvent metadata = make_event();
  metadata.metadata = R"({"user": })";
  check(metadata, "metadata is not valid JSON");
  metadata.metadata = R"({"user":})";  // minified, so stored as given if json() did not check it
  check(metadata, "metadata is not valid JSON");
  check(make_event("Bad", R"({"n": 01})"), "data is not valid JSON");
  check(make_event("Bad", "{\"s\":\"\xc3\x28\"}"), "data is not valid UTF-8");
  NewEvent utf8_metadata = make_event();
  utf8_metadata.metadata = "{\"s\":\"\xff\"}";
  check(utf8_metadata, "metadata must be a JSON object");

  // Events after the first that share its metadata text (ids given as fields, not defaulted to each event's
  // own) are stored without a second check of that text: the first one's check must refuse them all.
  metadata.correlation_id = test_uuid(1);
  metadata.causation_id = test_uuid(2);
  std::vector<NewEvent> shared(3, metadata);
  auto error = thrown<InvalidArgument>([&] { store.append("doc-9", ExpectedVersion::any(), shared); });
  REQUIRE(error.has_value());
  CHECK(std::string(error->what()).find("event 0") != std::string::npos);
  CHECK(store.head_position() == Position{0});
}
