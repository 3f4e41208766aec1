#include "command.h"
#include "filters.h"

namespace evlite::cli {
namespace {

// Whether the event's metadata carries this correlation id. An exact import may have stored metadata
// without one: such an event belongs to no chain, so it does not match.
bool correlated(const RecordedEvent& event, const std::string& correlation) {
  try {
    return correlation_id(event) == correlation;
  } catch (const InvalidArgument&) {
    return false;
  }
}

}  // namespace

Command all_command() {
  return {"all", "print the events of the whole log in position order, optionally filtered",
          "evlite all --from 100 --count 50 --category order --type OrderPlaced\n  evlite all --correlation 01a2074e-2b33-77b6-9bee-95b75cee221a", [](CLI::App& app) -> Runner {
            auto read = std::make_shared<AllRead>();
            auto correlation = std::make_shared<std::string>();
            app.add_option("--from", read->from.value, "first position to print, inclusive (default 1)")
                ->transform(non_negative_decimal());
            app.add_option("--count", read->max_count, "print at most this many events")->transform(non_negative_decimal());
            add_filter_options(app, read->filter);
            app.add_option("--correlation", *correlation,
                           "only events of this correlation id: one order's whole chain (reads every event's metadata)");
            return [=](const Invocation& in) {
              if (correlation->empty()) {
                auto cursor = in.open_to_read().read_all(*read);  // pages through the log: bounded memory
                while (cursor.next()) in.out.event(cursor.event());
                return 0;
              }
              std::int64_t left = read->max_count;
              AllRead everything = *read;
              everything.max_count = kNoLimit;
              auto cursor = in.open_to_read().read_all(everything);
              while (left > 0 && cursor.next()) {
                if (!correlated(cursor.event(), *correlation)) continue;
                in.out.event(cursor.event());
                --left;
              }
              return 0;
            };
          }};
}

}  // namespace evlite::cli
