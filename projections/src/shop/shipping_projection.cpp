#include <fmt/format.h>

#include "evlite/aggregates/shop/order.h"
#include "evlite/projections/shop/read_models.h"
#include "query.h"

namespace evlite::shop {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE {shipping} (shipment TEXT PRIMARY KEY, order_id TEXT NOT NULL UNIQUE, street TEXT NOT NULL, "
    "city TEXT NOT NULL, postcode TEXT NOT NULL, country TEXT NOT NULL, state TEXT NOT NULL, carrier TEXT NOT NULL, "
    "tracking TEXT NOT NULL, created_at INTEGER NOT NULL, ready_at INTEGER, shipped_at INTEGER, "
    "delivered_at INTEGER, updated_at INTEGER NOT NULL) WITHOUT ROWID";
constexpr const char* kCreateStateIndex = "CREATE INDEX {shipping}_by_state ON {shipping} (state, shipment)";
constexpr const char* kInsert =
    "INSERT INTO {shipping} (shipment, order_id, street, city, postcode, country, state, carrier, tracking, "
    "created_at, ready_at, shipped_at, delivered_at, updated_at) "
    "VALUES ('shipment-' || ?1, ?1, ?2, ?3, ?4, ?5, ?6, coalesce(?7, ''), coalesce(?8, ''), ?9, ?10, ?11, ?12, ?13)";
// NULL parameters leave their column as it is.
constexpr const char* kUpdate =
    "UPDATE {shipping} SET state = ?2, carrier = coalesce(?3, carrier), tracking = coalesce(?4, tracking), "
    "ready_at = coalesce(?5, ready_at), shipped_at = coalesce(?6, shipped_at), "
    "delivered_at = coalesce(?7, delivered_at), updated_at = ?8 WHERE order_id = ?1";
constexpr const char* kCancelUnlessShipped =
    "UPDATE {shipping} SET state = 'cancelled', updated_at = ?2 WHERE order_id = ?1 "
    "AND state NOT IN ('shipped', 'delivered')";
constexpr const char* kSelect =
    "SELECT shipment, order_id, street, city, postcode, country, state, carrier, tracking, created_at, ready_at, "
    "shipped_at, delivered_at, updated_at FROM shipping WHERE (?1 = '' OR state = ?1) AND (?2 = '' OR order_id = ?2) "
    "ORDER BY shipment";

// The order id is the stream's id after "order-".
std::string order_of(const RecordedEvent& event) { return event.stream_id.substr(Order::kCategory.size() + 1); }

}  // namespace

Filter ShippingProjection::filter() const {
  return {.categories = {std::string(Order::kCategory)},
          .types = {std::string(OrderPlaced::kType), std::string(OrderReadyForShipment::kType),
                    std::string(OrderShipped::kType), std::string(OrderDelivered::kType),
                    std::string(OrderCancelled::kType), std::string(OutOfStock::kType),
                    std::string(PaymentFailed::kType)}};
}

void ShippingProjection::create_schema(projections::WriteContext& context) const {
  context.exec(kCreate);
  context.exec(kCreateStateIndex);
}

void ShippingProjection::fold(const RecordedEvent& event) {
  std::int64_t at = detail::micros(event.recorded_at);
  std::string order = order_of(event);
  auto change = pending_.find(order);
  auto entry = [&]() -> Change& {
    if (change == pending_.end()) change = pending_.emplace(order, Change{}).first;
    return change->second;
  };
  auto move_to = [&](const char* state) -> Change& {
    entry().state = state;
    change->second.cancel_unless_shipped = false;
    change->second.updated_at = at;
    return change->second;
  };
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, OrderPlaced>) {
          if (change != pending_.end() && change->second.placed) {
            throw std::runtime_error(fmt::format("order {} is placed twice", order));
          }
          entry() = Change{.placed = true, .street = e.shipping_address.street, .city = e.shipping_address.city,
                          .postcode = e.shipping_address.postcode, .country = e.shipping_address.country,
                          .created_at = at, .state = "pending", .updated_at = at};
        } else if constexpr (std::is_same_v<E, OrderShipped>) {
          Change& shipped = move_to("shipped");
          shipped.carrier = e.carrier;
          shipped.tracking = e.tracking;
          shipped.shipped_at = at;
        } else if constexpr (std::is_same_v<E, OrderReadyForShipment>) {
          move_to("ready").ready_at = at;
        } else if constexpr (std::is_same_v<E, OrderDelivered>) {
          move_to("delivered").delivered_at = at;
        } else if constexpr (std::is_same_v<E, OrderCancelled> || std::is_same_v<E, OutOfStock> ||
                             std::is_same_v<E, PaymentFailed>) {
          // It will not ship, unless it already did. When this batch does not know the state, the stored
          // one decides.
          bool known =
              change != pending_.end() && !change->second.state.empty() && !change->second.cancel_unless_shipped;
          if (known && (change->second.state == "shipped" || change->second.state == "delivered")) return;
          move_to("cancelled").cancel_unless_shipped = !known;
        }
      },
      order_events().decode(event));
}

void ShippingProjection::flush(projections::WriteContext& context) {
  for (const auto& [order, c] : pending_) {
    if (c.placed) {
      context.run(kInsert, order, c.street, c.city, c.postcode, c.country, c.state, c.carrier, c.tracking, c.created_at,
                  c.ready_at, c.shipped_at, c.delivered_at, c.updated_at);
    } else if (c.cancel_unless_shipped) {
      context.run(kCancelUnlessShipped, order, c.updated_at);
    } else {
      context.run(kUpdate, order, c.state, c.carrier, c.tracking, c.ready_at, c.shipped_at, c.delivered_at,
                  c.updated_at);
    }
  }
}

std::vector<ShipmentRow> query_shipping(projections::ReadModels& models, const ShippingQuery& query) {
  std::vector<ShipmentRow> rows;
  if (!models.has("shipping")) return rows;
  SQLite::Statement s(models.db(), kSelect);
  s.bind(1, query.state);
  s.bind(2, query.order);
  while (s.executeStep()) {
    rows.push_back({s.getColumn(0).getString(), s.getColumn(1).getString(), s.getColumn(2).getString(),
                    s.getColumn(3).getString(), s.getColumn(4).getString(), s.getColumn(5).getString(),
                    s.getColumn(6).getString(), s.getColumn(7).getString(), s.getColumn(8).getString(),
                    detail::timestamp(s.getColumn(9)), detail::optional_timestamp(s.getColumn(10)),
                    detail::optional_timestamp(s.getColumn(11)), detail::optional_timestamp(s.getColumn(12)),
                    detail::timestamp(s.getColumn(13))});
  }
  return rows;
}

}  // namespace evlite::shop
