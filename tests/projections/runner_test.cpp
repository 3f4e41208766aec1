#include <doctest/doctest.h>

#include <signal.h>

#include <random>
#include <thread>

#include <fmt/format.h>

#include "counting_projection.h"
#include "evlite/engine/sqlite_access.h"
#include "evlite/projections/runner.h"
#include "support/process.h"
#include "support/test_helpers.h"

using namespace evlite;
using namespace evlite::projections;
using namespace evlite::testing;
using namespace std::chrono_literals;

namespace {

// One row per event in two tables: one keyed by (stream, version) WITHOUT ROWID, one with no key (rowid).
class PairsProjection : public Projection {
 public:
  std::string name() const override { return "pairs"; }
  std::int32_t version() const override { return 1; }
  std::vector<std::string> tables() const override { return {"pairs", "pair_log"}; }
  Filter filter() const override { return {}; }
  void create_schema(WriteContext& context) const override {
    context.exec("CREATE TABLE {pairs} (stream TEXT, version INTEGER, PRIMARY KEY (stream, version)) WITHOUT ROWID");
    context.exec("CREATE TABLE {pair_log} (position INTEGER NOT NULL)");
  }
  void apply(const RecordedEvent& event, WriteContext& context) override {
    context.run("INSERT INTO {pairs} VALUES (?1, ?2)", event.stream_id, event.version.value);
    context.run("INSERT INTO {pair_log} VALUES (?1)", event.position.value);
  }
};

// Waits in its first apply() until opened: holds a step in progress for as long as a test needs.
class GatedProjection : public CountingProjection {
 public:
  std::atomic<bool> entered{false};
  std::atomic<bool> open{false};
  void apply(const RecordedEvent& event, WriteContext& context) override {
    entered = true;
    if (!eventually([&] { return open.load(); })) throw std::runtime_error("the gate never opened");
    CountingProjection::apply(event, context);
  }
};

// Runs the dying-projection worker on `store` (see support/dying_projection_worker.cpp), which must die by
// its own SIGKILL at `die_at`.
void run_until_killed(const std::filesystem::path& store, std::int64_t die_at, int batch_size, const char* mode) {
  auto result = run_program({EVLITE_DYING_PROJECTION_WORKER, store.string(), std::to_string(die_at),
                             std::to_string(batch_size), mode},
                            store.parent_path());
  INFO(result.err);
  REQUIRE(result.status == 128 + SIGKILL);
}

}  // namespace

TEST_CASE_FIXTURE(TempStore, "a runner catches up from the log and then follows live appends") {
  append_round_robin(store, 50, 5);
  auto projection = std::make_shared<CountingProjection>();
  ProjectionRunner runner(store, {.batch_size = 7});
  runner.add(projection);
  runner.start();
  REQUIRE(runner.wait_for("counting", store.head_position(), 10s));
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));

  auto result = store.append("thing-9", ExpectedVersion::any(), {make_event()});
  REQUIRE(runner.wait_for("counting", result.last_position, 10s));
  CHECK(counts(models, "counting") == stream_versions(store));
  auto status = runner.status("counting");
  CHECK(status.checkpoint == result.last_position);
  CHECK(status.lag == 0);
}

TEST_CASE_FIXTURE(TempStore, "a handler that throws faults its projection at that event, leaves its checkpoint, and the others run on") {
  append_round_robin(store, 30, 3);
  auto poisoned = std::make_shared<CountingProjection>("poisoned");
  auto healthy = std::make_shared<CountingProjection>("healthy");
  poisoned->fail_at = 17;
  ProjectionRunner runner(store, {.batch_size = 5});
  runner.add(poisoned);
  runner.add(healthy);
  runner.start();
  REQUIRE(runner.wait_for("healthy", store.head_position(), 10s));
  REQUIRE(eventually([&] { return runner.status("poisoned").state == ProjectionState::Faulted; }));
  auto status = runner.status("poisoned");
  CHECK(status.state == ProjectionState::Faulted);
  CHECK(status.error_position == Position{17});
  CHECK(status.error == "poisoned event");
  CHECK(status.checkpoint == Position{15});  // the batch holding 16..20 was rolled back whole
  // The fault is recorded in the file for tools.
  auto stored = stored_status(store, {poisoned, healthy});
  CHECK(stored[0].state == ProjectionState::Faulted);
  CHECK(stored[0].error_position == Position{17});
  CHECK(stored[0].checkpoint == Position{15});

  // The others keep going live.
  auto result = store.append("thing-1", ExpectedVersion::any(), {make_event()});
  REQUIRE(runner.wait_for("healthy", result.last_position, 10s));

  // Fixed, restarted: it retries from the checkpoint and applies everything exactly once.
  poisoned->fail_at = 0;
  runner.restart("poisoned");
  REQUIRE(runner.wait_for("poisoned", store.head_position(), 10s));
  ReadModels models(store);
  CHECK(counts(models, "poisoned") == stream_versions(store));
  CHECK(runner.status("poisoned").state != ProjectionState::Faulted);
}

