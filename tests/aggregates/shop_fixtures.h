// Orders for the aggregate tests.
#pragma once

#include "evlite/aggregates/shop/order.h"

namespace evlite::testing {

inline shop::PlaceOrder sample_order(std::string id = "42") {
  return shop::PlaceOrder{
      .order_id = std::move(id),
      .customer = "customer-7",
      .lines = {{"sku-1", 2, 1999}, {"sku-2", 1, 4999}},
      .shipping_address = {"12 Harbour Road", "Leith", "EH6 6LX", "GB"},
  };
}

// Applies each event to `order`, as a live command does.
inline void apply_all(shop::Order& order, const std::vector<shop::OrderEvent>& events) {
  for (const auto& e : events) order.apply(e);
}

}  // namespace evlite::testing
