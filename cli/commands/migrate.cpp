#include "command.h"

namespace evlite::cli {

Command migrate_command() {
  return {"migrate", "apply pending schema migrations and print the versions before and after",
          "evlite --db shop.db migrate", [](CLI::App&) -> Runner {
            return [](const Invocation& in) {
              int from = EventStore::schema_version_of(in.db);
              int to = in.open().schema_version();
              in.out.message(from == to ? fmt::format("{} is at schema version {}; nothing to migrate", in.db.string(), to)
                                        : fmt::format("migrated {} from schema version {} to {}", in.db.string(), from, to),
                             {{"db", in.db.string()}, {"from", from}, {"to", to}});
              return 0;
            };
          }};
}

}  // namespace evlite::cli
