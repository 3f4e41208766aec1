#include <doctest/doctest.h>

#include <random>

#include <fmt/format.h>
#include <thread>

#include "evlite/aggregates/repository.h"
#include "shop_fixtures.h"
#include "support/temp_store.h"
#include "support/test_helpers.h"

using namespace evlite;
using namespace evlite::shop;
using aggregates::CommandRejected;
using aggregates::Repository;
using evlite::testing::sample_order;
using evlite::testing::TempStore;
using evlite::testing::thrown;

TEST_CASE_FIXTURE(TempStore, "an order saved by commands loads back with the same state and version") {
  Repository<Order> orders(store);
  auto placed = orders.execute("42", [](const Order& o) { return o.place(sample_order()); });
  auto reserved = orders.execute("42", [](const Order& o) { return o.reserve_stock("r-1"); });
  CHECK(placed.version == StreamVersion{1});
  CHECK(reserved.version == StreamVersion{2});
  auto loaded = orders.load("42");
  CHECK(loaded.version == StreamVersion{2});
  CHECK(loaded.state == reserved.state);
  CHECK(loaded.state.state() == OrderState::StockReserved);
  CHECK(store.stream_version("order-42") == StreamVersion{2});
}

TEST_CASE_FIXTURE(TempStore, "replaying the stream gives the same order as applying the events live") {
  Repository<Order> orders(store, {.snapshot_every = 0});
  Order live;
  auto run = [&](auto command) {
    auto events = command(live);
    for (const auto& e : events) live.apply(e);
    orders.execute("7", command);
  };
  run([](const Order& o) { return o.place(sample_order("7")); });
  run([](const Order& o) { return o.reserve_stock("r"); });
  run([](const Order& o) { return o.capture_payment("p", o.total()); });
  run([](const Order& o) { return o.mark_ready_for_shipment("w"); });
  run([](const Order& o) { return o.ship("UPS", "1Z"); });
  run([](const Order& o) { return o.deliver("neighbour"); });
  CHECK(orders.load("7").state == live);
  CHECK(orders.load("7").version == StreamVersion{7});
}

TEST_CASE_FIXTURE(TempStore, "a rejected command appends nothing") {
  Repository<Order> orders(store);
  orders.execute("1", [](const Order& o) { return o.place(sample_order("1")); });
  CHECK_THROWS_AS(orders.execute("1", [](const Order& o) { return o.ship("DHL", "T"); }), CommandRejected);
  CHECK(store.stream_version("order-1") == StreamVersion{1});
  CHECK(store.head_position() == Position{1});
}

TEST_CASE_FIXTURE(TempStore, "save with a stale loaded version throws WrongExpectedVersion") {
  Repository<Order> orders(store);
  auto stale = orders.load("5");
  orders.execute("5", [](const Order& o) { return o.place(sample_order("5")); });
  CHECK_THROWS_AS(orders.save("5", stale, stale.state.place(sample_order("5"))), WrongExpectedVersion);
  CHECK(store.stream_version("order-5") == StreamVersion{1});
}

TEST_CASE_FIXTURE(TempStore, "time travel loads the order as of a given stream version") {
  Repository<Order> orders(store);
  orders.execute("3", [](const Order& o) { return o.place(sample_order("3")); });
  orders.execute("3", [](const Order& o) { return o.reserve_stock("r"); });
  orders.execute("3", [](const Order& o) { return o.capture_payment("p", o.total()); });  // versions 3 and 4
  CHECK(orders.load_as_of("3", StreamVersion{0}).state.state() == OrderState::None);
  CHECK(orders.load_as_of("3", StreamVersion{1}).state.state() == OrderState::Placed);
  CHECK(orders.load_as_of("3", StreamVersion{2}).state.state() == OrderState::StockReserved);
  auto captured_not_paid = orders.load_as_of("3", StreamVersion{3});
  CHECK(captured_not_paid.state.payment_id() == "p");
  CHECK(captured_not_paid.state.state() == OrderState::StockReserved);
  CHECK(orders.load_as_of("3", StreamVersion{4}).state.state() == OrderState::Paid);
  CHECK(orders.load_as_of("3", StreamVersion{99}).version == StreamVersion{4});
}

