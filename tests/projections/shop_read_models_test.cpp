#include <doctest/doctest.h>

#include <random>
#include <set>

#include "evlite/aggregates/repository.h"
#include "evlite/aggregates/shop/inventory.h"
#include "evlite/aggregates/shop/order.h"
#include "evlite/projections/runner.h"
#include "evlite/projections/shop/read_models.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::shop;
using namespace evlite::projections;
using aggregates::Repository;
using evlite::testing::TempStore;
using namespace std::chrono_literals;

namespace {

PlaceOrder order_of(std::string id, std::string customer, std::vector<OrderLine> lines) {
  return {.order_id = std::move(id), .customer = std::move(customer), .lines = std::move(lines),
          .shipping_address = {"1 Quay", "Leith", "EH6", "GB"}};
}

// Runs the shop's projections on `store` until they reflect everything in it.
void catch_up(const EventStore& store) {
  ProjectionRunner runner(store, {.batch_size = 4});
  for (auto& p : shop_projections()) runner.add(p);
  runner.run_until_caught_up();
}

struct AllReadModels {
  std::vector<InventoryRow> inventory;
  std::vector<ShipmentRow> shipping;
  std::vector<OrderSummaryRow> orders;
  friend bool operator==(const AllReadModels&, const AllReadModels&) = default;
};

// The three read models built from scratch with batches of `batch_size` events.
AllReadModels rebuilt_with_batches_of(const EventStore& store, int batch_size) {
  ProjectionRunner runner(store, {.batch_size = batch_size});
  for (auto& p : shop_projections()) {
    reset(store, *p);
    runner.add(p);
  }
  runner.run_until_caught_up();
  ReadModels models(store);
  return {query_inventory(models), query_shipping(models), query_orders(models)};
}

// Any order event but a second OrderPlaced, with a random payload.
OrderEvent random_order_event(std::mt19937& random) {
  switch (random() % 10) {
    case 0: return StockReserved{"r"};
    case 1: return OutOfStock{{"sku-1"}};
    case 2: return PaymentCaptured{"p", 100};
    case 3: return PaymentFailed{"declined"};
    case 4: return OrderPaid{100};
    case 5: return OrderReadyForShipment{"east"};
    case 6: return OrderShipped{"DHL", "JD" + std::to_string(random() % 100)};
    case 7: return OrderDelivered{"Ann"};
    case 8: return OrderCancelled{"changed mind"};
    default: return OrderNoteAdded{"note"};
  }
}

InventoryEvent random_inventory_event(std::mt19937& random, const std::string& sku) {
  auto quantity = static_cast<std::int64_t>(1 + random() % 5);
  switch (random() % 5) {
    case 0: return StockReceived{sku, quantity * 10};
    case 1: return StockAdjusted{sku, -quantity, "damaged"};
    case 2: return StockAllocated{sku, "o", quantity};
    case 3: return StockReleased{sku, "o", quantity, "cancelled"};
    default: return StockDispatched{sku, "o", quantity};
  }
}

}  // namespace

TEST_CASE_FIXTURE(TempStore, "folding a batch gives the read models that applying each event alone gives") {
  // Events in any order the aggregates would refuse too (cancelled after shipped, shipped twice, events before
  // OrderPlaced), interleaved across streams, so that a batch folds every combination of changes to a row.
  std::mt19937 random(11);  // fixed seed
  std::set<std::string> placed;
  for (int round = 0; round < 600; ++round) {
    std::string id = std::to_string(random() % 60);
    std::string sku = "sku-" + std::to_string(random() % 5);
    std::vector<StreamAppend> appends;
    if (random() % 4 == 0) {
      appends.push_back(
          {"inventory-" + sku, ExpectedVersion::any(), {inventory_events().encode(random_inventory_event(random, sku))}});
    } else if (!placed.contains(id) && random() % 3 != 0) {
      placed.insert(id);
      OrderPlaced event{id, "c-" + std::to_string(random() % 4), {{sku, 2, 150}}, {"1 Quay", "Leith", "EH6", "GB"}, "EUR"};
      appends.push_back({"order-" + id, ExpectedVersion::any(), {order_events().encode(event)}});
    } else {
      appends.push_back({"order-" + id, ExpectedVersion::any(), {order_events().encode(random_order_event(random))}});
    }
    store.append_many(appends);
  }
  AllReadModels one_by_one = rebuilt_with_batches_of(store, 1);
  REQUIRE(one_by_one.orders.size() > 30);
  REQUIRE(one_by_one.inventory.size() == 5);
  CHECK(rebuilt_with_batches_of(store, 3) == one_by_one);
  CHECK(rebuilt_with_batches_of(store, 1000) == one_by_one);
  // Each shipment state occurs, so that every fold path was taken.
  std::set<std::string> states;
  for (const auto& row : one_by_one.shipping) states.insert(row.state);
  CHECK(states == std::set<std::string>{"cancelled", "delivered", "pending", "ready", "shipped"});
}

