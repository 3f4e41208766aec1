// The events of an order's stream, one struct each, with their stored type and schema version.
//
// Money is an integer count of minor units (cents), never floating point; a stored amount that is not an
// integer fails to decode. OrderPlaced's history: v1 had a single `address` string; v2 structured it into
// `shipping_address`; v3 added `currency` (stores of v1/v2 were all in EUR). Upcasters in order_events.cpp
// read every version.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "evlite/aggregates/event_registry.h"

namespace evlite::shop {

struct OrderLine {
  std::string product{};
  std::int64_t quantity = 0;
  std::int64_t unit_price = 0;  // minor units
  friend bool operator==(const OrderLine&, const OrderLine&) = default;
};

struct Address {
  std::string street{};
  std::string city{};
  std::string postcode{};
  std::string country{};
  friend bool operator==(const Address&, const Address&) = default;
};

struct OrderPlaced {
  static constexpr std::string_view kType = "OrderPlaced";
  static constexpr std::int32_t kSchemaVersion = 3;
  std::string order_id{};
  std::string customer{};
  std::vector<OrderLine> lines{};
  Address shipping_address{};
  std::string currency{};
  friend bool operator==(const OrderPlaced&, const OrderPlaced&) = default;
};

struct StockReserved {
  static constexpr std::string_view kType = "StockReserved";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string reservation_id{};
  friend bool operator==(const StockReserved&, const StockReserved&) = default;
};

struct OutOfStock {
  static constexpr std::string_view kType = "OutOfStock";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::vector<std::string> products{};  // those that could not be reserved
  friend bool operator==(const OutOfStock&, const OutOfStock&) = default;
};

struct PaymentCaptured {
  static constexpr std::string_view kType = "PaymentCaptured";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string payment_id{};
  std::int64_t amount = 0;  // minor units
  friend bool operator==(const PaymentCaptured&, const PaymentCaptured&) = default;
};

struct PaymentFailed {
  static constexpr std::string_view kType = "PaymentFailed";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string reason{};
  friend bool operator==(const PaymentFailed&, const PaymentFailed&) = default;
};

struct OrderPaid {
  static constexpr std::string_view kType = "OrderPaid";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::int64_t amount = 0;  // minor units
  friend bool operator==(const OrderPaid&, const OrderPaid&) = default;
};

struct OrderReadyForShipment {
  static constexpr std::string_view kType = "OrderReadyForShipment";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string warehouse{};
  friend bool operator==(const OrderReadyForShipment&, const OrderReadyForShipment&) = default;
};

struct OrderShipped {
  static constexpr std::string_view kType = "OrderShipped";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string carrier{};
  std::string tracking{};
  friend bool operator==(const OrderShipped&, const OrderShipped&) = default;
};

struct OrderDelivered {
  static constexpr std::string_view kType = "OrderDelivered";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string signed_by{};
  friend bool operator==(const OrderDelivered&, const OrderDelivered&) = default;
};

struct OrderCancelled {
  static constexpr std::string_view kType = "OrderCancelled";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string reason{};
  friend bool operator==(const OrderCancelled&, const OrderCancelled&) = default;
};

struct OrderNoteAdded {
  static constexpr std::string_view kType = "OrderNoteAdded";
  static constexpr std::int32_t kSchemaVersion = 1;
  std::string text{};
  friend bool operator==(const OrderNoteAdded&, const OrderNoteAdded&) = default;
};

using OrderEvent = std::variant<OrderPlaced, StockReserved, OutOfStock, PaymentCaptured, PaymentFailed, OrderPaid,
                                OrderReadyForShipment, OrderShipped, OrderDelivered, OrderCancelled, OrderNoteAdded>;

// The registry of order events, with the upcasters of OrderPlaced v1→v2→v3.
const aggregates::EventRegistry<OrderEvent>& order_events();

// The lines' total in minor units, or nullopt when a line's quantity or unit price is not positive or the
// total does not fit in 64 bits. With every line positive, the total also bounds the item count.
std::optional<std::int64_t> order_total(const std::vector<OrderLine>& lines);

// JSON conversions (ADL). Integers are checked strictly: 19.99 is not an amount. A line whose quantity or unit
// price is not positive, or an OrderPlaced whose total overflows, fails to decode: no command writes one.
void to_json(nlohmann::json& j, const OrderLine& v);
void from_json(const nlohmann::json& j, OrderLine& v);
void to_json(nlohmann::json& j, const OrderPlaced& v);
void from_json(const nlohmann::json& j, OrderPlaced& v);
void to_json(nlohmann::json& j, const PaymentCaptured& v);
void from_json(const nlohmann::json& j, PaymentCaptured& v);
void to_json(nlohmann::json& j, const OrderPaid& v);
void from_json(const nlohmann::json& j, OrderPaid& v);
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Address, street, city, postcode, country)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(StockReserved, reservation_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OutOfStock, products)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PaymentFailed, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderReadyForShipment, warehouse)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderShipped, carrier, tracking)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderDelivered, signed_by)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderCancelled, reason)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(OrderNoteAdded, text)

}  // namespace evlite::shop
