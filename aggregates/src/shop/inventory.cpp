#include "evlite/aggregates/shop/inventory.h"

#include <fmt/format.h>

namespace evlite::shop {
namespace {

using aggregates::CommandRejected;

// Once the inventory knows its product (from its stream, or its first event), a command for another one
// would be filed under the wrong product by every read model.
void require_product(std::string_view command, std::string_view product, std::string_view own) {
  if (product.empty()) throw CommandRejected(fmt::format("{}: product must not be empty", command));
  if (!own.empty() && product != own) {
    throw CommandRejected(fmt::format("{}: product {} is not this inventory's product, {}", command, product, own));
  }
}

}  // namespace

using nlohmann::json;

void to_json(json& j, const StockReceived& e) { j = json{{"product", e.product}, {"quantity", e.quantity}}; }
void from_json(const json& j, StockReceived& e) {
  j.at("product").get_to(e.product);
  e.quantity = aggregates::strict_int64(j, "quantity");
}
void to_json(json& j, const StockAdjusted& e) {
  j = json{{"product", e.product}, {"delta", e.delta}, {"reason", e.reason}};
}
void from_json(const json& j, StockAdjusted& e) {
  j.at("product").get_to(e.product);
  e.delta = aggregates::strict_int64(j, "delta");
  j.at("reason").get_to(e.reason);
}
void to_json(json& j, const StockAllocated& e) {
  j = json{{"product", e.product}, {"order_id", e.order_id}, {"quantity", e.quantity}};
}
void from_json(const json& j, StockAllocated& e) {
  j.at("product").get_to(e.product);
  j.at("order_id").get_to(e.order_id);
  e.quantity = aggregates::strict_int64(j, "quantity");
}
void to_json(json& j, const StockReleased& e) {
  j = json{{"product", e.product}, {"order_id", e.order_id}, {"quantity", e.quantity}, {"reason", e.reason}};
}
void from_json(const json& j, StockReleased& e) {
  j.at("product").get_to(e.product);
  j.at("order_id").get_to(e.order_id);
  e.quantity = aggregates::strict_int64(j, "quantity");
  j.at("reason").get_to(e.reason);
}
void to_json(json& j, const StockDispatched& e) {
  j = json{{"product", e.product}, {"order_id", e.order_id}, {"quantity", e.quantity}};
}
void from_json(const json& j, StockDispatched& e) {
  j.at("product").get_to(e.product);
  j.at("order_id").get_to(e.order_id);
  e.quantity = aggregates::strict_int64(j, "quantity");
}

const aggregates::EventRegistry<InventoryEvent>& inventory_events() {
  static const aggregates::EventRegistry<InventoryEvent> registry;
  return registry;
}

std::vector<Inventory::Event> Inventory::receive(std::string product, std::int64_t quantity) const {
  require_product("receive", product, product_);
  if (quantity <= 0) throw CommandRejected(fmt::format("receive: quantity of {} must be positive, got {}", product, quantity));
  std::int64_t after = 0;
  if (__builtin_add_overflow(on_hand_, quantity, &after)) {
    throw CommandRejected(fmt::format("receive: {} more of {} would not fit in 64 bits", quantity, product));
  }
  return {StockReceived{std::move(product), quantity}};
}

std::vector<Inventory::Event> Inventory::adjust(std::string product, std::int64_t delta, std::string reason) const {
  require_product("adjust", product, product_);
  if (delta == 0) throw CommandRejected("adjust: delta must not be 0");
  if (reason.empty()) throw CommandRejected("adjust: reason must not be empty");
  std::int64_t after = 0;
  if (__builtin_add_overflow(on_hand_, delta, &after)) {
    throw CommandRejected(fmt::format("adjust: {} by {} would not fit in 64 bits", product, delta));
  }
  if (after < reserved_) {
    throw CommandRejected(fmt::format("adjust: {} would leave {} on hand with {} reserved", product, after, reserved_));
  }
  return {StockAdjusted{std::move(product), delta, std::move(reason)}};
}

std::vector<Inventory::Event> Inventory::allocate(std::string product, std::string order_id,
                                                  std::int64_t quantity) const {
  require_product("allocate", product, product_);
  if (quantity <= 0) throw CommandRejected(fmt::format("allocate: quantity must be positive, got {}", quantity));
  if (allocated_to(order_id) > 0) {
    throw CommandRejected(fmt::format("allocate: order {} already holds {} of {}", order_id, allocated_to(order_id), product));
  }
  if (quantity > available()) {
    throw CommandRejected(fmt::format("allocate: {} of {} wanted for order {}, {} available", quantity, product,
                                      order_id, available()));
  }
  return {StockAllocated{std::move(product), std::move(order_id), quantity}};
}

std::vector<Inventory::Event> Inventory::release(std::string order_id, std::string reason) const {
  std::int64_t held = allocated_to(order_id);
  if (held == 0) throw CommandRejected(fmt::format("release: order {} holds no {}", order_id, product_));
  return {StockReleased{product_, std::move(order_id), held, std::move(reason)}};
}

std::vector<Inventory::Event> Inventory::dispatch(std::string order_id) const {
  std::int64_t held = allocated_to(order_id);
  if (held == 0) throw CommandRejected(fmt::format("dispatch: order {} holds no {}", order_id, product_));
  return {StockDispatched{product_, std::move(order_id), held}};
}

std::int64_t Inventory::allocated_to(std::string_view order_id) const {
  auto found = allocations_.find(order_id);
  return found == allocations_.end() ? 0 : found->second;
}

void Inventory::apply(const Event& event) {
  std::visit(
      [this](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        product_ = e.product;
        if constexpr (std::is_same_v<E, StockReceived>) {
          on_hand_ += e.quantity;
        } else if constexpr (std::is_same_v<E, StockAdjusted>) {
          on_hand_ += e.delta;
        } else if constexpr (std::is_same_v<E, StockAllocated>) {
          reserved_ += e.quantity;
          allocations_[e.order_id] += e.quantity;
        } else if constexpr (std::is_same_v<E, StockReleased>) {
          reserved_ -= e.quantity;
          allocations_.erase(e.order_id);
        } else if constexpr (std::is_same_v<E, StockDispatched>) {
          reserved_ -= e.quantity;
          on_hand_ -= e.quantity;
          allocations_.erase(e.order_id);
        }
      },
      event);
}

void to_json(nlohmann::json& j, const Inventory& v) {
  j = nlohmann::json{{"product", v.product_}, {"on_hand", v.on_hand_}, {"reserved", v.reserved_},
                     {"allocations", v.allocations_}};
}

void from_json(const nlohmann::json& j, Inventory& v) {
  j.at("product").get_to(v.product_);
  j.at("on_hand").get_to(v.on_hand_);
  j.at("reserved").get_to(v.reserved_);
  j.at("allocations").get_to(v.allocations_);
}

}  // namespace evlite::shop
