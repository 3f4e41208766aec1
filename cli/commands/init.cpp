#include "command.h"

namespace evlite::cli {

Command init_command() {
  return {"init", "create a new store file (or open an existing one) at the latest schema",
          "evlite --db shop.db init", [](CLI::App&) -> Runner {
            return [](const Invocation& in) {
              EventStore store = in.open();
              in.out.message(fmt::format("{} is an evlite store at schema version {}", in.db.string(), store.schema_version()),
                             {{"db", in.db.string()}, {"schema_version", store.schema_version()}});
              return 0;
            };
          }};
}

}  // namespace evlite::cli
