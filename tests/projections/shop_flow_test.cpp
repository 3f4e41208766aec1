#include <doctest/doctest.h>

#include <signal.h>

#include <map>
#include <random>
#include <set>
#include <thread>

#include "evlite/aggregates/repository.h"
#include "evlite/aggregates/shop/inventory.h"
#include "evlite/aggregates/shop/order.h"
#include "evlite/projections/reaction.h"
#include "evlite/projections/shop/reactions.h"
#include "evlite/projections/shop/read_models.h"
#include "support/process.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::shop;
using namespace evlite::projections;
using aggregates::Repository;
using evlite::testing::TempStore;
using namespace std::chrono_literals;

namespace {

void receive(EventStore& store, const std::string& product, std::int64_t quantity) {
  Repository<Inventory>(store).execute(product, [&](const Inventory& i) { return i.receive(product, quantity); });
}

void place(EventStore& store, const std::string& id, std::vector<OrderLine> lines) {
  Repository<Order>(store).execute(id, [&](const Order& o) {
    return o.place({.order_id = id, .customer = "c-" + id, .lines = std::move(lines),
                    .shipping_address = {"1 Quay", "Leith", "EH6", "GB"}});
  });
}

// Runs the shop's reactions and projections in this thread until nothing more happens.
void settle(EventStore& store, PaymentGateway gateway = {.decline_every = 0}) {
  ReactionRunner reactions(store, {.batch_size = 50});
  for (auto& r : shop_reactions(store, gateway)) reactions.add(r);
  ProjectionRunner projections(store);
  for (auto& p : shop_projections()) projections.add(p);
  for (Position head{-1}; head != store.head_position();) {
    head = store.head_position();
    reactions.run_until_caught_up();
  }
  projections.run_until_caught_up();
}

std::vector<std::string> types_of(EventStore& store, const std::string& stream) {
  std::vector<std::string> types;
  for (auto& e : store.read_stream(stream).drain()) types.push_back(e.type);
  return types;
}

}  // namespace

TEST_CASE_FIXTURE(TempStore, "a paid order runs the whole chain to shipped, followed by one correlation id") {
  receive(store, "sku-1", 5);
  place(store, "1", {{"sku-1", 2, 700}});
  settle(store);
  CHECK(types_of(store, "order-1") == std::vector<std::string>{"OrderPlaced", "StockReserved", "PaymentCaptured",
                                                               "OrderPaid", "OrderReadyForShipment", "OrderShipped"});
  CHECK(types_of(store, "inventory-sku-1") ==
        std::vector<std::string>{"StockReceived", "StockAllocated", "StockDispatched"});
  auto order = store.read_stream("order-1").drain();
  std::string correlation = correlation_id(order[0]);
  CHECK(correlation == order[0].id);  // the chain starts at OrderPlaced
  std::map<std::string, RecordedEvent> by_id;
  int in_chain = 0;
  auto all = store.read_all().drain();
  for (auto& e : all) by_id[e.id] = e;
  for (auto& e : all) {
    if (correlation_id(e) != correlation) continue;
    ++in_chain;
    if (e.id != order[0].id) CHECK(by_id.contains(causation_id(e)));  // every step names an event that caused it
  }
  CHECK(in_chain == 8);  // 6 order events + allocation + dispatch
  CHECK(causation_id(order[1]) == order[0].id);  // StockReserved because of OrderPlaced
  CHECK(causation_id(order[2]) == order[1].id);  // PaymentCaptured because of StockReserved
  {
    ReadModels models(store);
    CHECK(query_orders(models).front().state == "shipped");
    CHECK(query_shipping(models).front().tracking == "TRK-1");
    auto stock = query_inventory(models).front();
    CHECK(stock.on_hand == 3);
    CHECK(stock.reserved == 0);
  }
}