TEST_CASE_FIXTURE(TempStore, "events carry the command's correlation id, causation id and chosen ids") {
  Repository<Order> orders(store);
  aggregates::CommandContext context{.correlation_id = "corr-1", .causation_id = "cause-1",
                                     .metadata = R"({"user":"u-9"})",
                                     .event_id = [](std::size_t i) {
                                       return fmt::format("00000000-0000-4000-8000-00000000000{}", i);
                                     }};
  orders.execute("8", [](const Order& o) { return o.place(sample_order("8")); }, context);
  auto events = store.read_stream("order-8").drain();
  REQUIRE(events.size() == 1);
  CHECK(events[0].id == "00000000-0000-4000-8000-000000000000");
  CHECK(correlation_id(events[0]) == "corr-1");
  CHECK(causation_id(events[0]) == "cause-1");
  CHECK(nlohmann::json::parse(events[0].metadata).at("user") == "u-9");
}

TEST_CASE_FIXTURE(TempStore, "two threads racing conflicting commands: one wins each version, the retry converges") {
  Repository<Order> orders(store, {.max_attempts = 1000});
  orders.execute("9", [](const Order& o) { return o.place(sample_order("9")); });
  constexpr int kNotes = 200;
  std::atomic<int> gave_up = 0;
  auto add_notes = [&](const char* who) {
    for (int i = 0; i < kNotes; ++i) {
      try {
        orders.execute("9", [&](const Order& o) { return o.add_note(fmt::format("{} {}", who, i)); });
      } catch (const WrongExpectedVersion&) {
        ++gave_up;
      }
    }
  };
  std::thread a(add_notes, "a");
  std::thread b(add_notes, "b");
  a.join();
  b.join();
  REQUIRE(gave_up == 0);
  auto loaded = orders.load("9");
  CHECK(loaded.state.note_count() == 2 * kNotes);
  CHECK(loaded.version == StreamVersion{1 + 2 * kNotes});
  auto events = store.read_stream("order-9").drain();
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].version == StreamVersion{std::int64_t(i) + 1});
}

TEST_CASE_FIXTURE(TempStore, "two threads trying to pay the same order: exactly one payment is recorded") {
  Repository<Order> orders(store);
  orders.execute("10", [](const Order& o) { return o.place(sample_order("10")); });
  orders.execute("10", [](const Order& o) { return o.reserve_stock("r"); });
  std::atomic<int> paid = 0;
  std::atomic<int> rejected = 0;
  auto pay = [&](const char* payment) {
    try {
      orders.execute("10", [&](const Order& o) { return o.capture_payment(payment, o.total()); });
      ++paid;
    } catch (const CommandRejected&) {
      ++rejected;
    }
  };
  std::thread a(pay, "pay-a");
  std::thread b(pay, "pay-b");
  a.join();
  b.join();
  CHECK(paid == 1);
  CHECK(rejected == 1);
  CHECK(orders.load("10").version == StreamVersion{4});
}

TEST_CASE_FIXTURE(TempStore, "loading with a snapshot equals loading without, for random command sequences") {
  std::mt19937 random(20261123);  // fixed seed: the same sequences on every run
  Repository<Order> with(store, {.snapshot_every = 3});
  Repository<Order> without(store, {.snapshot_every = 0});
  std::vector<std::function<std::vector<OrderEvent>(const Order&)>> commands = {
      [](const Order& o) { return o.reserve_stock("r"); },
      [](const Order& o) { return o.mark_out_of_stock({"sku-2"}); },
      [](const Order& o) { return o.capture_payment("p", o.total()); },
      [](const Order& o) { return o.fail_payment("declined"); },
      [](const Order& o) { return o.mark_ready_for_shipment("w"); },
      [](const Order& o) { return o.ship("DHL", "T"); },
      [](const Order& o) { return o.deliver("me"); },
      [](const Order& o) { return o.cancel("no longer needed"); },
      [](const Order& o) { return o.add_note("note"); },
  };
  for (int order = 0; order < 30; ++order) {
    std::string id = std::to_string(order);
    with.execute(id, [&](const Order& o) { return o.place(sample_order(id)); });
    for (int step = 0; step < 25; ++step) {
      try {
        with.execute(id, commands[random() % commands.size()]);
      } catch (const CommandRejected&) {
        // Random commands are often out of turn; the rejection is part of the property.
      }
    }
  }
  with.flush_snapshots();
  CHECK(with.snapshot_failures() == 0);
  int snapshotted = 0;
  for (int order = 0; order < 30; ++order) {
    std::string id = std::to_string(order);
    CAPTURE(id);
    auto a = with.load(id);
    auto b = without.load(id);
    CHECK(a.version == b.version);
    CHECK(a.state == b.state);
    if (b.version.value >= 3) {
      CHECK(store.load_snapshot("order-" + id).has_value());
      ++snapshotted;
    }
  }
  CHECK(snapshotted > 20);  // the property was exercised with snapshots on most orders
}