TEST_CASE_FIXTURE(TempStore, "inventory shows on hand, reserved and available per product from receipts, allocations and releases") {
  Repository<Inventory> stock(store);
  stock.execute("sku-1", [](const Inventory& i) { return i.receive("sku-1", 10); });
  stock.execute("sku-2", [](const Inventory& i) { return i.receive("sku-2", 5); });
  stock.execute("sku-1", [](const Inventory& i) { return i.allocate("sku-1", "o-1", 3); });
  stock.execute("sku-1", [](const Inventory& i) { return i.allocate("sku-1", "o-2", 2); });
  stock.execute("sku-1", [](const Inventory& i) { return i.release("o-2", "payment failed"); });
  stock.execute("sku-1", [](const Inventory& i) { return i.dispatch("o-1"); });
  stock.execute("sku-2", [](const Inventory& i) { return i.adjust("sku-2", -1, "damaged"); });
  stock.execute("sku-2", [](const Inventory& i) { return i.allocate("sku-2", "o-3", 4); });
  catch_up(store);
  ReadModels models(store);
  auto rows = query_inventory(models);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].product == "sku-1");
  CHECK(rows[0].on_hand == 7);
  CHECK(rows[0].reserved == 0);
  CHECK(rows[0].available == 7);
  CHECK(rows[1].product == "sku-2");
  CHECK(rows[1].on_hand == 4);
  CHECK(rows[1].reserved == 4);
  CHECK(rows[1].available == 0);
  CHECK(query_inventory(models, "sku-2").size() == 1);
  CHECK(query_inventory(models, "sku-9").empty());
  // Each row agrees with the aggregate rebuilt by replay.
  for (const auto& row : rows) {
    auto product = stock.load(row.product).state;
    CHECK(product.on_hand() == row.on_hand);
    CHECK(product.reserved() == row.reserved);
  }
}

TEST_CASE_FIXTURE(TempStore, "shipping follows each order from placed to delivered, with carrier and tracking") {
  Repository<Order> orders(store);
  orders.execute("1", [](const Order& o) { return o.place(order_of("1", "c-1", {{"sku-1", 1, 500}})); });
  orders.execute("2", [](const Order& o) { return o.place(order_of("2", "c-2", {{"sku-1", 2, 500}})); });
  for (auto command : std::vector<std::function<std::vector<OrderEvent>(const Order&)>>{
           [](const Order& o) { return o.reserve_stock("r"); },
           [](const Order& o) { return o.capture_payment("p", o.total()); },
           [](const Order& o) { return o.mark_ready_for_shipment("east"); },
           [](const Order& o) { return o.ship("DHL", "JD014"); }}) {
    orders.execute("1", command);
  }
  orders.execute("2", [](const Order& o) { return o.cancel("customer changed mind"); });
  catch_up(store);
  ReadModels models(store);
  auto rows = query_shipping(models);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].shipment == "shipment-1");
  CHECK(rows[0].order == "1");
  CHECK(rows[0].state == "shipped");
  CHECK(rows[0].carrier == "DHL");
  CHECK(rows[0].tracking == "JD014");
  CHECK(rows[0].city == "Leith");
  CHECK(rows[0].ready_at.has_value());
  CHECK(rows[0].shipped_at.has_value());
  CHECK_FALSE(rows[0].delivered_at.has_value());
  CHECK(rows[1].state == "cancelled");
  CHECK(query_shipping(models, {.state = "shipped"}).size() == 1);
  CHECK(query_shipping(models, {.order = "2"}).front().state == "cancelled");
}

