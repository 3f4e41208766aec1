#include "evlite/aggregates/shop/inventory.h"
#include "evlite/projections/shop/read_models.h"
#include "query.h"

namespace evlite::shop {
namespace {

constexpr const char* kCreate =
    "CREATE TABLE {inventory} (product TEXT PRIMARY KEY, on_hand INTEGER NOT NULL, reserved INTEGER NOT NULL, "
    "updated_at INTEGER NOT NULL) WITHOUT ROWID";
// Every inventory event is a change of on hand and reserved; one upsert applies any sum of them.
constexpr const char* kChange =
    "INSERT INTO {inventory} (product, on_hand, reserved, updated_at) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (product) DO UPDATE SET on_hand = on_hand + excluded.on_hand, "
    "reserved = reserved + excluded.reserved, updated_at = excluded.updated_at";
constexpr const char* kSelect =
    "SELECT product, on_hand, reserved, on_hand - reserved, updated_at FROM inventory "
    "WHERE ?1 = '' OR product = ?1 ORDER BY product";

struct Delta {
  std::int64_t on_hand;
  std::int64_t reserved;
};

Delta delta_of(const InventoryEvent& event) {
  return std::visit(
      [](const auto& e) -> Delta {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, StockReceived>) return {e.quantity, 0};
        if constexpr (std::is_same_v<E, StockAdjusted>) return {e.delta, 0};
        if constexpr (std::is_same_v<E, StockAllocated>) return {0, e.quantity};
        if constexpr (std::is_same_v<E, StockReleased>) return {0, -e.quantity};
        if constexpr (std::is_same_v<E, StockDispatched>) return {-e.quantity, -e.quantity};
      },
      event);
}

}  // namespace

Filter InventoryProjection::filter() const { return {.categories = {std::string(Inventory::kCategory)}}; }

void InventoryProjection::create_schema(projections::WriteContext& context) const { context.exec(kCreate); }

void InventoryProjection::fold(const RecordedEvent& event) {
  InventoryEvent decoded = inventory_events().decode(event);
  Delta delta = delta_of(decoded);
  Change& change = pending_[std::visit([](const auto& e) { return e.product; }, decoded)];
  change.on_hand += delta.on_hand;
  change.reserved += delta.reserved;
  change.at = detail::micros(event.recorded_at);
}

void InventoryProjection::flush(projections::WriteContext& context) {
  for (const auto& [product, change] : pending_) context.run(kChange, product, change.on_hand, change.reserved, change.at);
}

std::vector<InventoryRow> query_inventory(projections::ReadModels& models, const std::string& product) {
  std::vector<InventoryRow> rows;
  if (!models.has("inventory")) return rows;
  SQLite::Statement s(models.db(), kSelect);
  s.bind(1, product);
  while (s.executeStep()) {
    rows.push_back({s.getColumn(0).getString(), s.getColumn(1).getInt64(), s.getColumn(2).getInt64(),
                    s.getColumn(3).getInt64(), detail::timestamp(s.getColumn(4))});
  }
  return rows;
}

std::vector<std::shared_ptr<projections::Projection>> shop_projections() {
  return {std::make_shared<InventoryProjection>(), std::make_shared<ShippingProjection>(),
          std::make_shared<OrderSummaryProjection>()};
}

}  // namespace evlite::shop
