// shop::Inventory: the stock of one product, in stream "inventory-<product>".
//
//   on hand  = received + adjustments − dispatched
//   reserved = the sum of the allocations held for orders
//   available = on hand − reserved, never below 0: an allocation larger than what is available, or an
//   adjustment that would leave less on hand than is reserved, is rejected.
//
// Thread safety: a plain value.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "evlite/aggregates/aggregate.h"
#include "evlite/aggregates/event_registry.h"

namespace evlite::shop {

struct StockReceived {
  static constexpr std::string_view kType = "StockReceived";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string product{};
  std::int64_t quantity = 0;
  friend bool operator==(const StockReceived&, const StockReceived&) = default;
};

struct StockAdjusted {
  static constexpr std::string_view kType = "StockAdjusted";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string product{};
  std::int64_t delta = 0;  // negative for shrinkage
  std::string reason{};
  friend bool operator==(const StockAdjusted&, const StockAdjusted&) = default;
};

// Stock set aside for an order.
struct StockAllocated {
  static constexpr std::string_view kType = "StockAllocated";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string product{};
  std::string order_id{};
  std::int64_t quantity = 0;
  friend bool operator==(const StockAllocated&, const StockAllocated&) = default;
};

// An order's allocation given back (cancelled, payment failed).
struct StockReleased {
  static constexpr std::string_view kType = "StockReleased";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string product{};
  std::string order_id{};
  std::int64_t quantity = 0;
  std::string reason{};
  friend bool operator==(const StockReleased&, const StockReleased&) = default;
};

// An order's allocation left the warehouse.
struct StockDispatched {
  static constexpr std::string_view kType = "StockDispatched";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string product{};
  std::string order_id{};
  std::int64_t quantity = 0;
  friend bool operator==(const StockDispatched&, const StockDispatched&) = default;
};

using InventoryEvent = std::variant<StockReceived, StockAdjusted, StockAllocated, StockReleased, StockDispatched>;

const aggregates::EventRegistry<InventoryEvent>& inventory_events();

class Inventory {
 public:
  using Event = InventoryEvent;
  static constexpr std::string_view kCategory = "inventory";
  static constexpr std::int32_t kSnapshotSchemaVersion = 1;
  static const aggregates::EventRegistry<Event>& registry() { return inventory_events(); }

  // ---- Commands (throw aggregates::CommandRejected) ----
  std::vector<Event> receive(std::string product, std::int64_t quantity) const;  // quantity > 0
  std::vector<Event> adjust(std::string product, std::int64_t delta, std::string reason) const;
  // Allocates `quantity` for `order_id`; rejected if less is available or the order already holds some.
  std::vector<Event> allocate(std::string product, std::string order_id, std::int64_t quantity) const;
  // Gives back what `order_id` holds; rejected if it holds nothing.
  std::vector<Event> release(std::string order_id, std::string reason) const;
  // Ships what `order_id` holds; rejected if it holds nothing.
  std::vector<Event> dispatch(std::string order_id) const;

  void apply(const Event& event);
  // The id of the stream it is loaded from (aggregate.h): commands then refuse any other product.
  void identify(std::string_view product) {
    if (product_.empty()) product_ = product;
  }

  const std::string& product() const { return product_; }
  std::int64_t on_hand() const { return on_hand_; }
  std::int64_t reserved() const { return reserved_; }
  std::int64_t available() const { return on_hand_ - reserved_; }
  // The quantity `order_id` holds; 0 if none.
  std::int64_t allocated_to(std::string_view order_id) const;

  friend bool operator==(const Inventory&, const Inventory&) = default;
  friend void to_json(nlohmann::json& j, const Inventory& inventory);
  friend void from_json(const nlohmann::json& j, Inventory& inventory);

 private:
  std::string product_{};
  std::int64_t on_hand_ = 0;
  std::int64_t reserved_ = 0;
  std::map<std::string, std::int64_t, std::less<>> allocations_{};  // order id → quantity
};

static_assert(aggregates::Aggregate<Inventory>);

// Written by hand for their integers (aggregates::strict_int64): a quantity that is not a 64-bit integer
// fails decoding instead of being truncated or wrapped.
void to_json(nlohmann::json& j, const StockReceived& e);
void from_json(const nlohmann::json& j, StockReceived& e);
void to_json(nlohmann::json& j, const StockAdjusted& e);
void from_json(const nlohmann::json& j, StockAdjusted& e);
void to_json(nlohmann::json& j, const StockAllocated& e);
void from_json(const nlohmann::json& j, StockAllocated& e);
void to_json(nlohmann::json& j, const StockReleased& e);
void from_json(const nlohmann::json& j, StockReleased& e);
void to_json(nlohmann::json& j, const StockDispatched& e);
void from_json(const nlohmann::json& j, StockDispatched& e);

}  // namespace evlite::shop
