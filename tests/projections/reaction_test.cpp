#include <doctest/doctest.h>

#include "counting_projection.h"
#include "evlite/engine/sqlite_access.h"
#include "evlite/projections/reaction.h"
#include "support/test_helpers.h"

using namespace evlite;
using namespace evlite::projections;
using namespace evlite::testing;
using namespace std::chrono_literals;

namespace {

// On every "Ping", appends a "Pong" to pong-<ping stream>; throws on a ping whose data says so.
class Ponger : public Reaction {
 public:
  explicit Ponger(EventStore& store) : store_(store) {}
  std::atomic<int> handled{0};
  std::string name() const override { return "ponger"; }
  Filter filter() const override { return {.types = {"Ping"}}; }
  void handle(const RecordedEvent& event, ReactionContext& context) override {
    ++handled;
    if (event.data == R"({"poison":true})" && poisoned) throw std::runtime_error("cannot pong that");
    std::vector<NewEvent> pong = {{.type = "Pong", .data = R"({"answer":1})"}};
    context.stamp(pong);
    store_.append("pong-" + event.stream_id, ExpectedVersion::any(), pong);
  }
  std::atomic<bool> poisoned{true};

 private:
  EventStore& store_;
};

}  // namespace

TEST_CASE("uuid_v5 matches RFC 9562's example and is deterministic") {
  // RFC 9562 §A.4: the DNS namespace and "www.example.com".
  CHECK(uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com") == "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  CHECK(uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "a") == uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "a"));
  CHECK_THROWS_AS(uuid_v5("not-a-uuid", "a"), InvalidArgument);
}

TEST_CASE_FIXTURE(TempStore, "a reaction's appends carry the cause's id as causation, its correlation, and derived ids") {
  store.append("ping-1", ExpectedVersion::any(), {{.type = "Ping", .correlation_id = "conversation-7"}});
  ReactionRunner runner(store);
  auto ponger = std::make_shared<Ponger>(store);
  runner.add(ponger);
  runner.run_until_caught_up();
  auto pongs = store.read_stream("pong-ping-1").drain();
  REQUIRE(pongs.size() == 1);
  auto cause = store.read_stream("ping-1").drain().front();
  CHECK(causation_id(pongs[0]) == cause.id);
  CHECK(correlation_id(pongs[0]) == "conversation-7");
  ReactionContext again("ponger", cause);
  std::vector<NewEvent> same = {{.type = "Pong"}};
  again.stamp(same);
  CHECK(pongs[0].id == same[0].id);  // derived from reaction, cause and index: the same on every delivery
  CHECK(pongs[0].id[14] == '5');
}

TEST_CASE_FIXTURE(TempStore, "re-delivery after a lost checkpoint is absorbed by the idempotent append") {
  for (int i = 0; i < 5; ++i) store.append("ping-" + std::to_string(i), ExpectedVersion::any(), {{.type = "Ping"}});
  {
    ReactionRunner runner(store);
    runner.add(std::make_shared<Ponger>(store));
    runner.run_until_caught_up();
  }
  Position head = store.head_position();
  // A crash before the checkpoint moved: the reaction sees every ping again.
  auto db = open_connection(store);
  write_transaction(store, *db, [&] { checkpoints::reset(*db, "reaction:ponger", Position{0}); });
  ReactionRunner runner(store);
  auto ponger = std::make_shared<Ponger>(store);
  runner.add(ponger);
  runner.run_until_caught_up();
  CHECK(ponger->handled == 5);
  CHECK(store.head_position() == head);  // nothing appended twice
}

TEST_CASE_FIXTURE(TempStore, "a reaction runner's run_until_caught_up refuses it while started, not once stopped") {
  store.append("ping-1", ExpectedVersion::any(), {{.type = "Ping"}});
  ReactionRunner runner(store);
  runner.add(std::make_shared<Ponger>(store));
  runner.start();
  CHECK_THROWS_AS(runner.run_until_caught_up(), InvalidArgument);
  runner.stop();
  runner.run_until_caught_up();
  CHECK(store.stream_version("pong-ping-1") == StreamVersion{1});
}

TEST_CASE_FIXTURE(TempStore, "a reaction whose handler throws is faulted at that event and resumes after restart") {
  store.append("ping-1", ExpectedVersion::any(), {{.type = "Ping"}});
  auto poison = store.append("ping-2", ExpectedVersion::any(), {{.type = "Ping", .data = R"({"poison":true})"}});
  store.append("ping-3", ExpectedVersion::any(), {{.type = "Ping"}});
  ReactionRunner runner(store);
  auto ponger = std::make_shared<Ponger>(store);
  runner.add(ponger);
  runner.start();
  REQUIRE(eventually([&] { return runner.status().front().state == ProjectionState::Faulted; }));
  auto status = runner.status().front();
  CHECK(status.state == ProjectionState::Faulted);
  CHECK(status.error_position == poison.last_position);
  CHECK(status.error == "cannot pong that");
  CHECK(status.checkpoint < poison.last_position);
  CHECK(store.stream_version("pong-ping-1") == StreamVersion{1});  // handled before the fault, kept
  CHECK(store.stream_version("pong-ping-3") == StreamVersion{0});
  ponger->poisoned = false;
  runner.restart("ponger");
  REQUIRE(runner.wait_for("ponger", store.head_position(), 10s));
  CHECK(store.stream_version("pong-ping-2") == StreamVersion{1});
  CHECK(store.stream_version("pong-ping-3") == StreamVersion{1});
  CHECK(store.stream_version("pong-ping-1") == StreamVersion{1});  // not twice
}

TEST_CASE_FIXTURE(TempStore, "a reaction whose handler throws something that is not a std::exception is faulted at that event") {
  auto first = store.append("ping-1", ExpectedVersion::any(), {{.type = "Ping"}});
  auto bad = store.append("ping-2", ExpectedVersion::any(), {{.type = "Ping"}});
  struct ThrowsInt : Reaction {
    std::string name() const override { return "throws"; }
    Filter filter() const override { return {}; }
    void handle(const RecordedEvent& event, ReactionContext&) override {
      if (event.stream_id == "ping-2") throw 42;
    }
  };
  ReactionRunner runner(store);
  runner.add(std::make_shared<ThrowsInt>());
  runner.start();
  REQUIRE(eventually([&] { return runner.status().front().state == ProjectionState::Faulted; }));
  auto status = runner.status().front();
  CHECK(status.error_position == bad.last_position);
  CHECK(status.error == "threw something that is not a std::exception");
  CHECK(status.checkpoint == first.last_position);
}
