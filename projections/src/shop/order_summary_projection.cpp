#include <fmt/format.h>

#include "evlite/aggregates/shop/order.h"
#include "evlite/projections/shop/read_models.h"
#include "query.h"

namespace evlite::shop {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE {order_summary} (order_id TEXT PRIMARY KEY, customer TEXT NOT NULL, state TEXT NOT NULL, "
    "items INTEGER NOT NULL, total INTEGER NOT NULL, currency TEXT NOT NULL, updated_at INTEGER NOT NULL) "
    "WITHOUT ROWID";
constexpr const char* kCreateStateIndex = "CREATE INDEX {order_summary}_by_state ON {order_summary} (state, order_id)";
constexpr const char* kInsert =
    "INSERT INTO {order_summary} (order_id, customer, state, items, total, currency, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
// ?2 NULL keeps the state: the event changed only the time of the last update.
constexpr const char* kUpdate =
    "UPDATE {order_summary} SET state = coalesce(?2, state), updated_at = ?3 WHERE order_id = ?1";
constexpr const char* kSelect =
    "SELECT order_id, customer, state, items, total, currency, updated_at FROM order_summary "
    "WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR customer = ?2) ORDER BY order_id";

// The state an event moves an order to, or None when it leaves the state as it is.
OrderState state_after(const OrderEvent& event) {
  return std::visit(
      [](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, StockReserved>) return OrderState::StockReserved;
        if constexpr (std::is_same_v<E, OutOfStock>) return OrderState::OutOfStock;
        if constexpr (std::is_same_v<E, PaymentFailed>) return OrderState::PaymentFailed;
        if constexpr (std::is_same_v<E, OrderPaid>) return OrderState::Paid;
        if constexpr (std::is_same_v<E, OrderReadyForShipment>) return OrderState::ReadyForShipment;
        if constexpr (std::is_same_v<E, OrderShipped>) return OrderState::Shipped;
        if constexpr (std::is_same_v<E, OrderDelivered>) return OrderState::Delivered;
        if constexpr (std::is_same_v<E, OrderCancelled>) return OrderState::Cancelled;
        return OrderState::None;
      },
      event);
}

}  // namespace

Filter OrderSummaryProjection::filter() const { return {.categories = {std::string(Order::kCategory)}}; }

void OrderSummaryProjection::create_schema(projections::WriteContext& context) const {
  context.exec(kCreate);
  context.exec(kCreateStateIndex);
}

void OrderSummaryProjection::fold(const RecordedEvent& event) {
  OrderEvent decoded = order_events().decode(event);
  std::int64_t at = detail::micros(event.recorded_at);
  if (const auto* placed = std::get_if<OrderPlaced>(&decoded)) {
    Change& change = pending_[placed->order_id];
    if (change.placed) throw std::runtime_error(fmt::format("order {} is placed twice", placed->order_id));
    Order order;
    order.apply(decoded);  // the aggregate's own rules for item count and total
    change = {.placed = true, .customer = placed->customer, .currency = placed->currency,
              .items = order.item_count(), .total = order.total(),
              .state = std::string(to_string(OrderState::Placed)), .updated_at = at};
    return;
  }
  Change& change = pending_[event.stream_id.substr(Order::kCategory.size() + 1)];
  if (OrderState state = state_after(decoded); state != OrderState::None) change.state = to_string(state);
  change.updated_at = at;
}

void OrderSummaryProjection::flush(projections::WriteContext& context) {
  for (const auto& [order, c] : pending_) {
    if (c.placed) {
      context.run(kInsert, order, c.customer, c.state, c.items, c.total, c.currency, c.updated_at);
    } else {
      context.run(kUpdate, order, c.state.empty() ? std::nullopt : std::optional(c.state), c.updated_at);
    }
  }
}

std::vector<OrderSummaryRow> query_orders(projections::ReadModels& models, const OrderQuery& query) {
  std::vector<OrderSummaryRow> rows;
  if (!models.has("order_summary")) return rows;
  SQLite::Statement s(models.db(), kSelect);
  s.bind(1, query.state);
  s.bind(2, query.customer);
  while (s.executeStep()) {
    rows.push_back({s.getColumn(0).getString(), s.getColumn(1).getString(), s.getColumn(2).getString(),
                    s.getColumn(3).getInt64(), s.getColumn(4).getInt64(), s.getColumn(5).getString(),
                    detail::timestamp(s.getColumn(6))});
  }
  return rows;
}

}  // namespace evlite::shop
