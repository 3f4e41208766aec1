// Crash safety: a writer killed with SIGKILL at random moments loses no acknowledged event and leaves no
// half-written batch (README "Guarantees").
#include <doctest/doctest.h>

#include <signal.h>

#include <cstdlib>
#include <map>
#include <set>
#include <random>

#include "support/crash_batches.h"
#include "support/process.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::testing;
using namespace std::chrono_literals;

namespace {

// Checks the store after a kill; returns the next batch number to append.
std::int64_t check_store(const std::filesystem::path& db, const std::set<std::int64_t>& acknowledged,
                         std::int64_t& events_checked) {
  EventStore store = EventStore::open(db);  // the store opens after the kill
  auto report = store.verify();
  INFO((report.findings.empty() ? std::string() : report.findings.front()));
  REQUIRE(report.ok());
  std::map<std::int64_t, std::vector<RecordedEvent>> batches;
  auto cursor = store.read_all();
  while (cursor.next()) {
    const RecordedEvent& e = cursor.event();
    std::int64_t batch = std::stoll(e.id.substr(24), nullptr, 16) / 64;
    batches[batch].push_back(e);
  }
  for (auto& [batch, events] : batches) {  // no batch is partially present
    CAPTURE(batch);
    REQUIRE(static_cast<int>(events.size()) == batch_size(batch));
    for (int i = 0; i < batch_size(batch); ++i) {
      CHECK(events[i].id == batch_event_id(batch, i));
      CHECK(events[i].data == batch_data(batch, i));  // the exact bytes
      CHECK(events[i].stream_id == batch_stream(batch));
    }
    events_checked += static_cast<std::int64_t>(events.size());
  }
  for (std::int64_t batch : acknowledged) {  // every acknowledged batch is there
    CAPTURE(batch);
    CHECK(batches.contains(batch));
  }
  // With several appending threads, batches commit out of order: an unacknowledged one may be missing below
  // the last stored, and is never appended again.
  return batches.empty() ? 0 : batches.rbegin()->first + 1;
}

}  // namespace

TEST_CASE("a writer killed at random moments, alone or in group commits, loses no acknowledged event and leaves no partial batch") {
  // Both settings promise durability against a crash of the process, which is what SIGKILL is;
  // Synchronous::Normal gives up only durability against power loss, which no test here can cut.
  TempDir dir;
  auto db = dir.path() / "crash.db";
  EventStore::open(db);
  std::mt19937 random(9);  // fixed seed: the same kill points every run
  std::set<std::int64_t> acknowledged;
  std::int64_t next_batch = 0, events_checked = 0;
  // 50 in make test; make test-long sets EVLITE_CRASH_ROUNDS higher.
  const char* rounds = std::getenv("EVLITE_CRASH_ROUNDS");
  const int kRounds = rounds != nullptr ? std::atoi(rounds) : 50;
  for (int round = 0; round < kRounds; ++round) {
    const char* sync = round % 2 == 0 ? "full" : "normal";
    // Every other pair of rounds appends from 4 threads, so that kills land inside group commits too.
    const char* threads = round % 4 < 2 ? "1" : "4";
    RunningProgram worker({EVLITE_CRASH_WORKER, db.string(), sync, std::to_string(next_batch), threads});
    int kill_after = static_cast<int>(random() % 12);  // acknowledgements to wait for; 0: at once
    for (int acks = 0; acks < kill_after; ++acks) {
      auto line = worker.read_line(20s);
      REQUIRE(line.has_value());
      acknowledged.insert(std::stoll(*line));
    }
    worker.send(SIGKILL);
    // Acknowledgements already in the pipe count too: those appends returned before the kill.
    while (auto line = worker.read_line(0ms)) acknowledged.insert(std::stoll(*line));
    REQUIRE(worker.wait() == 128 + SIGKILL);
    next_batch = check_store(db, acknowledged, events_checked);
  }
  // Appending continues after the last kill.
  EventStore store = EventStore::open(db);
  store.append(batch_stream(next_batch), ExpectedVersion::any(), batch_events(next_batch));
  CHECK(store.verify().ok());
  MESSAGE(kRounds << " kills, " << acknowledged.size() << " batches acknowledged, " << events_checked
                  << " event checks, nothing lost");
}