TEST_CASE_FIXTURE(TempStore, "a snapshot of another schema version or aggregate type is ignored, never misread") {
  Repository<Order> orders(store, {.snapshot_every = 1000});
  orders.execute("11", [](const Order& o) { return o.place(sample_order("11")); });
  orders.execute("11", [](const Order& o) { return o.reserve_stock("r"); });
  auto truth = orders.load("11");
  // A snapshot whose JSON would misread as an order with another total and state.
  nlohmann::json wrong = truth.state;
  wrong["state"] = "delivered";
  wrong["total"] = 1;
  SUBCASE("an old snapshot schema version") {
    store.save_snapshot({.stream_id = "order-11", .version = StreamVersion{2}, .type = "order",
                         .schema_version = Order::kSnapshotSchemaVersion - 1, .state = wrong.dump()});
  }
  SUBCASE("another aggregate type") {
    store.save_snapshot({.stream_id = "order-11", .version = StreamVersion{2}, .type = "invoice",
                         .schema_version = Order::kSnapshotSchemaVersion, .state = wrong.dump()});
  }
  SUBCASE("a state that does not fit the aggregate") {
    store.save_snapshot({.stream_id = "order-11", .version = StreamVersion{2}, .type = "order",
                         .schema_version = Order::kSnapshotSchemaVersion, .state = R"({"id":"11"})"});
  }
  SUBCASE("a value the aggregate refuses (a state this code does not know)") {
    nlohmann::json unknown = truth.state;
    unknown["state"] = "refunded";
    store.save_snapshot({.stream_id = "order-11", .version = StreamVersion{2}, .type = "order",
                         .schema_version = Order::kSnapshotSchemaVersion, .state = unknown.dump()});
  }
  auto loaded = orders.load("11");
  CHECK(loaded.state == truth.state);
  CHECK(loaded.version == truth.version);
}

namespace {

// A lighter view of the same order streams, with a snapshot JSON that an Order snapshot would also fit.
struct OrderNotes {
  using Event = OrderEvent;
  static constexpr std::string_view kCategory = "order";
  static constexpr std::string_view kSnapshotType = "order-notes";
  static constexpr std::int32_t kSnapshotSchemaVersion = Order::kSnapshotSchemaVersion;
  static const aggregates::EventRegistry<Event>& registry() { return order_events(); }
  void apply(const Event& e) { note_count += std::holds_alternative<OrderNoteAdded>(e) ? 1 : 0; }
  std::int64_t note_count = 0;
};
void to_json(nlohmann::json& j, const OrderNotes& n) { j = {{"note_count", n.note_count}}; }
void from_json(const nlohmann::json& j, OrderNotes& n) { j.at("note_count").get_to(n.note_count); }

}  // namespace

TEST_CASE_FIXTURE(TempStore, "two aggregate types on one stream never read each other's snapshot") {
  Repository<Order> orders(store, {.snapshot_every = 1000});
  orders.execute("14", [](const Order& o) { return o.place(sample_order("14")); });
  orders.execute("14", [](const Order& o) { return o.add_note("fragile"); });
  // An Order snapshot claiming 7 notes: the view must not take it for its own.
  nlohmann::json order_state = orders.load("14").state;
  order_state["note_count"] = 7;
  store.save_snapshot({.stream_id = "order-14", .version = StreamVersion{2}, .type = "order",
                       .schema_version = Order::kSnapshotSchemaVersion, .state = order_state.dump()});
  Repository<OrderNotes> notes(store, {.snapshot_every = 1});
  CHECK(orders.load("14").state.note_count() == 7);
  CHECK(notes.load("14").state.note_count == 1);
  // The view's own snapshots are stored under its type.
  notes.execute("14", [](const OrderNotes&) { return std::vector<OrderEvent>{OrderNoteAdded{"second"}}; });
  notes.flush_snapshots();
  auto snapshot = store.load_snapshot("order-14");
  REQUIRE(snapshot);
  CHECK(snapshot->type == "order-notes");
  CHECK(notes.load("14").state.note_count == 2);
  // The stream has one snapshot slot: the view's replaced the order's, which now replays in full.
  CHECK(orders.load("14").state.note_count() == 2);
}

