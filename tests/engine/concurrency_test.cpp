// Concurrency (DESIGN.md §3): threads of one process and separate processes appending to one store file
// leave every stream's versions contiguous, every id distinct, positions contiguous in commit order, and
// each writer's events in the order it appended them.
#include <doctest/doctest.h>

#include <cstdint>
#include <exception>
#include <latch>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/test_helpers.h"
#include "evlite/engine/errors.h"
#include "evlite/engine/event_store.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

// The event a writer appends as its `i`-th: data {"<key>":<writer>,"i":<i>}.
NewEvent writer_event(const std::string& type, const std::string& key, int writer, int i) {
  return make_event(type, "{\"" + key + "\":" + std::to_string(writer) + ",\"i\":" + std::to_string(i) + "}");
}

// The integer field `key` of the flat JSON object text that writer_event makes.
std::int64_t int_field(const std::string& data, const std::string& key) {
  const std::string marker = "\"" + key + "\":";
  const auto at = data.find(marker);
  if (at == std::string::npos) throw std::runtime_error("no field " + key + " in " + data);
  return std::stoll(data.substr(at + marker.size()));
}

// Reads the whole log once and checks the invariants of DESIGN.md §3: positions 1…expected_events without
// a gap, versions 1…n per stream without a gap, distinct ids, and head and stream versions that agree with
// the log. Returns the number of events per stream.
std::map<std::string, std::int64_t> check_log_invariants(const EventStore& store, std::int64_t expected_events) {
  std::map<std::string, std::int64_t> versions;
  std::set<std::string> ids;
  std::int64_t next_position = 1;
  std::int64_t position_gaps = 0;
  std::int64_t version_gaps = 0;
  EventCursor cursor = store.read_all();
  while (cursor.next()) {
    const RecordedEvent& event = cursor.event();
    if (event.position.value != next_position) ++position_gaps;
    next_position = event.position.value + 1;
    std::int64_t& version = versions[event.stream_id];
    if (event.version.value != version + 1) ++version_gaps;
    version = event.version.value;
    ids.insert(event.id);
  }
  CHECK(position_gaps == 0);
  CHECK(version_gaps == 0);
  CHECK(next_position - 1 == expected_events);
  CHECK(ids.size() == static_cast<std::size_t>(expected_events));
  CHECK(store.head_position() == Position{expected_events});
  for (const auto& stream : versions) {
    INFO("stream ", stream.first);
    CHECK(store.stream_version(stream.first) == StreamVersion{stream.second});
  }
  return versions;
}

// Checks the order promised to one writer that alternated between `private_stream` (its appends 0, 2, 4 …)
// and `shared_stream` (its appends 1, 3, 5 …): its private stream holds exactly its even appends with
// version v being append 2(v-1), and its odd appends are in the shared stream in the order it made them.
void check_writer_order(const EventStore& store, const std::string& private_stream, const std::string& shared_stream,
                        const std::string& key, int writer, int appends) {
  INFO("writer ", writer);
  std::int64_t private_count = 0;
  std::int64_t private_mismatches = 0;
  for (const RecordedEvent& event : all_of(store.read_stream(private_stream))) {
    ++private_count;
    const bool own = int_field(event.data, key) == writer;
    const bool in_order = int_field(event.data, "i") == 2 * (event.version.value - 1);
    if (!own || !in_order) ++private_mismatches;
  }
  CHECK(private_count == appends / 2);
  CHECK(private_mismatches == 0);

  std::int64_t shared_count = 0;
  std::int64_t last_i = -1;
  std::int64_t out_of_order = 0;
  for (const RecordedEvent& event : all_of(store.read_stream(shared_stream))) {
    if (int_field(event.data, key) != writer) continue;
    ++shared_count;
    const std::int64_t i = int_field(event.data, "i");
    if (i <= last_i || i % 2 != 1) ++out_of_order;
    last_i = i;
  }
  CHECK(shared_count == appends / 2);
  CHECK(out_of_order == 0);
}

}  // namespace

