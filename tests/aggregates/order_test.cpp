#include <doctest/doctest.h>

#include "shop_fixtures.h"

using namespace evlite;
using namespace evlite::shop;
using aggregates::CommandRejected;
using evlite::testing::apply_all;
using evlite::testing::sample_order;

namespace {

// An order driven to `target` along the happy path.
Order order_in(OrderState target) {
  Order o;
  auto step = [&](std::vector<OrderEvent> events) { apply_all(o, events); };
  step(o.place(sample_order()));
  if (target == OrderState::Placed) return o;
  if (target == OrderState::OutOfStock) return step(o.mark_out_of_stock({"sku-1"})), o;
  step(o.reserve_stock("reservation-1"));
  if (target == OrderState::StockReserved) return o;
  if (target == OrderState::PaymentFailed) return step(o.fail_payment("card declined")), o;
  step(o.capture_payment("payment-1", o.total()));
  if (target == OrderState::Paid) return o;
  step(o.mark_ready_for_shipment("warehouse-east"));
  if (target == OrderState::ReadyForShipment) return o;
  step(o.ship("DHL", "JD0001"));
  if (target == OrderState::Shipped) return o;
  if (target == OrderState::Delivered) return step(o.deliver("front desk")), o;
  if (target == OrderState::Cancelled) throw std::logic_error("use cancel()");
  return o;
}

}  // namespace

TEST_CASE("placing an order records its lines, customer, address and total in minor units") {
  Order o;
  auto events = o.place(sample_order());
  REQUIRE(events.size() == 1);
  apply_all(o, events);
  CHECK(o.state() == OrderState::Placed);
  CHECK(o.id() == "42");
  CHECK(o.customer() == "customer-7");
  CHECK(o.total() == 2 * 1999 + 4999);
  CHECK(o.item_count() == 3);
  CHECK(o.shipping_address().city == "Leith");
  CHECK(o.currency() == "EUR");
}

TEST_CASE("the happy path runs placed, stock reserved, paid, ready, shipped, delivered") {
  Order o = order_in(OrderState::Delivered);
  CHECK(o.state() == OrderState::Delivered);
  CHECK(o.payment_id() == "payment-1");
  CHECK(o.amount_paid() == o.total());
  CHECK(o.carrier() == "DHL");
  CHECK(o.tracking() == "JD0001");
  CHECK(o.reservation_id() == "reservation-1");
}

TEST_CASE("capturing payment emits PaymentCaptured and OrderPaid together") {
  Order o = order_in(OrderState::StockReserved);
  auto events = o.capture_payment("p-9", o.total());
  REQUIRE(events.size() == 2);
  CHECK(std::holds_alternative<PaymentCaptured>(events[0]));
  CHECK(std::holds_alternative<OrderPaid>(events[1]));
}

TEST_CASE("an order that is out of stock or whose payment failed records why") {
  CHECK(order_in(OrderState::OutOfStock).reason() == "out of stock: sku-1");
  CHECK(order_in(OrderState::PaymentFailed).reason() == "card declined");
}

TEST_CASE("place rejects an empty order, non-positive quantities or prices, and missing fields") {
  Order o;
  auto check_rejected = [&](PlaceOrder command, const char* fragment) {
    CHECK_THROWS_WITH_AS(o.place(command), doctest::Contains(fragment), CommandRejected);
  };
  auto c = sample_order();
  c.lines.clear();
  check_rejected(c, "at least one line");
  c = sample_order();
  c.lines[0].quantity = 0;
  check_rejected(c, "quantity of sku-1 must be positive");
  c = sample_order();
  c.lines[1].unit_price = -5;
  check_rejected(c, "unit price of sku-2 must be positive");
  c = sample_order();
  c.customer.clear();
  check_rejected(c, "customer must not be empty");
  c = sample_order();
  c.shipping_address.postcode.clear();
  check_rejected(c, "shipping address postcode");
  c = sample_order();
  c.lines = {{"sku-1", std::numeric_limits<std::int64_t>::max() / 2, 3}};
  check_rejected(c, "does not fit");
}

TEST_CASE("applying an OrderPlaced built in code whose total overflows or whose line is negative is refused") {
  for (OrderLine line : {OrderLine{"sku-1", std::int64_t{1} << 62, 4}, OrderLine{"sku-1", -3, 100}}) {
    CAPTURE(line.quantity);
    Order order;
    OrderPlaced placed{"1", "c-1", {line, {"sku-2", 1, 100}}, {"s", "c", "p", "NO"}, "EUR"};
    CHECK_THROWS_WITH_AS(order.apply(placed), doctest::Contains("does not fit in 64 bits"), InvalidArgument);
  }
}

TEST_CASE("an order cannot be placed twice") {
  Order o = order_in(OrderState::Placed);
  CHECK_THROWS_WITH_AS(o.place(sample_order()), doctest::Contains("already placed"), CommandRejected);
}

