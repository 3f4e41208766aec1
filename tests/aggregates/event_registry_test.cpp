#include <doctest/doctest.h>

#include <fmt/format.h>

#include "evlite/aggregates/shop/inventory.h"
#include "evlite/aggregates/shop/order_events.h"
#include "support/temp_store.h"

using namespace evlite;
using namespace evlite::shop;
using evlite::testing::TempStore;

namespace {

// Appends raw JSON as an older version of the code would have stored it, and reads it back.
RecordedEvent store_raw(EventStore& store, std::string type, std::string data, std::int32_t schema_version) {
  store.append("order-1", ExpectedVersion::any(),
               {{.type = std::move(type), .data = std::move(data), .schema_version = schema_version}});
  auto cursor = store.read_stream("order-1", {.direction = Direction::Backward, .max_count = 1});
  REQUIRE(cursor.next());
  return cursor.event();
}

}  // namespace

TEST_CASE_FIXTURE(TempStore, "an event encoded by the registry decodes to the same value") {
  OrderEvent placed = OrderPlaced{"1", "c-1", {{"sku-1", 1, 100}}, {"Main St 1", "Oslo", "0150", "NO"}, "NOK"};
  NewEvent encoded = order_events().encode(placed);
  CHECK(encoded.type == "OrderPlaced");
  CHECK(encoded.schema_version == OrderPlaced::kSchemaVersion);
  RecordedEvent stored = store_raw(store, encoded.type, encoded.data, encoded.schema_version);
  CHECK(order_events().decode(stored) == placed);
}

TEST_CASE_FIXTURE(TempStore, "a v1 OrderPlaced stored as raw JSON is upcast through v2 to v3 on read, and stays v1 on disk") {
  std::string v1 = R"({"order_id":"1","customer":"c-1","lines":[{"product":"sku-1","quantity":2,"unit_price":250}],)"
                   R"("address":"12 Harbour Road, Leith, EH6 6LX, GB"})";
  RecordedEvent stored = store_raw(store, "OrderPlaced", v1, 1);
  auto placed = std::get<OrderPlaced>(order_events().decode(stored));
  CHECK(placed.shipping_address == Address{"12 Harbour Road", "Leith", "EH6 6LX", "GB"});
  CHECK(placed.currency == "EUR");
  CHECK(placed.lines == std::vector<OrderLine>{{"sku-1", 2, 250}});
  // The stored event is never rewritten.
  auto again = store.read_stream("order-1").drain();
  CHECK(again.front().data == v1);
  CHECK(again.front().schema_version == 1);
}

TEST_CASE_FIXTURE(TempStore, "a v1 address that does not have four parts is kept whole in the street") {
  std::string v1 = R"({"order_id":"1","customer":"c","lines":[],"address":"Postfach 12"})";
  auto placed = std::get<OrderPlaced>(order_events().decode(store_raw(store, "OrderPlaced", v1, 1)));
  CHECK(placed.shipping_address.street == "Postfach 12");
  CHECK(placed.shipping_address.city.empty());
}

TEST_CASE_FIXTURE(TempStore, "a v2 OrderPlaced is upcast to v3 only") {
  std::string v2 = R"({"order_id":"1","customer":"c","lines":[],)"
                   R"("shipping_address":{"street":"s","city":"c","postcode":"p","country":"GB"}})";
  auto placed = std::get<OrderPlaced>(order_events().decode(store_raw(store, "OrderPlaced", v2, 2)));
  CHECK(placed.currency == "EUR");
  CHECK(placed.shipping_address.country == "GB");
}

TEST_CASE_FIXTURE(TempStore, "an unknown event type fails with an error naming stream, version and type") {
  RecordedEvent stored = store_raw(store, "OrderTeleported", "{}", 1);
  CHECK_THROWS_WITH_AS(order_events().decode(stored),
                       "stream order-1 version 1 (position 1), event type OrderTeleported schema 1: unknown event type",
                       InvalidArgument);
}