TEST_CASE_FIXTURE(TempStore, "a declined payment fails the order and releases its stock") {
  receive(store, "sku-1", 5);
  place(store, "2", {{"sku-1", 3, 100}});
  settle(store, {.decline_every = 1});
  CHECK(types_of(store, "order-2") ==
        std::vector<std::string>{"OrderPlaced", "StockReserved", "PaymentFailed"});
  CHECK(types_of(store, "inventory-sku-1") == std::vector<std::string>{"StockReceived", "StockAllocated", "StockReleased"});
  ReadModels models(store);
  CHECK(query_orders(models).front().state == "payment_failed");
  CHECK(query_inventory(models).front().available == 5);
  CHECK(query_shipping(models).front().state == "cancelled");
}

TEST_CASE_FIXTURE(TempStore, "an order for more than is in stock is out of stock and allocates nothing") {
  receive(store, "sku-1", 5);
  receive(store, "sku-2", 1);
  place(store, "3", {{"sku-1", 1, 100}, {"sku-2", 2, 100}});
  settle(store);
  CHECK(types_of(store, "order-3") == std::vector<std::string>{"OrderPlaced", "OutOfStock"});
  CHECK(types_of(store, "inventory-sku-1") == std::vector<std::string>{"StockReceived"});
  CHECK(Repository<Order>(store).load("3").state.reason() == "out of stock: sku-2");
}

TEST_CASE_FIXTURE(TempStore, "cancelling a reserved order releases its stock and stops the flow") {
  receive(store, "sku-1", 5);
  place(store, "4", {{"sku-1", 4, 100}});
  {
    ReactionRunner inventory_only(store);
    inventory_only.add(shop_reactions(store)[0]);
    inventory_only.run_until_caught_up();
  }
  CHECK(Repository<Order>(store).load("4").state.state() == OrderState::StockReserved);
  Repository<Order>(store).execute("4", [](const Order& o) { return o.cancel("changed my mind"); });
  settle(store);
  CHECK(types_of(store, "order-4") == std::vector<std::string>{"OrderPlaced", "StockReserved", "OrderCancelled"});
  CHECK(Repository<Inventory>(store).load("sku-1").state.available() == 5);
}

TEST_CASE_FIXTURE(TempStore, "many concurrent orders for few products: stock never negative, reserved + available = on hand") {
  const std::vector<std::string> products = {"sku-1", "sku-2", "sku-3"};
  for (auto& p : products) receive(store, p, 40);
  ReactionRunner reactions(store);
  for (auto& r : shop_reactions(store, {.decline_every = 5})) reactions.add(r);
  ProjectionRunner projections(store);
  for (auto& p : shop_projections()) projections.add(p);
  reactions.start();
  projections.start();

  std::atomic<bool> placing = true;
  std::atomic<int> negative = 0;
  std::atomic<int> samples = 0;
  std::thread auditor([&] {  // reads the read model while everything runs
    ReadModels models(store);
    while (placing) {
      for (auto& row : query_inventory(models)) {
        if (row.on_hand < 0 || row.reserved < 0 || row.available < 0 || row.reserved + row.available != row.on_hand) {
          ++negative;
        }
      }
      ++samples;
    }
  });
  std::vector<std::thread> customers;
  for (int t = 0; t < 4; ++t) {
    customers.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(t) + 1);
      for (int i = 0; i < 30; ++i) {
        std::string id = std::to_string(t * 1000 + i);
        place(store, id, {{products[random() % 3], 1 + static_cast<std::int64_t>(random() % 4), 100}});
        if (i % 7 == 6) {
          try {
            Repository<Order>(store).execute(id, [](const Order& o) { return o.cancel("changed my mind"); });
          } catch (const aggregates::CommandRejected&) {
          }
        }
      }
    });
  }
  for (auto& c : customers) c.join();
  // Settled: every consumer at the head, and the head no longer moving.
  for (Position head{-1}; head != store.head_position();) {
    head = store.head_position();
    for (auto& s : reactions.status()) REQUIRE(reactions.wait_for(s.name, head, 30s));
    for (auto& s : projections.status()) REQUIRE(projections.wait_for(s.name, head, 30s));
  }
  placing = false;
  auditor.join();
  CHECK(samples > 0);
  CHECK(negative == 0);
  ReadModels models(store);
  std::map<std::string, int> states;
  for (auto& row : query_orders(models)) {
    ++states[row.state];
    CHECK(is_settled(row.state));
  }
  CHECK(query_orders(models).size() == 120);
  CHECK(states["shipped"] > 0);
  for (auto& p : products) {
    auto stock = Repository<Inventory>(store).load(p).state;
    CHECK(stock.on_hand() >= 0);
    CHECK(stock.reserved() == 0);  // settled: every allocation dispatched or released
    auto row = query_inventory(models, p).front();
    CHECK(row.on_hand == stock.on_hand());
    CHECK(row.available == stock.available());
  }
}

