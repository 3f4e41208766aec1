// The shop's read models (DESIGN.md §5) and their query APIs: nobody writes SQL against their tables.
//
//   inventory      per product: on hand, reserved, available        (from inventory-* streams)
//   shipping       per shipment: order, address, state, carrier, tracking, timestamps  (from order-*)
//   order_summary  per order: customer, state, item count, total, last update          (from order-*)
//
// Each projection folds a batch in memory and writes each changed row once (FoldingProjection).
//
// Queries return what the read model reflects as of its checkpoint; use ProjectionRunner::wait_for to
// read your own writes. A read model that was never built reads as empty.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "evlite/projections/projection.h"
#include "evlite/projections/read_models.h"

namespace evlite::shop {

// ---- inventory ----
struct InventoryRow {
  std::string product{};
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;
  std::int64_t available = 0;
  Timestamp updated_at{};
  friend bool operator==(const InventoryRow&, const InventoryRow&) = default;
};

class InventoryProjection : public projections::FoldingProjection {
 public:
  std::string name() const override { return "inventory"; }
  std::int32_t version() const override { return 1; }
  std::vector<std::string> tables() const override { return {"inventory"}; }
  Filter filter() const override;
  void create_schema(projections::WriteContext& context) const override;
  void fold(const RecordedEvent& event) override;
  void flush(projections::WriteContext& context) override;
  void discard() override { pending_.clear(); }

 private:
  struct Change {
    std::int64_t on_hand = 0;
    std::int64_t reserved = 0;
    std::int64_t at = 0;
  };
  std::map<std::string, Change, std::less<>> pending_;  // by product
};

// Every product in product order, or only `product` when given.
std::vector<InventoryRow> query_inventory(projections::ReadModels& models, const std::string& product = {});

// ---- shipping ----
struct ShipmentRow {
  std::string shipment{};  // "shipment-<order>"
  std::string order{};
  std::string street{};
  std::string city{};
  std::string postcode{};
  std::string country{};
  std::string state{};  // pending, ready, shipped, delivered, cancelled (also: out of stock, payment failed)
  std::string carrier{};
  std::string tracking{};
  Timestamp created_at{};
  std::optional<Timestamp> ready_at{};
  std::optional<Timestamp> shipped_at{};
  std::optional<Timestamp> delivered_at{};
  Timestamp updated_at{};
  friend bool operator==(const ShipmentRow&, const ShipmentRow&) = default;
};

class ShippingProjection : public projections::FoldingProjection {
 public:
  std::string name() const override { return "shipping"; }
  std::int32_t version() const override { return 1; }
  std::vector<std::string> tables() const override { return {"shipping"}; }
  Filter filter() const override;
  void create_schema(projections::WriteContext& context) const override;
  void fold(const RecordedEvent& event) override;
  void flush(projections::WriteContext& context) override;
  void discard() override { pending_.clear(); }

 private:
  // A shipment's changes within one batch.
  struct Change {
    bool placed = false;  // placed in this batch: insert the whole row
    std::string street{}, city{}, postcode{}, country{};
    std::int64_t created_at = 0;
    std::string state{};  // empty: unchanged
    // The state is "cancelled" only if the stored one is not shipped or delivered: the batch cancelled
    // an order whose state it did not know.
    bool cancel_unless_shipped = false;
    std::optional<std::string> carrier{}, tracking{};
    std::optional<std::int64_t> ready_at{}, shipped_at{}, delivered_at{};
    std::int64_t updated_at = 0;
  };

  std::map<std::string, Change, std::less<>> pending_;  // by order
};

struct ShippingQuery {
  std::string state{};  // empty: every state
  std::string order{};  // empty: every order
};
std::vector<ShipmentRow> query_shipping(projections::ReadModels& models, const ShippingQuery& query = {});

// ---- order_summary ----
struct OrderSummaryRow {
  std::string order{};
  std::string customer{};
  std::string state{};  // as shop::to_string(OrderState)
  std::int64_t items = 0;
  std::int64_t total = 0;  // minor units
  std::string currency{};
  Timestamp updated_at{};
  friend bool operator==(const OrderSummaryRow&, const OrderSummaryRow&) = default;
};

class OrderSummaryProjection : public projections::FoldingProjection {
 public:
  std::string name() const override { return "order_summary"; }
  std::int32_t version() const override { return 1; }
  std::vector<std::string> tables() const override { return {"order_summary"}; }
  Filter filter() const override;
  void create_schema(projections::WriteContext& context) const override;
  void fold(const RecordedEvent& event) override;
  void flush(projections::WriteContext& context) override;
  void discard() override { pending_.clear(); }

 private:
  // An order's changes within one batch.
  struct Change {
    bool placed = false;  // placed in this batch: insert the whole row
    std::string customer{}, currency{};
    std::int64_t items = 0, total = 0;
    std::string state{};  // empty: unchanged
    std::int64_t updated_at = 0;
  };

  std::map<std::string, Change, std::less<>> pending_;  // by order
};

struct OrderQuery {
  std::string state{};     // empty: every state
  std::string customer{};  // empty: every customer
};
std::vector<OrderSummaryRow> query_orders(projections::ReadModels& models, const OrderQuery& query = {});

// The three, fresh, for a runner or a tool.
std::vector<std::shared_ptr<projections::Projection>> shop_projections();

}  // namespace evlite::shop