TEST_CASE_FIXTURE(TempStore, "order summary has customer, state, items, total and the last update, after catch-up and live") {
  Repository<Order> orders(store);
  orders.execute("7", [](const Order& o) { return o.place(order_of("7", "c-7", {{"a", 2, 150}, {"b", 1, 1000}})); });
  ProjectionRunner runner(store);
  for (auto& p : shop_projections()) runner.add(p);
  runner.start();
  REQUIRE(runner.wait_for("order_summary", store.head_position(), 10s));
  ReadModels models(store);
  auto rows = query_orders(models);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].order == "7");
  CHECK(rows[0].customer == "c-7");
  CHECK(rows[0].state == "placed");
  CHECK(rows[0].items == 3);
  CHECK(rows[0].total == 1300);
  CHECK(rows[0].currency == "EUR");

  auto reserved = orders.execute("7", [](const Order& o) { return o.reserve_stock("r"); });
  auto paid = orders.execute("7", [](const Order& o) { return o.capture_payment("p", o.total()); });
  REQUIRE(runner.wait_for("order_summary", store.head_position(), 10s));
  rows = query_orders(models);
  CHECK(rows[0].state == "paid");
  // The row's time is its latest event's (OrderPaid's), not the placing's.
  CHECK(rows[0].updated_at == store.read_stream("order-7").drain().back().recorded_at);
  CHECK(query_orders(models, {.state = "paid"}).size() == 1);
  CHECK(query_orders(models, {.customer = "c-8"}).empty());
  orders.execute("7", [](const Order& o) { return o.add_note("gift wrap"); });
  REQUIRE(runner.wait_for("order_summary", store.head_position(), 10s));
  CHECK(query_orders(models).front().state == "paid");  // a note changes the time only
}

TEST_CASE_FIXTURE(TempStore, "read models that were never built read as empty") {
  ReadModels models(store);
  CHECK(query_inventory(models).empty());
  CHECK(query_shipping(models).empty());
  CHECK(query_orders(models).empty());
}

TEST_CASE_FIXTURE(TempStore, "an order event that does not decode faults the projection with stream, version and type") {
  store.append("order-3", ExpectedVersion::any(), {{.type = "OrderPlaced", .data = R"({"order_id":"3"})"}});
  ProjectionRunner runner(store);
  runner.add(std::make_shared<OrderSummaryProjection>());
  CHECK_THROWS_WITH_AS(runner.run_until_caught_up(), doctest::Contains("stream order-3 version 1"), ProjectionFaulted);
  CHECK(runner.status("order_summary").error_position == Position{1});
}

TEST_CASE_FIXTURE(TempStore, "an order placed twice in one batch faults order_summary and shipping at the second OrderPlaced") {
  OrderPlaced placed{"5", "c-5", {{"sku-1", 1, 100}}, {"1 Quay", "Leith", "EH6", "GB"}, "EUR"};
  store.append("order-5", ExpectedVersion::any(), {order_events().encode(placed), order_events().encode(placed)});
  for (auto projection : std::vector<std::shared_ptr<projections::Projection>>{
           std::make_shared<OrderSummaryProjection>(), std::make_shared<ShippingProjection>()}) {
    ProjectionRunner runner(store, {.batch_size = 1000});
    runner.add(projection);
    CHECK_THROWS_WITH_AS(runner.run_until_caught_up(), doctest::Contains("order 5 is placed twice"), ProjectionFaulted);
    auto status = runner.status(projection->name());
    CHECK(status.error_position == Position{2});
    CHECK(status.checkpoint == Position{0});  // the first OrderPlaced was not applied alone either
  }
}
