// The shop's event-driven flow (DESIGN.md §6): services that talk only through the log.
//
//   OrderPlaced ──inventory──▶ StockAllocated (inventory-<sku>) + StockReserved   | OutOfStock
//   StockReserved ──payment──▶ PaymentCaptured + OrderPaid                       | PaymentFailed
//   PaymentFailed, OrderCancelled ──inventory──▶ StockReleased
//   OrderPaid ──fulfilment──▶ OrderReadyForShipment
//   OrderReadyForShipment ──shipping──▶ OrderShipped ──inventory──▶ StockDispatched
//
// Each reaction decides from the current state (a paid order is not paid again) and stamps what it appends
// through its ReactionContext, so re-delivery and duplicate runners are absorbed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "evlite/projections/reaction.h"

namespace evlite::shop {

// A stand-in for a card processor: deterministic, so tests and the demo can count on it.
struct PaymentGateway {
  // Every order whose id hashes to a multiple of this is declined; 0 declines none.
  std::int64_t decline_every = 7;
  bool declines(const std::string& order_id) const;
};

// All four, for one store. The store must outlive them.
std::vector<std::shared_ptr<projections::Reaction>> shop_reactions(EventStore& store, PaymentGateway gateway = {});

// The states an order rests in once the flow is done with it.
bool is_settled(std::string_view order_state);

}  // namespace evlite::shop