TEST_CASE_FIXTURE(TempStore, "a snapshot is used: its state stands in for the events it covers") {
  Repository<Order> orders(store, {.snapshot_every = 1000});
  orders.execute("12", [](const Order& o) { return o.place(sample_order("12")); });
  auto loaded = orders.load("12");
  // A deliberately different state at version 1 proves the loader read the snapshot, not the events.
  nlohmann::json marked = loaded.state;
  marked["customer"] = "from-the-snapshot";
  store.save_snapshot({.stream_id = "order-12", .version = StreamVersion{1}, .type = "order",
                       .schema_version = Order::kSnapshotSchemaVersion, .state = marked.dump()});
  CHECK(orders.load("12").state.customer() == "from-the-snapshot");
  // Time travel to before the snapshot replays from the start instead.
  CHECK(orders.load_as_of("12", StreamVersion{0}).state.customer().empty());
}

TEST_CASE_FIXTURE(TempStore, "snapshots are written every N events and the engine keeps the newest") {
  Repository<Order> orders(store, {.snapshot_every = 2});
  orders.execute("13", [](const Order& o) { return o.place(sample_order("13")); });
  orders.flush_snapshots();
  CHECK_FALSE(store.load_snapshot("order-13").has_value());
  orders.execute("13", [](const Order& o) { return o.add_note("a"); });
  orders.flush_snapshots();
  REQUIRE(store.load_snapshot("order-13").has_value());
  CHECK(store.load_snapshot("order-13")->version == StreamVersion{2});
  orders.execute("13", [](const Order& o) { return o.add_note("b"); });
  orders.execute("13", [](const Order& o) { return o.add_note("c"); });
  orders.flush_snapshots();
  CHECK(store.load_snapshot("order-13")->version == StreamVersion{4});
  // An older snapshot never replaces a newer one.
  store.save_snapshot({.stream_id = "order-13", .version = StreamVersion{1}, .type = "order",
                       .schema_version = 1, .state = "{}"});
  CHECK(store.load_snapshot("order-13")->version == StreamVersion{4});
}

TEST_CASE_FIXTURE(TempStore, "save_snapshot refuses a version beyond the stream or state that is not JSON") {
  Repository<Order> orders(store);
  orders.execute("14", [](const Order& o) { return o.place(sample_order("14")); });
  CHECK_THROWS_AS(store.save_snapshot({.stream_id = "order-14", .version = StreamVersion{2}, .type = "order",
                                       .state = "{}"}),
                  InvalidArgument);
  CHECK_THROWS_AS(store.save_snapshot({.stream_id = "order-14", .version = StreamVersion{1}, .type = "order",
                                       .state = "{oops"}),
                  InvalidArgument);
  CHECK_FALSE(store.load_snapshot("order-14").has_value());
}

TEST_CASE_FIXTURE(TempStore, "a command for another id than its stream's is refused, nothing appended") {
  Repository<Order> orders(store);
  auto error = thrown<CommandRejected>([&] { orders.execute("42", [](const Order& o) { return o.place(sample_order("43")); }); });
  REQUIRE(error.has_value());
  CHECK(std::string(error->what()).find("order id 43 is not this order's id, 42") != std::string::npos);
  CHECK(store.stream_version("order-42") == StreamVersion{0});
  orders.execute("42", [](const Order& o) { return o.place(sample_order("42")); });
  CHECK(orders.load("42").state.id() == "42");
}

TEST_CASE_FIXTURE(TempStore, "event fields that cannot be JSON are refused with InvalidArgument naming the type") {
  Repository<Order> orders(store);
  auto order = sample_order("42");
  order.customer = "\xff";  // not UTF-8
  auto error = thrown<InvalidArgument>([&] { orders.execute("42", [&](const Order& o) { return o.place(order); }); });
  REQUIRE(error.has_value());
  CHECK(std::string(error->what()).find("OrderPlaced") != std::string::npos);
  CHECK(store.stream_version("order-42") == StreamVersion{0});
}
