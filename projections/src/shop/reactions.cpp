#include "evlite/projections/shop/reactions.h"

#include <map>

#include <fmt/format.h>

#include "evlite/aggregates/shop/inventory.h"
#include "evlite/aggregates/shop/order.h"

namespace evlite::shop {
namespace {

using aggregates::Repository;
using projections::ReactionContext;

constexpr int kConflictRetries = 50;

std::string order_of(const RecordedEvent& event) { return event.stream_id.substr(Order::kCategory.size() + 1); }

Filter order_events_of(std::vector<std::string_view> types) {
  Filter filter{.categories = {std::string(Order::kCategory)}};
  for (auto type : types) filter.types.emplace_back(type);
  return filter;
}

// The quantity of each product an order holds, lines for one product added up.
std::map<std::string, std::int64_t> quantities(const Order& order) {
  std::map<std::string, std::int64_t> out;
  for (const OrderLine& line : order.lines()) out[line.product] += line.quantity;
  return out;
}

// Inventory and order streams change together: one append_many with an Exact expectation on each stream,
// retried from fresh state when another writer got there first.
class InventoryReaction : public projections::Reaction {
 public:
  explicit InventoryReaction(EventStore& store) : store_(store), orders_(store), stock_(store) {}
  std::string name() const override { return "inventory"; }
  Filter filter() const override {
    return order_events_of({OrderPlaced::kType, PaymentFailed::kType, OrderCancelled::kType, OrderShipped::kType});
  }

  void handle(const RecordedEvent& event, ReactionContext& context) override {
    std::string order_id = order_of(event);
    for (int attempt = 1;; ++attempt) {
      try {
        if (event.type == OrderPlaced::kType) return reserve(order_id, context);
        if (event.type == OrderShipped::kType) return settle_allocations(order_id, context, "dispatch");
        return settle_allocations(order_id, context, event.type == PaymentFailed::kType ? "payment failed" : "cancelled");
      } catch (const WrongExpectedVersion&) {
        if (attempt >= kConflictRetries) throw;
      }
    }
  }

 private:
  void reserve(const std::string& order_id, ReactionContext& context) {
    auto order = orders_.load(order_id);
    if (order.state.state() != OrderState::Placed) return;  // decided already
    std::vector<StreamAppend> appends;
    std::vector<std::string> missing;
    for (const auto& [product, quantity] : quantities(order.state)) {
      auto stock = stock_.load(product);
      if (stock.state.available() < quantity) {
        missing.push_back(product);
        continue;
      }
      appends.push_back({stock_.stream_of(product), ExpectedVersion::exact(stock.version.value),
                         encode(inventory_events(), stock.state.allocate(product, order_id, quantity))});
    }
    if (!missing.empty()) {
      orders_.save(order_id, order, order.state.mark_out_of_stock(missing), context.command());
      return;
    }
    appends.push_back({orders_.stream_of(order_id), ExpectedVersion::exact(order.version.value),
                       encode(order_events(), order.state.reserve_stock("reservation-" + order_id))});
    commit(appends, context);
  }

  // Releases (or dispatches) whatever the order still holds of each product.
  void settle_allocations(const std::string& order_id, ReactionContext& context, const std::string& why) {
    auto order = orders_.load(order_id);
    std::vector<StreamAppend> appends;
    for (const auto& [product, quantity] : quantities(order.state)) {
      auto stock = stock_.load(product);
      if (stock.state.allocated_to(order_id) == 0) continue;  // never held, or settled already
      auto events = why == "dispatch" ? stock.state.dispatch(order_id) : stock.state.release(order_id, why);
      appends.push_back({stock_.stream_of(product), ExpectedVersion::exact(stock.version.value),
                         encode(inventory_events(), events)});
    }
    if (!appends.empty()) commit(appends, context);
  }

