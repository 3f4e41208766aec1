#include "evlite/aggregates/shop/order_events.h"

#include <fmt/format.h>

namespace evlite::shop {
namespace {

using nlohmann::json;

// v1 → v2: the single address line "street, city, postcode, country" becomes structured; a line with fewer
// parts keeps what it has in `street`, so nothing is lost.
void split_address(json& data) {
  std::string line = data.at("address").get<std::string>();
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    std::size_t comma = line.find(',', start);
    std::string part = line.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    part.erase(0, part.find_first_not_of(' '));
    parts.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  Address address;
  if (parts.size() == 4) {
    address = Address{parts[0], parts[1], parts[2], parts[3]};
  } else {
    address.street = line;
  }
  data.erase("address");
  data["shipping_address"] = address;
}

// v2 → v3: currency became explicit; every order before it was in EUR.
void add_currency(json& data) { data["currency"] = "EUR"; }

}  // namespace

const aggregates::EventRegistry<OrderEvent>& order_events() {
  static const auto registry = [] {
    aggregates::EventRegistry<OrderEvent> r;
    r.upcast(OrderPlaced::kType, 1, split_address).upcast(OrderPlaced::kType, 2, add_currency);
    return r;
  }();
  return registry;
}

std::optional<std::int64_t> order_total(const std::vector<OrderLine>& lines) {
  std::int64_t total = 0;
  for (const OrderLine& line : lines) {
    std::int64_t amount = 0;
    if (line.quantity <= 0 || line.unit_price <= 0 || __builtin_mul_overflow(line.quantity, line.unit_price, &amount) ||
        __builtin_add_overflow(total, amount, &total)) {
      return std::nullopt;
    }
  }
  return total;
}

void to_json(json& j, const OrderLine& v) {
  j = json{{"product", v.product}, {"quantity", v.quantity}, {"unit_price", v.unit_price}};
}
void from_json(const json& j, OrderLine& v) {
  j.at("product").get_to(v.product);
  v.quantity = aggregates::strict_int64(j, "quantity");
  v.unit_price = aggregates::strict_int64(j, "unit_price");
  if (v.quantity <= 0 || v.unit_price <= 0) {
    throw json::other_error::create(
        501, fmt::format("line {}: quantity and unit price must be positive, got {} and {}", v.product, v.quantity,
                         v.unit_price),
        &j);
  }
}
void to_json(json& j, const OrderPlaced& v) {
  j = json{{"order_id", v.order_id},
           {"customer", v.customer},
           {"lines", v.lines},
           {"shipping_address", v.shipping_address},
           {"currency", v.currency}};
}
void from_json(const json& j, OrderPlaced& v) {
  j.at("order_id").get_to(v.order_id);
  j.at("customer").get_to(v.customer);
  j.at("lines").get_to(v.lines);
  j.at("shipping_address").get_to(v.shipping_address);
  j.at("currency").get_to(v.currency);
  if (!order_total(v.lines)) {
    throw json::other_error::create(501, "lines: the order total does not fit in 64-bit minor units", &j);
  }
}
void to_json(json& j, const PaymentCaptured& v) { j = json{{"payment_id", v.payment_id}, {"amount", v.amount}}; }
void from_json(const json& j, PaymentCaptured& v) {
  j.at("payment_id").get_to(v.payment_id);
  v.amount = aggregates::strict_int64(j, "amount");
}
void to_json(json& j, const OrderPaid& v) { j = json{{"amount", v.amount}}; }
void from_json(const json& j, OrderPaid& v) { v.amount = aggregates::strict_int64(j, "amount"); }

}  // namespace evlite::shop