TEST_CASE(
    "8 threads appending 1,000 events each to private and shared streams leave contiguous versions, distinct ids "
    "and contiguous positions") {
  constexpr int kThreads = 8;
  constexpr int kAppends = 1000;
  TempDir dir;
  EventStore store = EventStore::open(dir.path() / "threads.db", Options{.synchronous = Synchronous::Normal});

  std::vector<std::string> failures(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, &failures, t] {
      try {
        const std::string own_stream = "private-" + std::to_string(t);
        std::int64_t own_version = 0;
        for (int i = 0; i < kAppends; ++i) {
          const NewEvent event = writer_event("ThreadAppended", "thread", t, i);
          if (i % 2 == 0) {
            const AppendResult result = store.append(own_stream, ExpectedVersion::exact(own_version), {event});
            if (result.version != StreamVersion{own_version + 1}) {
              throw std::runtime_error("append to " + own_stream + " returned version " +
                                       std::to_string(result.version.value));
            }
            own_version = result.version.value;
          } else {
            store.append("shared-1", ExpectedVersion::any(), {event});
          }
        }
      } catch (const std::exception& e) {
        failures[static_cast<std::size_t>(t)] = e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    INFO("thread ", t);
    CHECK(failures[static_cast<std::size_t>(t)] == "");
  }

  const auto stream_sizes = check_log_invariants(store, kThreads * kAppends);
  CHECK(stream_sizes.size() == static_cast<std::size_t>(kThreads + 1));
  CHECK(stream_sizes.count("shared-1") == 1u);
  if (stream_sizes.count("shared-1") == 1) CHECK(stream_sizes.at("shared-1") == kThreads * kAppends / 2);
  for (int t = 0; t < kThreads; ++t) {
    check_writer_order(store, "private-" + std::to_string(t), "shared-1", "thread", t, kAppends);
  }
}

TEST_CASE("threads racing to create one stream with no_stream() leave one winner, and the losers write nothing") {
  constexpr int kThreads = 8;
  TempDir dir;
  EventStore store = EventStore::open(dir.path() / "race.db", Options{.synchronous = Synchronous::Normal});

  std::latch start(kThreads);
  std::vector<std::string> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, &start, &outcomes, t] {
      std::string& outcome = outcomes[static_cast<std::size_t>(t)];
      start.arrive_and_wait();
      try {
        store.append("race-1", ExpectedVersion::no_stream(),
                     {writer_event("Raced", "thread", t, 0), writer_event("Raced", "thread", t, 1)});
        outcome = "won";
      } catch (const WrongExpectedVersion& e) {
        const bool as_expected = e.stream() == "race-1" && e.actual() == StreamVersion{2};
        outcome = as_expected ? "lost" : std::string("lost oddly: ") + e.what();
      } catch (const std::exception& e) {
        outcome = std::string("failed: ") + e.what();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  int won = 0;
  int lost = 0;
  for (const std::string& outcome : outcomes) {
    INFO(outcome);
    CHECK((outcome == "won" || outcome == "lost"));
    won += outcome == "won" ? 1 : 0;
    lost += outcome == "lost" ? 1 : 0;
  }
  CHECK(won == 1);
  CHECK(lost == kThreads - 1);
  CHECK(store.head_position() == Position{2});
  const auto events = all_of(store.read_stream("race-1"));
  REQUIRE(events.size() == 2u);
  CHECK(events[0].version == StreamVersion{1});
  CHECK(events[1].version == StreamVersion{2});
  CHECK(int_field(events[0].data, "thread") == int_field(events[1].data, "thread"));
  CHECK(int_field(events[0].data, "i") == 0);
  CHECK(int_field(events[1].data, "i") == 1);
}

TEST_CASE(
    "4 processes appending 500 events each to private and shared streams of one file leave contiguous versions, "
    "distinct ids and contiguous positions") {
  constexpr int kWorkers = 4;
  constexpr int kAppends = 500;
  TempDir dir;
  const std::filesystem::path path = dir.path() / "processes.db";
  EventStore store = EventStore::open(path, Options{.synchronous = Synchronous::Normal});

  std::vector<pid_t> workers;
  for (int id = 1; id <= kWorkers; ++id) workers.push_back(spawn_append_worker(path, id, kAppends));
  for (std::size_t i = 0; i < workers.size(); ++i) {
    INFO("worker ", i + 1);
    CHECK(wait_for_exit(workers[i]) == 0);
  }

  const auto stream_sizes = check_log_invariants(store, kWorkers * kAppends);
  CHECK(stream_sizes.size() == static_cast<std::size_t>(kWorkers + 1));
  CHECK(stream_sizes.count("shared-procs") == 1u);
  if (stream_sizes.count("shared-procs") == 1) CHECK(stream_sizes.at("shared-procs") == kWorkers * kAppends / 2);
  for (int id = 1; id <= kWorkers; ++id) {
    check_writer_order(store, "proc-" + std::to_string(id), "shared-procs", "worker", id, kAppends);
  }
}