  template <class Registry, class Events>
  static std::vector<NewEvent> encode(const Registry& registry, const Events& events) {
    std::vector<NewEvent> out;
    for (const auto& e : events) out.push_back(registry.encode(e));
    return out;
  }

  void commit(std::vector<StreamAppend>& appends, ReactionContext& context) {
    std::vector<NewEvent> all;
    for (auto& a : appends) all.insert(all.end(), a.events.begin(), a.events.end());
    context.stamp(all);  // one numbering across every stream of this decision
    std::size_t next = 0;
    for (auto& a : appends) {
      for (auto& e : a.events) e = all[next++];
    }
    store_.append_many(appends);
  }

  EventStore& store_;
  Repository<Order> orders_;
  Repository<Inventory> stock_;
};

class PaymentReaction : public projections::Reaction {
 public:
  PaymentReaction(EventStore& store, PaymentGateway gateway) : orders_(store, {.max_attempts = kConflictRetries}), gateway_(gateway) {}
  std::string name() const override { return "payment"; }
  Filter filter() const override { return order_events_of({StockReserved::kType}); }
  void handle(const RecordedEvent& event, ReactionContext& context) override {
    std::string order_id = order_of(event);
    orders_.execute(
        order_id,
        [&](const Order& o) -> std::vector<OrderEvent> {
          if (o.state() != OrderState::StockReserved) return {};  // paid, failed or cancelled already
          if (gateway_.declines(order_id)) return o.fail_payment("card declined by the payment gateway");
          return o.capture_payment("payment-" + order_id, o.total());
        },
        context.command());
  }

 private:
  Repository<Order> orders_;
  PaymentGateway gateway_;
};

class FulfilmentReaction : public projections::Reaction {
 public:
  explicit FulfilmentReaction(EventStore& store) : orders_(store, {.max_attempts = kConflictRetries}) {}
  std::string name() const override { return "fulfilment"; }
  Filter filter() const override { return order_events_of({OrderPaid::kType}); }
  void handle(const RecordedEvent& event, ReactionContext& context) override {
    orders_.execute(
        order_of(event),
        [](const Order& o) -> std::vector<OrderEvent> {
          if (o.state() != OrderState::Paid) return {};
          return o.mark_ready_for_shipment("warehouse-" + o.shipping_address().country);
        },
        context.command());
  }

 private:
  Repository<Order> orders_;
};

class ShippingReaction : public projections::Reaction {
 public:
  explicit ShippingReaction(EventStore& store) : orders_(store, {.max_attempts = kConflictRetries}) {}
  std::string name() const override { return "shipping"; }
  Filter filter() const override { return order_events_of({OrderReadyForShipment::kType}); }
  void handle(const RecordedEvent& event, ReactionContext& context) override {
    orders_.execute(
        order_of(event),
        [](const Order& o) -> std::vector<OrderEvent> {
          if (o.state() != OrderState::ReadyForShipment) return {};
          std::string carrier = o.shipping_address().country == "GB" ? "Royal Mail" : "DHL";
          return o.ship(carrier, "TRK-" + o.id());
        },
        context.command());
  }

 private:
  Repository<Order> orders_;
};

}  // namespace

bool PaymentGateway::declines(const std::string& order_id) const {
  if (decline_every <= 0) return false;
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a: stable across runs and machines
  for (unsigned char c : order_id) hash = (hash ^ c) * 1099511628211ULL;
  return hash % static_cast<std::uint64_t>(decline_every) == 0;
}

std::vector<std::shared_ptr<projections::Reaction>> shop_reactions(EventStore& store, PaymentGateway gateway) {
  return {std::make_shared<InventoryReaction>(store), std::make_shared<PaymentReaction>(store, gateway),
          std::make_shared<FulfilmentReaction>(store), std::make_shared<ShippingReaction>(store)};
}

bool is_settled(std::string_view state) {
  return state == "shipped" || state == "delivered" || state == "out_of_stock" || state == "payment_failed" ||
         state == "cancelled";
}

}  // namespace evlite::shop
