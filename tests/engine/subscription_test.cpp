// Subscriptions (DESIGN.md §3 "Subscribe"): catch-up then live without a gap or a duplicate, starting
// after a position, filters, a throwing handler, stopping and destroying, and wake-ups by commits of
// another process. Every wait has a deadline.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <functional>
#include <future>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/test_helpers.h"
#include "evlite/engine/event_store.h"
#include "evlite/engine/subscription.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::testing;

namespace {

constexpr std::chrono::milliseconds kDeadline = std::chrono::seconds(20);

struct HandlerFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

TEST_CASE_FIXTURE(TempStore,
                  "a subscription from position 0 catches up on the log, then delivers live appends, each event once "
                  "in position order") {
  for (int i = 0; i < 10; ++i) store.append("order-" + std::to_string(i % 3), ExpectedVersion::any(), {make_event()});
  EventSink sink;
  Subscription subscription = store.subscribe(Position{0}, {}, std::ref(sink));

  REQUIRE(sink.wait_for_count(10, kDeadline));
  CHECK(subscription.running());
  for (int i = 0; i < 10; ++i) store.append("order-" + std::to_string(i % 3), ExpectedVersion::any(), {make_event()});
  REQUIRE(sink.wait_for_count(20, kDeadline));
  REQUIRE(subscription.wait_for(Position{20}, kDeadline));
  CHECK(subscription.position() == Position{20});
  subscription.stop();

  const auto delivered = sink.events();
  CHECK(position_mismatch(delivered, 1, 20) == "");
  CHECK(delivered == all_of(store.read_all()));
  CHECK_FALSE(subscription.running());
  CHECK(subscription.error() == nullptr);
}

TEST_CASE("a subscription started while another thread appends sees every event exactly once in position order") {
  TempDir dir;
  EventStore store = EventStore::open(dir.path() / "live.db", Options{.synchronous = Synchronous::Normal});
  constexpr int kEvents = 2000;

  std::promise<void> some_appended;
  std::future<void> some_appended_future = some_appended.get_future();
  std::string writer_error;
  std::thread writer([&] {
    bool signalled = false;
    try {
      for (int i = 0; i < kEvents; ++i) {
        store.append("live-" + std::to_string(i % 4), ExpectedVersion::any(), {make_event()});
        if (i == 100) {
          signalled = true;
          some_appended.set_value();
        }
      }
    } catch (const std::exception& e) {
      writer_error = e.what();
    }
    if (!signalled) some_appended.set_value();
  });

  some_appended_future.wait();
  EventSink sink;
  Subscription subscription = store.subscribe(Position{0}, {}, std::ref(sink));
  writer.join();
  REQUIRE(writer_error == "");

  CHECK(sink.wait_for_count(kEvents, std::chrono::seconds(60)));
  CHECK(subscription.wait_for(Position{kEvents}, kDeadline));
  subscription.stop();
  CHECK(position_mismatch(sink.events(), 1, kEvents) == "");
  CHECK(subscription.error() == nullptr);
}

TEST_CASE_FIXTURE(TempStore, "a subscription after position 5 starts with position 6") {
  store.append("order-1", ExpectedVersion::any(), std::vector<NewEvent>(8, make_event()));
  EventSink sink;
  Subscription subscription = store.subscribe(Position{5}, {}, std::ref(sink));

  REQUIRE(sink.wait_for_count(3, kDeadline));
  store.append("order-1", ExpectedVersion::any(), {make_event()});
  REQUIRE(sink.wait_for_count(4, kDeadline));
  REQUIRE(subscription.wait_for(Position{9}, kDeadline));
  subscription.stop();

  CHECK(positions_of(sink.events()) == "6 7 8 9");
}

TEST_CASE_FIXTURE(TempStore,
                  "a filtered subscription delivers only matching events and its position advances past skipped "
                  "ones") {
  store.append("order-1", ExpectedVersion::any(), {make_event("OrderPlaced")});                // 1
  store.append("customer-1", ExpectedVersion::any(), {make_event("CustomerRegistered")});      // 2
  store.append("order-2", ExpectedVersion::any(), {make_event("OrderPlaced")});                // 3
  store.append("customer-2", ExpectedVersion::any(), {make_event("CustomerRegistered")});      // 4
  const Filter orders{.categories = {"order"}, .types = {}, .stream_prefixes = {}};
  EventSink sink;
  Subscription subscription = store.subscribe(Position{0}, orders, std::ref(sink));

  REQUIRE(subscription.wait_for(store.head_position(), kDeadline));
  CHECK(subscription.position() == Position{4});
  CHECK(positions_of(sink.events()) == "1 3");

  store.append("customer-3", ExpectedVersion::any(), {make_event("CustomerRegistered")});  // 5: skipped, live
  REQUIRE(subscription.wait_for(Position{5}, kDeadline));
  CHECK(positions_of(sink.events()) == "1 3");

  store.append("order-3", ExpectedVersion::any(), {make_event("OrderPlaced")});  // 6
  REQUIRE(sink.wait_for_count(3, kDeadline));
  REQUIRE(subscription.wait_for(Position{6}, kDeadline));
  subscription.stop();
  CHECK(positions_of(sink.events()) == "1 3 6");
  for (const RecordedEvent& event : sink.events()) CHECK(category_of(event.stream_id) == "order");
}

TEST_CASE_FIXTURE(TempStore,
                  "a handler that throws on its third event stops its subscription with the error and the position, "
                  "and other subscriptions carry on") {
  store.append("order-1", ExpectedVersion::any(), std::vector<NewEvent>(5, make_event()));
  EventSink delivered;
  EventSink bystander_sink;
  std::atomic<int> calls{0};
  Subscription failing = store.subscribe(Position{0}, {}, [&](const RecordedEvent& event) {
    if (++calls == 3) throw HandlerFailure("handler failed on position " + std::to_string(event.position.value));
    delivered(event);
  });
  Subscription bystander = store.subscribe(Position{0}, {}, std::ref(bystander_sink));

  CHECK_FALSE(failing.wait_for(Position{5}, kDeadline));
  CHECK_FALSE(failing.running());
  CHECK(failing.failed_at() == Position{3});
  const std::exception_ptr error = failing.error();
  REQUIRE(error != nullptr);
  CHECK_THROWS_WITH_AS(std::rethrow_exception(error), "handler failed on position 3", HandlerFailure);
  CHECK(positions_of(delivered.events()) == "1 2");
  CHECK(calls.load() == 3);

  REQUIRE(bystander_sink.wait_for_count(5, kDeadline));
  store.append("order-1", ExpectedVersion::any(), {make_event()});  // 6
  REQUIRE(bystander_sink.wait_for_count(6, kDeadline));
  REQUIRE(bystander.wait_for(Position{6}, kDeadline));
  CHECK(bystander.running());
  CHECK(bystander.error() == nullptr);
  CHECK(bystander.failed_at() == Position{0});
  CHECK(position_mismatch(bystander_sink.events(), 1, 6) == "");
  CHECK(calls.load() == 3);
  CHECK(positions_of(delivered.events()) == "1 2");
}

TEST_CASE_FIXTURE(TempStore, "stopping or destroying a subscription ends its delivery, and stop is idempotent") {
  EventSink witness_sink;
  EventSink stopped_sink;
  EventSink destroyed_sink;
  Subscription witness = store.subscribe(Position{0}, {}, std::ref(witness_sink));
  Subscription stopped = store.subscribe(Position{0}, {}, std::ref(stopped_sink));
  store.append("order-1", ExpectedVersion::any(), {make_event(), make_event()});  // 1, 2
  {
    Subscription destroyed = store.subscribe(Position{0}, {}, std::ref(destroyed_sink));
    REQUIRE(destroyed_sink.wait_for_count(2, kDeadline));
  }
  REQUIRE(stopped_sink.wait_for_count(2, kDeadline));
  stopped.stop();
  CHECK_FALSE(stopped.running());
  stopped.stop();
  CHECK_FALSE(stopped.running());
  CHECK(stopped.error() == nullptr);

  store.append("order-1", ExpectedVersion::any(), {make_event(), make_event(), make_event()});  // 3, 4, 5
  REQUIRE(witness.wait_for(Position{5}, kDeadline));
  REQUIRE(witness_sink.wait_for_count(5, kDeadline));

  CHECK(positions_of(destroyed_sink.events()) == "1 2");
  CHECK(positions_of(stopped_sink.events()) == "1 2");
  CHECK_FALSE(stopped.wait_for(Position{5}, std::chrono::milliseconds{0}));
  CHECK(position_mismatch(witness_sink.events(), 1, 5) == "");
}

TEST_CASE_FIXTURE(TempStore,
                  "a moved subscription keeps delivering and destroying the moved-from handle does nothing") {
  EventSink sink;
  std::optional<Subscription> original = store.subscribe(Position{0}, {}, std::ref(sink));
  Subscription moved = std::move(*original);
  original.reset();

  store.append("order-1", ExpectedVersion::any(), {make_event()});
  REQUIRE(sink.wait_for_count(1, kDeadline));
  REQUIRE(moved.wait_for(Position{1}, kDeadline));
  CHECK(moved.running());
  moved.stop();
  CHECK(positions_of(sink.events()) == "1");
}

TEST_CASE_FIXTURE(TempStore, "an append by another process wakes a live subscription") {
  store.append("order-1", ExpectedVersion::any(), {make_event()});  // 1, so that the subscription is live
  EventSink sink;
  Subscription subscription = store.subscribe(Position{0}, {}, std::ref(sink));
  REQUIRE(subscription.wait_for(Position{1}, kDeadline));

  const pid_t worker = spawn_append_worker(db_path, 1, 4);
  CHECK(wait_for_exit(worker) == 0);

  REQUIRE(sink.wait_for_count(5, kDeadline));
  REQUIRE(subscription.wait_for(Position{5}, kDeadline));
  subscription.stop();
  const auto events = sink.events();
  CHECK(position_mismatch(events, 1, 5) == "");
  for (std::size_t i = 1; i < events.size(); ++i) {
    CHECK(events[i].type == "WorkerAppended");
    CHECK(events[i].stream_id == (i % 2 == 1 ? "proc-1" : "shared-procs"));
  }
}

TEST_CASE_FIXTURE(TempStore, "waiting with milliseconds::max() waits until it happens instead of not at all") {
  // max() is the natural "forever"; added to the clock's now in nanoseconds it would land in the past.
  std::atomic<bool> committed_seen{false};
  std::atomic<bool> delivered{false};
  auto subscription = store.subscribe(Position{0}, {}, [](const RecordedEvent&) {});
  std::thread waiter([&] {
    committed_seen = store.wait_for_commit(Position{0}, std::chrono::milliseconds::max());
    delivered = subscription.wait_for(Position{1}, std::chrono::milliseconds::max());
  });
  CHECK_FALSE(eventually([&] { return committed_seen.load(); }, std::chrono::milliseconds(200)));
  store.append("order-1", ExpectedVersion::any(), {make_event()});
  waiter.join();
  CHECK(committed_seen);
  CHECK(delivered);
}
