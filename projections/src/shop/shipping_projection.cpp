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
    "created_at, updated_at) VALUES ('shipment-' || ?1, ?1, ?2, ?3, ?4, ?5, 'pending', '', '', ?6, ?6)";
constexpr const char* kReady =
    "UPDATE {shipping} SET state = 'ready', ready_at = ?2, updated_at = ?2 WHERE order_id = ?1";
constexpr const char* kShipped =
    "UPDATE {shipping} SET state = 'shipped', carrier = ?2, tracking = ?3, shipped_at = ?4, updated_at = ?4 "
    "WHERE order_id = ?1";
constexpr const char* kDelivered =
    "UPDATE {shipping} SET state = 'delivered', delivered_at = ?2, updated_at = ?2 WHERE order_id = ?1";
constexpr const char* kCancelled =
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

void ShippingProjection::apply(const RecordedEvent& event, projections::WriteContext& context) {
  std::int64_t at = detail::micros(event.recorded_at);
  std::string order = order_of(event);
  auto simple = [&](const char* sql) {
    auto& s = context.statement(sql);
    s.bind(1, order);
    s.bind(2, at);
    s.exec();
  };
  std::visit(
      [&](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, OrderPlaced>) {
          auto& s = context.statement(kInsert);
          s.bind(1, order);
          s.bind(2, e.shipping_address.street);
          s.bind(3, e.shipping_address.city);
          s.bind(4, e.shipping_address.postcode);
          s.bind(5, e.shipping_address.country);
          s.bind(6, at);
          s.exec();
        } else if constexpr (std::is_same_v<E, OrderShipped>) {
          auto& s = context.statement(kShipped);
          s.bind(1, order);
          s.bind(2, e.carrier);
          s.bind(3, e.tracking);
          s.bind(4, at);
          s.exec();
        } else if constexpr (std::is_same_v<E, OrderReadyForShipment>) {
          simple(kReady);
        } else if constexpr (std::is_same_v<E, OrderDelivered>) {
          simple(kDelivered);
        } else if constexpr (std::is_same_v<E, OrderCancelled> || std::is_same_v<E, OutOfStock> ||
                             std::is_same_v<E, PaymentFailed>) {
          simple(kCancelled);  // it will not ship
        }
      },
      order_events().decode(event));
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