TEST_CASE_FIXTURE(TempStore, "the service killed at random points and restarted settles every order exactly once") {
  const std::vector<std::string> products = {"sku-1", "sku-2", "sku-3", "sku-4"};
  for (auto& p : products) receive(store, p, 60);
  std::mt19937 random(20261123);
  const int kOrders = 60;
  for (int i = 0; i < kOrders; ++i) {
    place(store, std::to_string(i), {{products[random() % 4], 1 + static_cast<std::int64_t>(random() % 3), 250},
                                     {products[random() % 4], 1, 99}});
  }
  int kills = 0, mid_flow = 0;  // mid_flow: kills after the service had appended something
  for (int round = 0; round < 40 && kills < 24; ++round) {
    Position before = store.head_position();
    const Position at_start = before;
    // The service: reactions and projections, in a process of its own, until it is killed.
    evlite::testing::RunningProgram service({EVLITE_SHOP_SERVICE_WORKER, db_path.string(), std::to_string(1 + round % 5)});
    // Kill it after a random amount of progress, or when it has nothing left to do.
    std::int64_t progress = 1 + static_cast<std::int64_t>(random() % 25);
    while (store.wait_for_commit(Position{before.value + progress - 1}, 2s) == false) {
      if (store.head_position() == before) break;  // idle: the flow is done
      before = store.head_position();
      progress = 1;
    }
    service.send(SIGKILL);
    REQUIRE(service.wait() == 128 + SIGKILL);  // not an early exit of its own
    ++kills;
    if (store.head_position() != at_start) ++mid_flow;
  }
  MESSAGE(kills << " kills, " << mid_flow << " of them mid-flow");
  CHECK(mid_flow >= 5);  // the flow was interrupted for real, not only killed when idle
  settle(store, {.decline_every = 6});

  ReadModels models(store);
  std::map<std::string, int> terminal;
  for (int i = 0; i < kOrders; ++i) {
    std::string id = std::to_string(i);
    CAPTURE(id);
    auto events = store.read_stream("order-" + id).drain();
    std::map<std::string, int> per_type;
    int settled = 0;
    for (auto& e : events) {
      ++per_type[e.type];
      settled += e.type == "OrderShipped" || e.type == "OutOfStock" || e.type == "PaymentFailed";
    }
    for (auto& [type, n] : per_type) CHECK_MESSAGE(n == 1, type << " appears " << n << " times");
    CHECK(settled == 1);  // exactly one terminal state
    auto order = Repository<Order>(store).load(id).state;
    ++terminal[std::string(to_string(order.state()))];
    CHECK(is_settled(to_string(order.state())));
  }
  // No event was emitted twice for one cause, in any stream.
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (auto& e : store.read_all().drain()) {
    if (e.stream_id.starts_with("inventory-") && e.type == "StockReceived") continue;
    if (e.type == "OrderPlaced") continue;
    auto key = std::tuple{causation_id(e), e.stream_id, e.type};
    CHECK_MESSAGE(seen.insert(key).second, "duplicate " << e.type << " in " << e.stream_id);
  }
  for (auto& p : products) {
    auto stock = Repository<Inventory>(store).load(p).state;
    CHECK(stock.reserved() == 0);
    CHECK(stock.available() >= 0);
  }
  CHECK(store.verify().ok());
  MESSAGE("kills: " << kills << ", shipped " << terminal["shipped"] << ", payment_failed "
                    << terminal["payment_failed"] << ", out_of_stock " << terminal["out_of_stock"]);
}