TEST_CASE_FIXTURE(TempStore, "a folding projection faults at the event its fold refuses, or at its batch's start when its flush throws") {
  append_round_robin(store, 30, 3);
  auto folding = std::make_shared<FoldingCountingProjection>("folding");
  folding->fail_at = 17;
  ProjectionRunner runner(store, {.batch_size = 5});
  runner.add(folding);
  CHECK_THROWS_AS(runner.run_until_caught_up(), ProjectionFaulted);
  auto status = runner.status("folding");
  CHECK(status.error_position == Position{17});
  CHECK(status.error == "poisoned event");
  CHECK(status.checkpoint == Position{15});

  folding->fail_at = 0;
  folding->fail_next_flush = true;
  runner.restart("folding");
  CHECK_THROWS_AS(runner.run_until_caught_up(), ProjectionFaulted);
  status = runner.status("folding");
  CHECK(status.error_position == Position{16});  // the flush stands for the whole batch 16..20
  CHECK(status.error == "disk on fire");
  CHECK(status.checkpoint == Position{15});

  // Restarted, it applies everything exactly once: nothing of the refused batches was kept.
  runner.restart("folding");
  runner.run_until_caught_up();
  ReadModels models(store);
  CHECK(counts(models, "folding") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "a projection killed at random instants and restarted equals a from-scratch rebuild") {
  append_round_robin(store, 400, 13);
  std::mt19937 random(5);  // fixed seed
  int kills = 0;
  for (int round = 0; round < 12; ++round) {
    ReadModels before_models(store);
    std::int64_t done = 0;
    for (auto& [stream, n] : counts(before_models, "counting")) done += n;
    // Somewhere ahead of what is applied: inside a batch or on its first event.
    std::int64_t die_at = done + 1 + static_cast<std::int64_t>(random() % 40);
    if (die_at > 400) break;
    run_until_killed(db_path, die_at, 1 + (round % 4) * 9, "catch-up");
    ++kills;
  }
  CHECK(kills >= 8);
  ProjectionRunner runner(store, {.batch_size = 10});
  auto survivor = std::make_shared<CountingProjection>();
  auto fresh = std::make_shared<CountingProjection>("fresh");
  runner.add(survivor);
  runner.add(fresh);
  runner.run_until_caught_up();
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
  CHECK(counts(models, "counting") == counts(models, "fresh"));
}

TEST_CASE_FIXTURE(TempStore, "two runners on one projection never apply an event twice") {
  auto a = std::make_shared<CountingProjection>();
  auto b = std::make_shared<CountingProjection>();
  ProjectionRunner first(store, {.batch_size = 3});
  ProjectionRunner second(store, {.batch_size = 5});
  first.add(a);
  second.add(b);
  first.start();
  second.start();
  append_round_robin(store, 300, 7);
  REQUIRE(first.wait_for("counting", store.head_position(), 20s));
  REQUIRE(second.wait_for("counting", store.head_position(), 20s));
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
  // Each runner applied some batches that committed and perhaps some it discarded; none twice.
  CHECK(a->applied + b->applied >= 300);
}

TEST_CASE_FIXTURE(TempStore, "bumping a projection's version rebuilds its read model from position 0") {
  append_round_robin(store, 40, 4);
  {
    ProjectionRunner runner(store);
    runner.add(std::make_shared<CountingProjection>("counting", 1));
    runner.run_until_caught_up();
  }
  ProjectionRunner runner(store, {.batch_size = 6});
  auto v2 = std::make_shared<CountingProjection>("counting", 2);
  runner.add(v2);
  runner.run_until_caught_up();
  CHECK(v2->applied == 40);  // every event again, into the new generation
  auto status = stored_status(store, {v2});
  CHECK(status[0].version == 2);
  CHECK(status[0].state != ProjectionState::Rebuilding);
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
  SQLite::Statement version(models.db(), "SELECT DISTINCT version FROM counting");
  REQUIRE(version.executeStep());
  CHECK(version.getColumn(0).getInt() == 2);
  CHECK_FALSE(version.executeStep());
}

TEST_CASE_FIXTURE(TempStore, "a swap removes the old generation in slices, and a runner removes what a crash left") {
  std::vector<StreamAppend> appends;
  for (int i = 0; i < 2500; ++i) appends.push_back({"thing-" + std::to_string(i), ExpectedVersion::any(), {make_event()}});
  store.append_many(appends);  // 2,500 rows in each table: three slices each
  auto tables = [&] {
    std::vector<std::string> names;
    ReadModels models(store);
    SQLite::Statement s(models.db(), "SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB '*_g[0-9]*' "
                                     "ORDER BY name");
    while (s.executeStep()) names.push_back(s.getColumn(0).getString());
    return names;
  };
  {
    ProjectionRunner runner(store);
    runner.add(std::make_shared<CountingProjection>("counting", 1));  // a one-column key
    runner.add(std::make_shared<PairsProjection>());                  // a two-column key, and a rowid table
    runner.run_until_caught_up();
    runner.rebuild("counting");
    runner.rebuild("pairs");
  }
  CHECK(tables() == std::vector<std::string>{"counting_g2", "pair_log_g2", "pairs_g2"});

  // A generation left behind, as by a crash between the swap and the end of the clean-up.
  auto db = open_connection(store);
  db->exec("CREATE TABLE counting_g1 AS SELECT * FROM counting_g2");
  ProjectionRunner runner(store);
  runner.add(std::make_shared<CountingProjection>("counting", 1));
  runner.run_until_caught_up();
  CHECK(tables() == std::vector<std::string>{"counting_g2", "pair_log_g2", "pairs_g2"});
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "rebuild on request while appends continue: readers never see a partial or empty read model") {
  append_round_robin(store, 600, 20);
  auto projection = std::make_shared<CountingProjection>();
  ProjectionRunner runner(store, {.batch_size = 25});
  runner.add(projection);
  runner.start();
  REQUIRE(runner.wait_for("counting", store.head_position(), 10s));

  std::atomic<bool> done = false;
  std::atomic<int> bad_reads = 0;
  std::atomic<int> reads = 0;
  std::thread reader([&] {
    ReadModels models(store);
    std::int64_t last_total = 0;
    while (!done) {
      std::int64_t total = 0;
      for (auto& [stream, n] : counts(models, "counting")) total += n;
      if (total < last_total || total < 600) ++bad_reads;  // shrinking or partial: a half-built model
      last_total = total;
      ++reads;
    }
  });
  std::thread appender([&] { append_round_robin(store, 200, 20, "late"); });
  std::int64_t applied_before = projection->applied;
  std::int64_t generation = runner.status("counting").generation;
  runner.rebuild("counting");
  appender.join();
  // Wait for the swap (a higher generation), then for the head.
  REQUIRE(eventually([&] { return runner.status("counting").generation == generation + 1; }, 30s));
  REQUIRE(runner.wait_for("counting", store.head_position(), 20s));
  done = true;
  reader.join();
  CHECK(reads > 0);
  CHECK(bad_reads == 0);
  CHECK(projection->applied - applied_before >= 800);  // everything replayed into the new generation
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "a crash in the middle of a rebuild keeps the old read model, and the rebuild restarts") {
  append_round_robin(store, 200, 10);
  {
    ProjectionRunner runner(store);
    runner.add(std::make_shared<CountingProjection>("counting", 1));
    runner.run_until_caught_up();
  }
  ReadModels models(store);
  auto old_model = counts(models, "counting");
  run_until_killed(db_path, 120, 10, "rebuild");  // version 1 → rebuild on request, dies half way
  CHECK(counts(models, "counting") == old_model);
  auto status = stored_status(store, {std::make_shared<CountingProjection>()});
  CHECK(status[0].state == ProjectionState::Rebuilding);
  CHECK(status[0].rebuild_checkpoint.value > 0);
  CHECK(status[0].rebuild_checkpoint.value < 120);

  append_round_robin(store, 20, 10);
  ProjectionRunner runner(store, {.batch_size = 10});
  auto resumed = std::make_shared<CountingProjection>();
  runner.add(resumed);
  runner.run_until_caught_up();
  CHECK(resumed->applied < 220);  // it resumed from the rebuild's checkpoint, not from 0
  CHECK(counts(models, "counting") == stream_versions(store));
  CHECK(stored_status(store, {resumed})[0].state != ProjectionState::Rebuilding);
}

TEST_CASE_FIXTURE(TempStore, "reset drops the read model and the next run builds it again from position 0") {
  append_round_robin(store, 30, 3);
  auto projection = std::make_shared<CountingProjection>();
  {
    ProjectionRunner runner(store);
    runner.add(projection);
    runner.run_until_caught_up();
  }
  reset(store, *projection);
  ReadModels models(store);
  CHECK_FALSE(models.has("counting"));
  CHECK(stored_status(store, {projection})[0].checkpoint == Position{0});
  ProjectionRunner runner(store);
  runner.add(projection);
  runner.run_until_caught_up();
  CHECK(counts(models, "counting") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "run_until_caught_up reports a faulting projection as ProjectionFaulted") {
  append_round_robin(store, 10, 2);
  auto projection = std::make_shared<CountingProjection>();
  projection->fail_at = 4;
  ProjectionRunner runner(store, {.batch_size = 3});
  runner.add(projection);
  auto error = [&]() -> std::optional<ProjectionFaulted> {
    try {
      runner.run_until_caught_up();
    } catch (const ProjectionFaulted& e) {
      return e;
    }
    return std::nullopt;
  }();
  REQUIRE(error.has_value());
  CHECK(error->name() == "counting");
  CHECK(error->position() == Position{4});

  // Restarted with no thread running: the status says so at once, the file at the next step.
  projection->fail_at = 0;
  runner.restart("counting");
  CHECK(runner.status("counting").state != ProjectionState::Faulted);
  CHECK(stored_status(store, {projection})[0].state == ProjectionState::Faulted);
  runner.run_until_caught_up();
  CHECK(stored_status(store, {projection})[0].state != ProjectionState::Faulted);
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "a fault stored by an earlier runner is retried once by a new one, and stored again if it recurs") {
  append_round_robin(store, 10, 2);
  auto projection = std::make_shared<CountingProjection>();
  projection->fail_at = 4;
  {
    ProjectionRunner runner(store, {.batch_size = 3});
    runner.add(projection);
    CHECK_THROWS_AS(runner.run_until_caught_up(), ProjectionFaulted);
    CHECK_THROWS_AS(runner.run_until_caught_up(), ProjectionFaulted);  // the same runner does not retry
  }
  CHECK(stored_status(store, {projection})[0].error_position == Position{4});
  {
    ProjectionRunner runner(store, {.batch_size = 3});  // a new process, the bug still there
    runner.add(projection);
    CHECK_THROWS_AS(runner.run_until_caught_up(), ProjectionFaulted);
  }
  auto stored = stored_status(store, {projection})[0];
  CHECK(stored.state == ProjectionState::Faulted);
  CHECK(stored.error_position == Position{4});
  CHECK(stored.checkpoint == Position{3});

  projection->fail_at = 0;  // the fix deployed
  ProjectionRunner runner(store, {.batch_size = 3});
  runner.add(projection);
  runner.start();
  REQUIRE(runner.wait_for("counting", store.head_position(), 10s));
  CHECK(stored_status(store, {projection})[0].state != ProjectionState::Faulted);
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "run_until_caught_up refuses a started runner and works again once it is stopped") {
  store.append("order-1", ExpectedVersion::any(), {make_event()});
  ProjectionRunner runner(store);
  auto counting = std::make_shared<CountingProjection>("counting");
  runner.add(counting);
  runner.start();
  CHECK_THROWS_AS(runner.run_until_caught_up(), InvalidArgument);
  runner.stop();
  runner.run_until_caught_up();
  CHECK(runner.status("counting").checkpoint == store.head_position());
}

TEST_CASE_FIXTURE(TempStore, "start while run_until_caught_up steps in another thread waits for it to finish") {
  append_round_robin(store, 20, 2);
  auto gated = std::make_shared<GatedProjection>();
  ProjectionRunner runner(store, {.batch_size = 5});
  runner.add(gated);
  std::thread caller([&] { runner.run_until_caught_up(); });
  REQUIRE(eventually([&] { return gated->entered.load(); }));  // the caller's thread is inside apply()
  std::atomic<bool> started{false};
  std::thread starter([&] {
    runner.start();
    started = true;
  });
  // Were the worker's thread stepping now too, the two would share one connection and one batch.
  CHECK_FALSE(eventually([&] { return started.load(); }, 200ms));
  gated->open = true;
  caller.join();
  starter.join();
  REQUIRE(runner.wait_for("counting", store.head_position(), 10s));
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "add while run_until_caught_up steps in another thread waits for it to finish") {
  append_round_robin(store, 6, 2);
  auto gated = std::make_shared<GatedProjection>();
  ProjectionRunner runner(store);
  runner.add(gated);
  std::thread caller([&] { runner.run_until_caught_up(); });
  REQUIRE(eventually([&] { return gated->entered.load(); }));
  std::atomic<bool> added{false};
  std::thread adder([&] {
    runner.add(std::make_shared<CountingProjection>("other"));
    added = true;
  });
  // The caller's thread is walking the list of projections: adding to it now would pull it from under it.
  CHECK_FALSE(eventually([&] { return added.load(); }, 200ms));
  gated->open = true;
  caller.join();
  adder.join();
  runner.run_until_caught_up();
  ReadModels models(store);
  CHECK(counts(models, "other") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "start and stop called together from several threads leave one consistent runner") {
  append_round_robin(store, 20, 2);
  auto projection = std::make_shared<CountingProjection>();
  ProjectionRunner runner(store, {.batch_size = 3});
  runner.add(projection);
  for (int round = 0; round < 50; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] { t % 2 == 0 ? runner.start() : runner.stop(); });
    }
    for (auto& t : threads) t.join();
  }
  runner.stop();
  runner.run_until_caught_up();  // no worker thread left behind to step alongside it
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
}