TEST_CASE_FIXTURE(TempStore, "a payload that does not fit its type fails naming stream, version and type") {
  SUBCASE("a missing field") {
    RecordedEvent stored = store_raw(store, "OrderShipped", R"({"carrier":"DHL"})", 1);
    CHECK_THROWS_WITH_AS(order_events().decode(stored),
                         doctest::Contains("stream order-1 version 1 (position 1), event type OrderShipped schema 1"),
                         InvalidArgument);
  }
  SUBCASE("money as a floating-point number") {
    RecordedEvent stored = store_raw(store, "OrderPaid", R"({"amount":19.99})", 1);
    CHECK_THROWS_WITH_AS(order_events().decode(stored), doctest::Contains("amount must be a 64-bit integer"),
                         InvalidArgument);
  }
  SUBCASE("stock as a float, or beyond 64 bits (a hand-written append)") {
    for (const char* quantity : {"1e30", "18446744073709551615", "2.5"}) {
      CAPTURE(quantity);
      RecordedEvent stored = store_raw(store, "StockReceived", fmt::format(R"({{"product":"sku-1","quantity":{}}})", quantity), 1);
      CHECK_THROWS_WITH_AS(inventory_events().decode(stored), doctest::Contains("quantity must be a 64-bit integer"),
                           InvalidArgument);
    }
  }
  SUBCASE("money beyond 64 bits, which would wrap to a negative amount") {
    RecordedEvent stored = store_raw(store, "OrderPaid", R"({"amount":18446744073709551615})", 1);
    CHECK_THROWS_WITH_AS(order_events().decode(stored), doctest::Contains("amount must be a 64-bit integer"),
                         InvalidArgument);
  }
  SUBCASE("order lines whose total overflows 64 bits, or that are not positive (a hand-written append)") {
    const char* address = R"("shipping_address":{"street":"s","city":"c","postcode":"p","country":"NO"},"currency":"NOK")";
    for (auto [lines, problem] : {std::pair{R"({"product":"a","quantity":4611686018427387904,"unit_price":2})",
                                            "order total does not fit in 64-bit minor units"},
                                  {R"({"product":"a","quantity":9223372036854775807,"unit_price":1},)"
                                   R"({"product":"b","quantity":1,"unit_price":1})",
                                   "order total does not fit in 64-bit minor units"},
                                  {R"({"product":"a","quantity":-1,"unit_price":100})",
                                   "line a: quantity and unit price must be positive, got -1 and 100"},
                                  {R"({"product":"a","quantity":1,"unit_price":0})",
                                   "line a: quantity and unit price must be positive, got 1 and 0"}}) {
      CAPTURE(lines);
      std::string data = fmt::format(R"({{"order_id":"1","customer":"c","lines":[{}],{}}})", lines, address);
      RecordedEvent stored = store_raw(store, "OrderPlaced", data, OrderPlaced::kSchemaVersion);
      CHECK_THROWS_WITH_AS(order_events().decode(stored), doctest::Contains(problem), InvalidArgument);
    }
  }
  SUBCASE("a field of the wrong type") {
    RecordedEvent stored = store_raw(store, "OrderCancelled", R"({"reason":42})", 1);
    CHECK_THROWS_WITH_AS(order_events().decode(stored), doctest::Contains("event type OrderCancelled"),
                         InvalidArgument);
  }
}

TEST_CASE_FIXTURE(TempStore, "an event of a newer schema version than the code is refused, not misread") {
  RecordedEvent stored = store_raw(store, "OrderShipped", R"({"carrier":"DHL","tracking":"T"})", 2);
  CHECK_THROWS_WITH_AS(order_events().decode(stored), doctest::Contains("newer than this code reads (1)"),
                       InvalidArgument);
}

TEST_CASE("registering an upcaster twice, or from schema version 0, is refused") {
  aggregates::EventRegistry<std::variant<OrderCancelled>> registry;
  registry.upcast("OrderCancelled", 1, [](nlohmann::json&) {});
  CHECK_THROWS_AS(registry.upcast("OrderCancelled", 1, [](nlohmann::json&) {}), InvalidArgument);
  CHECK_THROWS_AS(registry.upcast("OrderCancelled", 0, [](nlohmann::json&) {}), InvalidArgument);
}

TEST_CASE_FIXTURE(TempStore, "upcasters chain v1 to v2 to v3 for a type of the caller's own") {
  // v1 {"name"} → v2 {"full_name"} → v3 {"full_name","language"}; applied in order, each once.
  std::vector<int> steps;
  aggregates::detail::UpcasterChain chain;
  chain.add("Greeted", 1, [&](nlohmann::json& j) {
    steps.push_back(1);
    j["full_name"] = j.at("name");
    j.erase("name");
  });
  chain.add("Greeted", 2, [&](nlohmann::json& j) {
    steps.push_back(2);
    j["language"] = "en";
  });
  RecordedEvent stored = store_raw(store, "Greeted", R"({"name":"Ada"})", 1);
  nlohmann::json current = chain.current_payload(stored, 3);
  CHECK(current == nlohmann::json{{"full_name", "Ada"}, {"language", "en"}});
  CHECK(steps == std::vector<int>{1, 2});

  RecordedEvent gap = store_raw(store, "Greeted", R"({"name":"Bob"})", 1);
  aggregates::detail::UpcasterChain broken;
  broken.add("Greeted", 1, [](nlohmann::json&) {});
  CHECK_THROWS_WITH_AS(broken.current_payload(gap, 3), doctest::Contains("no upcaster from schema version 2 to 3"),
                       InvalidArgument);
}
