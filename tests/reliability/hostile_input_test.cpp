// Hostile input: each malformed stream id, type, JSON, id, expectation or import line gets a clear error
// naming what was wrong, and leaves the store byte-identical (its file and WAL compared before and after).
#include <doctest/doctest.h>

#include <fstream>
#include <limits>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/temp_store.h"
#include "support/test_helpers.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

struct Fixture : TempStore {
  Fixture() {
    store.append("order-1", ExpectedVersion::any(), {make_event("Placed"), make_event("Paid")});
    store.append("order-2", ExpectedVersion::any(), {make_event("Placed")});
  }
  std::string snapshot() { return file_bytes(db_path) + "|" + file_bytes(db_path.string() + "-wal"); }

  // Runs `attempt`, which must throw an evlite::Error whose message contains `fragment`; the store must be
  // byte-identical afterwards. Returns the message.
  template <class Attempt>
  std::string refused(const std::string& label, Attempt attempt, const std::string& fragment = "") {
    CAPTURE(label);
    INFO("input: " << label);
    std::string before = snapshot();
    std::string message;
    try {
      attempt();
      FAIL("accepted: " << label);
    } catch (const Error& e) {
      message = e.what();
    }
    CHECK(message.find(fragment) != std::string::npos);
    CHECK(snapshot() == before);
    ++inputs;
    return message;
  }
  int inputs = 0;
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "hostile stream ids, types, JSON and ids are refused with a clear error, the file unchanged") {
  const std::vector<std::pair<std::string, std::string>> streams = {
      {"", "must not be empty"},
      {std::string(10 * 1024, 'a'), "10240 bytes; the limit is 256"},
      {std::string("a\0b", 3), "control characters"},
      {"\xff\xfe", "valid UTF-8"},
      {"\xc0\xaf", "valid UTF-8"},     // overlong '/'
      {"\xed\xa0\x80", "valid UTF-8"}, // a UTF-16 surrogate
      {"a\nb", "control characters"},
      {"$all", "reserved"}};
  for (const auto& [stream, why] : streams) {
    refused("stream " + stream.substr(0, 20), [&] { store.append(stream, ExpectedVersion::any(), {make_event()}); }, why);
  }
  for (const auto& [type, why] : std::vector<std::pair<std::string, std::string>>{
           {"", "event type must not be empty"}, {std::string(300, 't'), "limit is 256"}, {"T\x01", "control"},
           {"\xfe", "UTF-8"}}) {
    refused("type", [&, type = type] { store.append("order-3", ExpectedVersion::any(), {make_event(type)}); }, why);
  }
  for (const std::string& data : std::vector<std::string>{"", "{nope", "[1,]", "NaN", "01", "{\"a\":1}}", "{'a':1}", "\"\x01\"",
                                  "{\"a\":\"\xff\"}", std::string(100'000, '['),
                                  std::string("{\"a\":1}\0", 8), std::string("{\"a\":\"x\0y\"}", 12)}) {
    refused("data " + data.substr(0, 20), [&] { store.append("order-3", ExpectedVersion::any(), {make_event("T", data)}); },
            "data is not valid");
  }
  for (const std::string& metadata : std::vector<std::string>{"[1]", "3", "{broken", std::string("{}\0", 3),
                                                              std::string("{\"u\":\"\0\"}", 9), R"({"correlation_id":5})",
                                      R"({"correlation_id":"a","correlation_id":"b"})", R"({"user": })"}) {
    NewEvent e = make_event();
    e.metadata = metadata;
    refused("metadata " + metadata, [&] { store.append("order-3", ExpectedVersion::any(), {e}); }, "metadata");
  }
  for (const std::string& id : std::vector<std::string>{"not-a-uuid", "00000000-0000-4000-8000-00000000000", "00000000_0000-4000-8000-000000000000",
                                "g0000000-0000-4000-8000-000000000000"}) {
    refused("id " + id, [&] { store.append("order-3", ExpectedVersion::any(), {event_with_id(id)}); }, "not a UUID");
  }
  refused("an id stored in another stream", [&] {
    auto stored = store.read_stream("order-1").drain().front().id;
    store.append("order-3", ExpectedVersion::any(), {event_with_id(stored)});
  }, "duplicate event id");
  MESSAGE(inputs << " hostile inputs refused, the store byte-identical after each");
}

TEST_CASE_FIXTURE(Fixture, "a SQL-looking stream id is only a stream id") {
  std::string evil = "'; DROP TABLE events; --";
  store.append(evil, ExpectedVersion::no_stream(), {make_event()});
  CHECK(store.read_stream(evil).drain().size() == 1);
  CHECK(store.verify().ok());
}

TEST_CASE_FIXTURE(Fixture, "expected versions near 2^63, and malformed ones, are refused or mismatch cleanly") {
  for (const std::string& text : std::vector<std::string>{"-1", "9223372036854775808", "99999999999999999999", "1e3", " 1", "", "any ",
                                  "0x10", "+1", "Any"}) {
    refused("expected " + text, [&] { ExpectedVersion::parse(text); }, "expected version");
  }
  CHECK(ExpectedVersion::parse("9223372036854775807").value() == std::numeric_limits<std::int64_t>::max());
  refused("exact(2^63 - 1)", [&] {
    store.append("order-1", ExpectedVersion::exact(std::numeric_limits<std::int64_t>::max()), {make_event()});
  }, "expected 9223372036854775807, actual 2");
  refused("negative exact", [&] { ExpectedVersion::exact(std::numeric_limits<std::int64_t>::min()); }, ">= 0");
  refused("negative count", [&] { store.read_stream("order-1", {.max_count = -1}); }, "max_count");
}

TEST_CASE_FIXTURE(Fixture, "hostile import lines are refused naming the line, and nothing is imported") {
  const std::string good = R"({"position":10,"stream":"order-9","version":1,"id":"00000000-0000-4000-8000-000000000009",)"
                           R"("type":"T","schema_version":1,"data":{},"metadata":{"correlation_id":"c","causation_id":"c"},)"
                           R"("recorded_at":"2026-11-23T06:42:08.123456Z"})";
  auto with = [&](const std::string& key, const std::string& value) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(good);
    j[key] = nlohmann::ordered_json::parse(value);
    return j.dump();
  };
  const std::vector<std::string> lines = {
      "{", "[]", "null", "\"text\"", R"({"position":1})", with("position", R"("1")"), with("version", "0"),
      with("schema_version", "0"), with("schema_version", "99999999999"),
      with("metadata", "[1]"), with("recorded_at", R"("2026-13-01T00:00:00.000000Z")"),
      with("recorded_at", R"("yesterday")"), with("id", R"("nope")"), with("stream", R"("$x")"),
      with("type", R"("")"),
      std::string(good).replace(good.find(R"("data":{})"), 9, R"("data":1e999999)"), good.substr(0, good.size() - 1) + R"(,"extra":1})",
      good.substr(0, good.size() - 1) + R"(,"type":"again"})", std::string(1 << 20, 'x'), std::string("{\"a\0b\":1}", 9)};
  // Inconsistent only for an exact import (a re-append puts events at their stream's end anyway).
  const std::vector<std::string> exact_only = {with("version", "2"), with("position", "5")};
  for (const auto& line : lines) {
    for (auto mode : {EventStore::ImportMode::Exact, EventStore::ImportMode::Append}) {
      std::istringstream in(good + "\n" + line + "\n");
      refused("import " + line.substr(0, 60) + " mode " + std::to_string(int(mode)), [&] {
        // An exact import needs an empty store: use a fresh one beside, and check this one stays as it was.
        if (mode == EventStore::ImportMode::Exact) {
          TempDir other;
          EventStore empty = EventStore::open(other.path() / "empty.db");
          try {
            empty.import_ndjson(in, mode);
          } catch (const Error&) {
            CHECK(empty.head_position() == Position{0});  // all or nothing
            throw;
          }
          FAIL("accepted");
        }
        store.import_ndjson(in, mode);
      }, "line 2");  // the good line 1 was not the problem
    }
  }
  for (const auto& line : exact_only) {
    TempDir other;
    EventStore empty = EventStore::open(other.path() / "empty.db");
    std::istringstream in(good + "\n" + line + "\n");
    CAPTURE(line);
    CHECK_THROWS_WITH_AS(empty.import_ndjson(in, EventStore::ImportMode::Exact), doctest::Contains("line 2"),
                         InvalidArgument);
    CHECK(empty.head_position() == Position{0});
  }
}