TEST_CASE_FIXTURE(TempStore, "a handler that throws something that is not a std::exception faults only its projection") {
  append_round_robin(store, 10, 2);
  struct ThrowsInt : CountingProjection {
    void apply(const RecordedEvent& event, WriteContext& context) override {
      if (event.position.value == 4) throw 42;
      CountingProjection::apply(event, context);
    }
  };
  ProjectionRunner runner(store, {.batch_size = 3});
  runner.add(std::make_shared<ThrowsInt>());
  runner.start();
  REQUIRE(eventually([&] { return runner.status("counting").state == ProjectionState::Faulted; }));
  auto status = runner.status("counting");
  CHECK(status.error_position == Position{4});
  CHECK(status.error == "threw something that is not a std::exception");
  CHECK(status.checkpoint == Position{3});
}

TEST_CASE_FIXTURE(TempStore, "a callback that stops its own runner from a worker thread faults it instead of deadlocking") {
  append_round_robin(store, 10, 2);
  auto projection = std::make_shared<CountingProjection>();
  projection->fail_at = 4;
  ProjectionRunner* self = nullptr;
  ProjectionRunner runner(store, {.on_progress = [&](const ProjectionStatus&) { self->stop(); }});
  self = &runner;
  runner.add(projection);
  runner.start();
  REQUIRE(eventually([&] { return runner.status("counting").error.find("stop from inside") != std::string::npos; }));
  CHECK(runner.status("counting").state == ProjectionState::Faulted);
  runner.stop();  // and the destructor's stop() after it: nothing left half-joined
}

