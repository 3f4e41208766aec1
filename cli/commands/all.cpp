#include "command.h"
#include "filters.h"

namespace evlite::cli {

Command all_command() {
  return {"all", "print the events of the whole log in position order, optionally filtered",
          "evlite all --from 100 --count 50 --category order --type OrderPlaced", [](CLI::App& app) -> Runner {
            auto read = std::make_shared<AllRead>();
            app.add_option("--from", read->from.value, "first position to print, inclusive (default 1)");
            app.add_option("--count", read->max_count, "print at most this many events");
            add_filter_options(app, read->filter);
            return [read](const Invocation& in) {
              auto cursor = in.open().read_all(*read);  // pages through the log: bounded memory
              while (cursor.next()) in.out.event(cursor.event());
              return 0;
            };
          }};
}

}  // namespace evlite::cli
