// shop::Order: an order's state, rebuilt by replaying its stream (DESIGN.md §4).
//
//   placed → stock_reserved | out_of_stock
//   stock_reserved → paid (PaymentCaptured + OrderPaid) | payment_failed
//   paid → ready_for_shipment → shipped → delivered
//   cancelled: from any state before shipped (and not from a terminal one)
//
// Commands are const: each checks its rule against the current state and returns the events to append,
// or throws aggregates::CommandRejected saying what was wrong (nothing is appended). State changes only
// in apply(), so replay and live commands share code; apply reads no clock and no random source.
//
// Thread safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "evlite/aggregates/aggregate.h"
#include "evlite/aggregates/shop/order_events.h"

namespace evlite::shop {

enum class OrderState {
  None,  // no OrderPlaced yet
  Placed,
  StockReserved,
  OutOfStock,
  PaymentFailed,
  Paid,
  ReadyForShipment,
  Shipped,
  Delivered,
  Cancelled,
};

// "none", "placed", "stock_reserved", "out_of_stock", "payment_failed", "paid", "ready_for_shipment",
// "shipped", "delivered", "cancelled".
std::string_view to_string(OrderState state);
// The inverse; throws InvalidArgument for any other text.
OrderState order_state_from_string(std::string_view text);

struct PlaceOrder {
  std::string order_id{};
  std::string customer{};
  std::vector<OrderLine> lines{};
  Address shipping_address{};
  std::string currency = "EUR";
};

class Order {
 public:
  using Event = OrderEvent;
  static constexpr std::string_view kCategory = "order";
  static constexpr std::int32_t kSnapshotSchemaVersion = 1;
  static const aggregates::EventRegistry<Event>& registry() { return order_events(); }

  // ---- Commands ----
  // A new order: at least one line, quantities and unit prices positive, a customer and a full address.
  std::vector<Event> place(const PlaceOrder& command) const;
  std::vector<Event> reserve_stock(std::string reservation_id) const;    // placed
  std::vector<Event> mark_out_of_stock(std::vector<std::string> products) const;  // placed
  // stock_reserved; `amount` must be the order's total. Emits PaymentCaptured and OrderPaid.
  std::vector<Event> capture_payment(std::string payment_id, std::int64_t amount) const;
  std::vector<Event> fail_payment(std::string reason) const;             // stock_reserved
  std::vector<Event> mark_ready_for_shipment(std::string warehouse) const;  // paid
  std::vector<Event> ship(std::string carrier, std::string tracking) const;  // ready_for_shipment
  std::vector<Event> deliver(std::string signed_by) const;               // shipped
  std::vector<Event> cancel(std::string reason) const;                   // before shipped, not terminal
  std::vector<Event> add_note(std::string text) const;                   // any placed order

  // ---- Replay ----
  void apply(const Event& event);
  // The id of the stream it is loaded from (aggregate.h): place() then refuses any other order id.
  void identify(std::string_view id) {
    if (id_.empty()) id_ = id;
  }

  // ---- State ----
  const std::string& id() const { return id_; }
  OrderState state() const { return state_; }
  const std::string& customer() const { return customer_; }
  const std::vector<OrderLine>& lines() const { return lines_; }
  const Address& shipping_address() const { return shipping_address_; }
  const std::string& currency() const { return currency_; }
  std::int64_t total() const { return total_; }  // minor units
  std::int64_t item_count() const;
  const std::string& reservation_id() const { return reservation_id_; }
  const std::string& payment_id() const { return payment_id_; }
  std::int64_t amount_paid() const { return amount_paid_; }
  const std::string& carrier() const { return carrier_; }
  const std::string& tracking() const { return tracking_; }
  // Why payment failed, the order was cancelled, or which products were out of stock.
  const std::string& reason() const { return reason_; }
  std::int64_t note_count() const { return note_count_; }

  friend bool operator==(const Order&, const Order&) = default;
  friend void to_json(nlohmann::json& j, const Order& order);
  friend void from_json(const nlohmann::json& j, Order& order);

 private:
  void on(const OrderPlaced& e);
  void on(const StockReserved& e);
  void on(const OutOfStock& e);
  void on(const PaymentCaptured& e);
  void on(const PaymentFailed& e);
  void on(const OrderPaid& e);
  void on(const OrderReadyForShipment& e);
  void on(const OrderShipped& e);
  void on(const OrderDelivered& e);
  void on(const OrderCancelled& e);
  void on(const OrderNoteAdded& e);
  // Throws CommandRejected unless the order is in one of `allowed` for `command`.
  void require(std::string_view command, std::initializer_list<OrderState> allowed) const;

  std::string id_{};
  OrderState state_ = OrderState::None;
  std::string customer_{};
  std::vector<OrderLine> lines_{};
  Address shipping_address_{};
  std::string currency_{};
  std::int64_t total_ = 0;
  std::string reservation_id_{};
  std::string payment_id_{};
  std::int64_t amount_paid_ = 0;
  std::string carrier_{};
  std::string tracking_{};
  std::string reason_{};
  std::int64_t note_count_ = 0;
};

static_assert(aggregates::Aggregate<Order>);

}  // namespace evlite::shop
