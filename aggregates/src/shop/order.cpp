#include "evlite/aggregates/shop/order.h"

#include <algorithm>
#include <array>
#include <limits>
#include <numeric>

#include <fmt/format.h>

namespace evlite::shop {
namespace {

using aggregates::CommandRejected;

constexpr std::array<std::string_view, 10> kStateNames = {
    "none", "placed", "stock_reserved", "out_of_stock", "payment_failed",
    "paid", "ready_for_shipment", "shipped", "delivered", "cancelled"};

void require_text(std::string_view command, std::string_view field, std::string_view value) {
  if (value.empty()) throw CommandRejected(fmt::format("{}: {} must not be empty", command, field));
}

// The order's total in minor units; rejects non-positive amounts and totals that overflow.
std::int64_t checked_total(const std::vector<OrderLine>& lines) {
  for (const OrderLine& line : lines) {
    require_text("place", "product", line.product);
    if (line.quantity <= 0) {
      throw CommandRejected(fmt::format("place: quantity of {} must be positive, got {}", line.product, line.quantity));
    }
    if (line.unit_price <= 0) {
      throw CommandRejected(
          fmt::format("place: unit price of {} must be positive, got {}", line.product, line.unit_price));
    }
  }
  std::optional<std::int64_t> total = order_total(lines);
  if (!total) throw CommandRejected("place: the order total does not fit in 64-bit minor units");
  return *total;
}

}  // namespace

std::string_view to_string(OrderState state) { return kStateNames[static_cast<std::size_t>(state)]; }

OrderState order_state_from_string(std::string_view text) {
  auto found = std::find(kStateNames.begin(), kStateNames.end(), text);
  if (found == kStateNames.end()) throw InvalidArgument(fmt::format("unknown order state \"{}\"", text));
  return static_cast<OrderState>(found - kStateNames.begin());
}

void Order::require(std::string_view command, std::initializer_list<OrderState> allowed) const {
  if (std::find(allowed.begin(), allowed.end(), state_) != allowed.end()) return;
  std::string names;
  for (OrderState s : allowed) names += fmt::format("{}{}", names.empty() ? "" : " or ", to_string(s));
  throw CommandRejected(fmt::format("{}: order {} is {}, but must be {}", command,
                                    id_.empty() ? "(not placed)" : id_, to_string(state_), names));
}

std::vector<Order::Event> Order::place(const PlaceOrder& c) const {
  if (state_ != OrderState::None) throw CommandRejected(fmt::format("place: order {} is already placed", id_));
  require_text("place", "order id", c.order_id);
  if (!id_.empty() && c.order_id != id_) {
    throw CommandRejected(fmt::format("place: order id {} is not this order's id, {}", c.order_id, id_));
  }
  require_text("place", "customer", c.customer);
  if (c.lines.empty()) throw CommandRejected("place: an order needs at least one line");
  checked_total(c.lines);
  for (auto [field, value] : {std::pair{"street", &c.shipping_address.street}, {"city", &c.shipping_address.city},
                              {"postcode", &c.shipping_address.postcode}, {"country", &c.shipping_address.country}}) {
    require_text("place", fmt::format("shipping address {}", field), *value);
  }
  require_text("place", "currency", c.currency);
  return {OrderPlaced{c.order_id, c.customer, c.lines, c.shipping_address, c.currency}};
}

std::vector<Order::Event> Order::reserve_stock(std::string reservation_id) const {
  require("reserve stock", {OrderState::Placed});
  require_text("reserve stock", "reservation id", reservation_id);
  return {StockReserved{std::move(reservation_id)}};
}

std::vector<Order::Event> Order::mark_out_of_stock(std::vector<std::string> products) const {
  require("mark out of stock", {OrderState::Placed});
  if (products.empty()) throw CommandRejected("mark out of stock: name at least one product");
  return {OutOfStock{std::move(products)}};
}

std::vector<Order::Event> Order::capture_payment(std::string payment_id, std::int64_t amount) const {
  if (state_ == OrderState::Paid || !payment_id_.empty()) {
    throw CommandRejected(fmt::format("capture payment: order {} is already paid", id_));
  }
  require("capture payment", {OrderState::StockReserved});
  require_text("capture payment", "payment id", payment_id);
  if (amount != total_) {
    throw CommandRejected(
        fmt::format("capture payment: amount {} does not match the order total {}", amount, total_));
  }
  return {PaymentCaptured{payment_id, amount}, OrderPaid{amount}};
}

std::vector<Order::Event> Order::fail_payment(std::string reason) const {
  require("fail payment", {OrderState::StockReserved});
  require_text("fail payment", "reason", reason);
  return {PaymentFailed{std::move(reason)}};
}

std::vector<Order::Event> Order::mark_ready_for_shipment(std::string warehouse) const {
  require("mark ready for shipment", {OrderState::Paid});
  require_text("mark ready for shipment", "warehouse", warehouse);
  return {OrderReadyForShipment{std::move(warehouse)}};
}

std::vector<Order::Event> Order::ship(std::string carrier, std::string tracking) const {
  require("ship", {OrderState::ReadyForShipment});
  require_text("ship", "carrier", carrier);
  require_text("ship", "tracking", tracking);
  return {OrderShipped{std::move(carrier), std::move(tracking)}};
}

std::vector<Order::Event> Order::deliver(std::string signed_by) const {
  require("deliver", {OrderState::Shipped});
  require_text("deliver", "signed by", signed_by);
  return {OrderDelivered{std::move(signed_by)}};
}

std::vector<Order::Event> Order::cancel(std::string reason) const {
  require("cancel", {OrderState::Placed, OrderState::StockReserved, OrderState::OutOfStock,
                     OrderState::PaymentFailed, OrderState::Paid, OrderState::ReadyForShipment});
  require_text("cancel", "reason", reason);
  return {OrderCancelled{std::move(reason)}};
}

std::vector<Order::Event> Order::add_note(std::string text) const {
  if (state_ == OrderState::None) throw CommandRejected("add note: the order is not placed");
  require_text("add note", "text", text);
  return {OrderNoteAdded{std::move(text)}};
}

std::int64_t Order::item_count() const {
  return std::accumulate(lines_.begin(), lines_.end(), std::int64_t{0},
                         [](std::int64_t n, const OrderLine& line) { return n + line.quantity; });
}

void Order::apply(const Event& event) {
  std::visit([this](const auto& e) { on(e); }, event);
}

void Order::on(const OrderPlaced& e) {
  id_ = e.order_id;
  state_ = OrderState::Placed;
  customer_ = e.customer;
  lines_ = e.lines;
  shipping_address_ = e.shipping_address;
  currency_ = e.currency;
  // Decoding refuses such lines; an event built in code and applied directly may still carry them.
  std::optional<std::int64_t> total = order_total(lines_);
  if (!total) {
    throw InvalidArgument(
        fmt::format("OrderPlaced {}: a line is not positive, or the order total does not fit in 64 bits", id_));
  }
  total_ = *total;
}

void Order::on(const StockReserved& e) {
  state_ = OrderState::StockReserved;
  reservation_id_ = e.reservation_id;
}

void Order::on(const OutOfStock& e) {
  state_ = OrderState::OutOfStock;
  reason_.clear();
  for (const std::string& p : e.products) reason_ += (reason_.empty() ? "out of stock: " : ", ") + p;
}

void Order::on(const PaymentCaptured& e) {
  payment_id_ = e.payment_id;
  amount_paid_ = e.amount;
}

void Order::on(const PaymentFailed& e) {
  state_ = OrderState::PaymentFailed;
  reason_ = e.reason;
}

void Order::on(const OrderPaid&) { state_ = OrderState::Paid; }
void Order::on(const OrderReadyForShipment&) { state_ = OrderState::ReadyForShipment; }

void Order::on(const OrderShipped& e) {
  state_ = OrderState::Shipped;
  carrier_ = e.carrier;
  tracking_ = e.tracking;
}

void Order::on(const OrderDelivered&) { state_ = OrderState::Delivered; }

void Order::on(const OrderCancelled& e) {
  state_ = OrderState::Cancelled;
  reason_ = e.reason;
}

void Order::on(const OrderNoteAdded&) { ++note_count_; }

void to_json(nlohmann::json& j, const Order& o) {
  j = nlohmann::json{{"id", o.id_},
                     {"state", to_string(o.state_)},
                     {"customer", o.customer_},
                     {"lines", o.lines_},
                     {"shipping_address", o.shipping_address_},
                     {"currency", o.currency_},
                     {"total", o.total_},
                     {"reservation_id", o.reservation_id_},
                     {"payment_id", o.payment_id_},
                     {"amount_paid", o.amount_paid_},
                     {"carrier", o.carrier_},
                     {"tracking", o.tracking_},
                     {"reason", o.reason_},
                     {"note_count", o.note_count_}};
}

void from_json(const nlohmann::json& j, Order& o) {
  j.at("id").get_to(o.id_);
  o.state_ = order_state_from_string(j.at("state").get<std::string>());
  j.at("customer").get_to(o.customer_);
  j.at("lines").get_to(o.lines_);
  j.at("shipping_address").get_to(o.shipping_address_);
  j.at("currency").get_to(o.currency_);
  j.at("total").get_to(o.total_);
  j.at("reservation_id").get_to(o.reservation_id_);
  j.at("payment_id").get_to(o.payment_id_);
  j.at("amount_paid").get_to(o.amount_paid_);
  j.at("carrier").get_to(o.carrier_);
  j.at("tracking").get_to(o.tracking_);
  j.at("reason").get_to(o.reason_);
  j.at("note_count").get_to(o.note_count_);
}

}  // namespace evlite::shop
