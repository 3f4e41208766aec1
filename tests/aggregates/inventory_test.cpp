#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "evlite/aggregates/shop/inventory.h"

using namespace evlite::shop;
using evlite::aggregates::CommandRejected;

namespace {

Inventory with(std::vector<std::vector<InventoryEvent>> steps) {
  Inventory i;
  for (auto& events : steps) {
    for (auto& e : events) i.apply(e);
  }
  return i;
}

}  // namespace

TEST_CASE("stock received, allocated, released and dispatched moves on hand and reserved") {
  Inventory i;
  auto step = [&](std::vector<InventoryEvent> events) {
    for (auto& e : events) i.apply(e);
  };
  step(i.receive("sku-1", 10));
  step(i.allocate("sku-1", "o-1", 4));
  CHECK(i.on_hand() == 10);
  CHECK(i.reserved() == 4);
  CHECK(i.available() == 6);
  CHECK(i.allocated_to("o-1") == 4);
  step(i.allocate("sku-1", "o-2", 6));
  CHECK(i.available() == 0);
  step(i.release("o-2", "payment failed"));
  CHECK(i.available() == 6);
  step(i.dispatch("o-1"));
  CHECK(i.on_hand() == 6);
  CHECK(i.reserved() == 0);
  CHECK(i.allocated_to("o-1") == 0);
}

TEST_CASE("an allocation larger than what is available is rejected, so stock never goes negative") {
  Inventory i = with({Inventory{}.receive("sku-1", 3)});
  CHECK_THROWS_WITH_AS(i.allocate("sku-1", "o-1", 4), doctest::Contains("3 available"), CommandRejected);
  CHECK_THROWS_AS(i.allocate("sku-1", "o-1", 0), CommandRejected);
}

TEST_CASE("an order cannot be allocated twice, nor released or dispatched when it holds nothing") {
  Inventory i = with({Inventory{}.receive("sku-1", 5)});
  i.apply(i.allocate("sku-1", "o-1", 1).front());
  CHECK_THROWS_WITH_AS(i.allocate("sku-1", "o-1", 1), doctest::Contains("already holds"), CommandRejected);
  CHECK_THROWS_AS(i.release("o-9", "x"), CommandRejected);
  CHECK_THROWS_AS(i.dispatch("o-9"), CommandRejected);
}

TEST_CASE("an adjustment may not leave less on hand than is reserved") {
  Inventory i = with({Inventory{}.receive("sku-1", 5)});
  i.apply(i.allocate("sku-1", "o-1", 4).front());
  CHECK_THROWS_WITH_AS(i.adjust("sku-1", -2, "broken"), doctest::Contains("would leave 3 on hand with 4 reserved"),
                       CommandRejected);
  CHECK(i.adjust("sku-1", -1, "broken").size() == 1);
  CHECK_THROWS_AS(i.receive("sku-1", -1), CommandRejected);
  CHECK_THROWS_AS(i.adjust("sku-1", 1, ""), CommandRejected);
}

TEST_CASE("an inventory's state survives a JSON round trip") {
  Inventory i = with({Inventory{}.receive("sku-1", 5)});
  i.apply(i.allocate("sku-1", "o-1", 2).front());
  CHECK(nlohmann::json(i).get<Inventory>() == i);
}

TEST_CASE("an inventory refuses commands for another product than its own") {
  Inventory received = with({Inventory{}.receive("sku-1", 10)});
  CHECK_THROWS_WITH_AS(received.receive("sku-2", 5), doctest::Contains("product sku-2 is not this inventory's product, sku-1"),
                       CommandRejected);
  CHECK_THROWS_AS(received.adjust("sku-2", 1, "found"), CommandRejected);
  CHECK_THROWS_AS(received.allocate("sku-2", "o-1", 1), CommandRejected);
  Inventory identified;  // as the repository loads an empty stream inventory-sku-1
  identified.identify("sku-1");
  CHECK_THROWS_AS(identified.receive("sku-2", 5), CommandRejected);
  CHECK(identified.receive("sku-1", 5).size() == 1);
}

TEST_CASE("stock that would overflow 64 bits is refused, not wrapped") {
  Inventory full = with({Inventory{}.receive("sku-1", std::numeric_limits<std::int64_t>::max())});
  CHECK_THROWS_WITH_AS(full.receive("sku-1", 1), doctest::Contains("would not fit in 64 bits"), CommandRejected);
  CHECK_THROWS_AS(full.adjust("sku-1", 1, "found"), CommandRejected);
  CHECK(full.on_hand() == std::numeric_limits<std::int64_t>::max());
}
