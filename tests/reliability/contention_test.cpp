// Several processes and threads appending to a few hot streams, the CLI reading, and a subscription in
// another process: every success is in the log once, every conflict is a WrongExpectedVersion, no
// SQLITE_BUSY reaches a caller, and the subscription sees every event in order.
#include <doctest/doctest.h>

#include <signal.h>

#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "support/process.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::testing;
using namespace std::chrono_literals;

TEST_CASE("4 processes x 2 threads on hot streams, with CLI readers and a tailing subscription, lose nothing") {
  TempDir dir;
  auto db = dir.path() / "contended.db";
  EventStore store = EventStore::open(db);
  RunningProgram tail({EVLITE_CLI, "--db", db.string(), "--json", "tail", "--from", "1"});
  constexpr int kWorkers = 4, kThreads = 2, kAttempts = 150;
  std::vector<std::unique_ptr<RunningProgram>> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.push_back(std::make_unique<RunningProgram>(std::vector<std::string>{
        EVLITE_CONTENTION_WORKER, db.string(), std::to_string(w), std::to_string(kThreads), std::to_string(kAttempts)}));
  }
  int cli_reads = 0;
  for (int i = 0; i < 5; ++i) {  // the CLI reading while they write
    ProgramResult r = run_program({EVLITE_CLI, "--db", db.string(), "--json", "all"}, dir.path());
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    ++cli_reads;
  }
  std::set<std::string> succeeded;
  int conflicts = 0, errors = 0, reports = 0;
  for (auto& w : workers) {
    REQUIRE(w->wait() == 0);
    while (auto line = w->read_line(1s)) {
      ++reports;
      if (line->starts_with("ok ")) {
        CHECK(succeeded.insert(line->substr(3)).second);
      } else if (*line == "conflict") {
        ++conflicts;
      } else {
        ++errors;
        MESSAGE(*line);
      }
    }
  }
  CHECK(reports == kWorkers * kThreads * kAttempts);
  CHECK(errors == 0);  // no SQLITE_BUSY, nor anything else, reached a caller
  CHECK(conflicts > 0);

  auto log = store.read_all().drain();
  CHECK(log.size() == succeeded.size());  // every success once, nothing else
  std::set<std::string> stored;
  for (auto& e : log) stored.insert(e.id);
  CHECK(stored == succeeded);
  CHECK(store.verify().ok());

  // The subscription in the other process saw every event, in position order, once.
  std::vector<std::int64_t> seen;
  while (seen.size() < log.size()) {
    auto line = tail.read_line(20s);
    REQUIRE(line.has_value());
    seen.push_back(nlohmann::json::parse(*line)["position"].get<std::int64_t>());
  }
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == static_cast<std::int64_t>(i) + 1);
  tail.send(SIGINT);
  CHECK(tail.wait() == 0);
  MESSAGE(succeeded.size() << " appends succeeded, " << conflicts << " conflicts, " << cli_reads << " CLI reads");
}
