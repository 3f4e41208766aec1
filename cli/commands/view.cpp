#include "command.h"
#include "evlite/projections/runner.h"
#include "evlite/projections/shop/read_models.h"

namespace evlite::cli {
namespace {

std::string iso(const std::optional<Timestamp>& t) { return t ? to_iso8601(*t) : ""; }

// Tells people (on stderr) when the read model does not reflect the whole log yet.
void note_lag(const EventStore& store, const std::string& projection) {
  for (const auto& s : projections::stored_status(store, shop::shop_projections())) {
    if (s.name == projection && s.lag > 0) {
      fmt::print(stderr, "evlite: note: {} is {} events behind the log; run 'evlite projections run --until-caught-up'\n",
                 projection, s.lag);
    }
  }
}

}  // namespace

Command view_command() {
  return {"view", "print a read model's rows: inventory, shipping or orders",
          "evlite view shipping --state shipped --json", [](CLI::App& app) -> Runner {
            auto name = std::make_shared<std::string>();
            auto product = std::make_shared<std::string>();
            auto shipping = std::make_shared<shop::ShippingQuery>();
            auto orders = std::make_shared<shop::OrderQuery>();
            app.add_option("NAME", *name, "inventory, shipping or orders")
                ->required()
                ->check(CLI::IsMember({"inventory", "shipping", "orders"}));
            app.add_option("--product", *product, "inventory: only this product");
            app.add_option("--state", shipping->state, "shipping and orders: only rows in this state");
            app.add_option("--order", shipping->order, "shipping: only this order");
            app.add_option("--customer", orders->customer, "orders: only this customer");
            return [=](const Invocation& in) {
              EventStore store = in.open_to_read();
              projections::ReadModels models(store);
              if (*name == "inventory") {
                note_lag(store, "inventory");
                for (const auto& r : shop::query_inventory(models, *product)) {
                  in.out.record({{"product", r.product}, {"on_hand", r.on_hand}, {"reserved", r.reserved},
                                 {"available", r.available}, {"updated_at", to_iso8601(r.updated_at)}});
                }
              } else if (*name == "shipping") {
                note_lag(store, "shipping");
                for (const auto& r : shop::query_shipping(models, *shipping)) {
                  in.out.record({{"shipment", r.shipment}, {"order", r.order}, {"state", r.state}, {"carrier", r.carrier},
                                 {"tracking", r.tracking}, {"city", r.city}, {"country", r.country},
                                 {"created_at", to_iso8601(r.created_at)}, {"shipped_at", iso(r.shipped_at)},
                                 {"delivered_at", iso(r.delivered_at)}});
                }
              } else {
                note_lag(store, "order_summary");
                orders->state = shipping->state;
                for (const auto& r : shop::query_orders(models, *orders)) {
                  in.out.record({{"order", r.order}, {"customer", r.customer}, {"state", r.state}, {"items", r.items},
                                 {"total", r.total}, {"currency", r.currency}, {"updated_at", to_iso8601(r.updated_at)}});
                }
              }
              return 0;
            };
          }};
}

}  // namespace evlite::cli