TEST_CASE_FIXTURE(TempStore, "wait_for with milliseconds::max() waits for the position instead of not at all") {
  ProjectionRunner runner(store);
  runner.add(std::make_shared<CountingProjection>());
  runner.start();
  std::atomic<bool> returned{false};
  std::atomic<bool> reached{false};
  std::thread waiter([&] {
    reached = runner.wait_for("counting", Position{1}, std::chrono::milliseconds::max());
    returned = true;
  });
  CHECK_FALSE(eventually([&] { return returned.load(); }, 200ms));
  store.append("thing-1", ExpectedVersion::any(), {make_event()});
  waiter.join();
  CHECK(reached);
}

TEST_CASE_FIXTURE(TempStore, "a runner refuses duplicate names and table names that are not plain identifiers") {
  ProjectionRunner runner(store);
  runner.add(std::make_shared<CountingProjection>("one"));
  CHECK_THROWS_AS(runner.add(std::make_shared<CountingProjection>("one")), InvalidArgument);
  CHECK_THROWS_AS(runner.add(std::make_shared<CountingProjection>("events")), InvalidArgument);
  CHECK_THROWS_AS(runner.add(std::make_shared<CountingProjection>("Bad Name")), InvalidArgument);
  CHECK_THROWS_AS(runner.status("nope"), InvalidArgument);
}

TEST_CASE_FIXTURE(TempStore, "restart of a projection that is not faulted, while its worker runs, changes nothing") {
  auto projection = std::make_shared<CountingProjection>();
  ProjectionRunner runner(store, {.batch_size = 3});
  runner.add(projection);
  runner.start();
  std::atomic<bool> done{false};
  std::thread restarter([&] {
    while (!done) runner.restart("counting");
  });
  for (int i = 0; i < 300; ++i) store.append(fmt::format("thing-{}", i % 7), ExpectedVersion::any(), {make_event()});
  REQUIRE(runner.wait_for("counting", store.head_position(), 10s));
  done = true;
  restarter.join();
  ReadModels models(store);
  CHECK(counts(models, "counting") == stream_versions(store));
  CHECK(runner.status("counting").state != ProjectionState::Faulted);
}
