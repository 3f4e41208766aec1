#include <doctest/doctest.h>

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