TEST_CASE("an order cannot be paid twice, nor for the wrong amount, nor before stock is reserved") {
  CHECK_THROWS_WITH_AS(order_in(OrderState::Paid).capture_payment("p-2", 8997), doctest::Contains("already paid"),
                       CommandRejected);
  CHECK_THROWS_WITH_AS(order_in(OrderState::Shipped).capture_payment("p-2", 8997),
                       doctest::Contains("already paid"), CommandRejected);
  Order reserved = order_in(OrderState::StockReserved);
  CHECK_THROWS_WITH_AS(reserved.capture_payment("p-2", reserved.total() - 1), doctest::Contains("does not match"),
                       CommandRejected);
  CHECK_THROWS_AS(order_in(OrderState::Placed).capture_payment("p-2", 8997), CommandRejected);
}

TEST_CASE("an unpaid order cannot be shipped or made ready for shipment") {
  for (OrderState unpaid : {OrderState::Placed, OrderState::StockReserved, OrderState::PaymentFailed,
                            OrderState::OutOfStock}) {
    CAPTURE(to_string(unpaid));
    Order o = order_in(unpaid);
    CHECK_THROWS_WITH_AS(o.ship("DHL", "JD1"), doctest::Contains("must be ready_for_shipment"), CommandRejected);
    CHECK_THROWS_AS(o.mark_ready_for_shipment("w"), CommandRejected);
  }
}

TEST_CASE("each command is rejected in every state it does not apply to") {
  const std::vector<OrderState> states = {OrderState::Placed, OrderState::StockReserved, OrderState::OutOfStock,
                                          OrderState::PaymentFailed, OrderState::Paid, OrderState::ReadyForShipment,
                                          OrderState::Shipped, OrderState::Delivered};
  struct Command {
    const char* name;
    std::vector<OrderState> allowed;
    std::function<std::vector<OrderEvent>(const Order&)> run;
  };
  const std::vector<Command> commands = {
      {"reserve", {OrderState::Placed}, [](const Order& o) { return o.reserve_stock("r"); }},
      {"out of stock", {OrderState::Placed}, [](const Order& o) { return o.mark_out_of_stock({"sku-1"}); }},
      {"fail payment", {OrderState::StockReserved}, [](const Order& o) { return o.fail_payment("declined"); }},
      {"ready", {OrderState::Paid}, [](const Order& o) { return o.mark_ready_for_shipment("w"); }},
      {"ship", {OrderState::ReadyForShipment}, [](const Order& o) { return o.ship("DHL", "T"); }},
      {"deliver", {OrderState::Shipped}, [](const Order& o) { return o.deliver("me"); }},
      {"cancel",
       {OrderState::Placed, OrderState::StockReserved, OrderState::OutOfStock, OrderState::PaymentFailed,
        OrderState::Paid, OrderState::ReadyForShipment},
       [](const Order& o) { return o.cancel("changed my mind"); }},
  };
  for (const Command& command : commands) {
    for (OrderState state : states) {
      CAPTURE(command.name);
      CAPTURE(to_string(state));
      Order o = order_in(state);
      bool allowed = std::find(command.allowed.begin(), command.allowed.end(), state) != command.allowed.end();
      if (allowed) {
        CHECK(command.run(o).size() == 1);
      } else {
        CHECK_THROWS_AS(command.run(o), CommandRejected);
      }
    }
  }
}

TEST_CASE("a cancelled order cannot be cancelled again, paid or shipped") {
  Order o = order_in(OrderState::Paid);
  apply_all(o, o.cancel("customer request"));
  CHECK(o.state() == OrderState::Cancelled);
  CHECK(o.reason() == "customer request");
  CHECK_THROWS_AS(o.cancel("again"), CommandRejected);
  CHECK_THROWS_AS(o.ship("DHL", "T"), CommandRejected);
  CHECK_THROWS_AS(o.reserve_stock("r"), CommandRejected);
}

TEST_CASE("commands on an order that was never placed are rejected") {
  Order o;
  CHECK_THROWS_WITH_AS(o.reserve_stock("r"), doctest::Contains("(not placed)"), CommandRejected);
  CHECK_THROWS_AS(o.cancel("x"), CommandRejected);
  CHECK_THROWS_AS(o.add_note("x"), CommandRejected);
}

TEST_CASE("order states have lower-case names and parse back") {
  for (int i = 0; i <= static_cast<int>(OrderState::Cancelled); ++i) {
    auto state = static_cast<OrderState>(i);
    CHECK(order_state_from_string(to_string(state)) == state);
  }
  CHECK(to_string(OrderState::ReadyForShipment) == "ready_for_shipment");
  CHECK_THROWS_AS(order_state_from_string("Paid"), evlite::InvalidArgument);
}

TEST_CASE("an order's state survives a JSON round trip, as snapshots need") {
  Order o = order_in(OrderState::Shipped);
  apply_all(o, o.add_note("left at the door"));
  CHECK(nlohmann::json(o).get<Order>() == o);
}
