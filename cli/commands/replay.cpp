#include "command.h"
#include "evlite/aggregates/repository.h"
#include "evlite/aggregates/shop/order.h"

namespace evlite::cli {
namespace {

Output::Record order_record(const shop::Order& o, std::string_view stream, StreamVersion version) {
  Output::Record lines = Output::Record::array();
  for (const auto& line : o.lines()) {
    lines.push_back({{"product", line.product}, {"quantity", line.quantity}, {"unit_price", line.unit_price}});
  }
  const shop::Address& a = o.shipping_address();
  return {{"order", o.id()},
          {"stream", stream},
          {"state", shop::to_string(o.state())},
          {"version", version.value},
          {"customer", o.customer()},
          {"lines", lines},
          {"items", o.item_count()},
          {"total", o.total()},
          {"currency", o.currency()},
          {"shipping_address", {{"street", a.street}, {"city", a.city}, {"postcode", a.postcode}, {"country", a.country}}},
          {"payment_id", o.payment_id()},
          {"carrier", o.carrier()},
          {"tracking", o.tracking()},
          {"reason", o.reason()},
          {"notes", o.note_count()}};
}

}  // namespace

Command replay_command() {
  return {"replay", "rebuild an order by replaying its stream and print its state, optionally as of a version",
          "evlite replay order-42 --to-version 3 --json", [](CLI::App& app) -> Runner {
            auto stream = std::make_shared<std::string>();
            auto to_version = std::make_shared<std::int64_t>(kNoLimit);
            app.add_option("STREAM", *stream, "the order's stream, e.g. order-42")->required();
            app.add_option("--to-version", *to_version, "replay only up to this stream version")
                ->transform(non_negative_decimal())
                ->check(CLI::PositiveNumber);
            return [=](const Invocation& in) {
              std::string prefix = std::string(shop::Order::kCategory) + "-";
              if (!stream->starts_with(prefix) || stream->size() == prefix.size()) {
                throw InvalidArgument(fmt::format("replay rebuilds orders: STREAM must be {}<id>, not \"{}\"", prefix, *stream));
              }
              EventStore store = in.open_to_read();
              aggregates::Repository<shop::Order> orders(store, {.snapshot_every = 0});
              auto loaded = orders.load_as_of(stream->substr(prefix.size()), StreamVersion{*to_version});
              if (loaded.version.value == 0) throw InvalidArgument(fmt::format("stream {} has no events", *stream));
              Output::Record record = order_record(loaded.state, *stream, loaded.version);
              if (in.json) {
                in.out.record(record);
              } else {
                for (const auto& [key, value] : record.items()) fmt::print("{:<17}{}\n", key, cell(value));
              }
              return 0;
            };
          }};
}

}  // namespace evlite::cli
