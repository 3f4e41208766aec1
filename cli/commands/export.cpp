#include "command.h"
#include "evlite/engine/ndjson.h"

namespace evlite::cli {

Command export_command() {
  return {"export", "write events as NDJSON to stdout, losslessly (import reads it back exactly)",
          "evlite --db shop.db export --category order > orders.ndjson", [](CLI::App& app) -> Runner {
            auto read = std::make_shared<AllRead>();
            app.add_option("--from", read->from.value, "first position, inclusive (default 1)")->transform(non_negative_decimal());
            app.add_option("--category", read->filter.categories, "only streams of this category (repeatable)");
            return [read](const Invocation& in) {
              auto cursor = in.open_to_read().read_all(*read);
              while (cursor.next()) fmt::print("{}\n", to_ndjson(cursor.event()));
              return 0;
            };
          }};
}

}  // namespace evlite::cli
