#include <fstream>
#include <iostream>

#include "command.h"
#include "progress.h"

namespace evlite::cli {

Command import_command() {
  return {"import", "read an export into an empty store exactly (or --append: re-append idempotently)",
          "evlite --db copy.db import orders.ndjson", [](CLI::App& app) -> Runner {
            auto file = std::make_shared<std::string>();
            auto append = std::make_shared<bool>(false);
            app.add_option("FILE", *file, "the NDJSON file written by export ('-' for stdin)")->required();
            app.add_flag("--append", *append, "into a non-empty store: append each event unless already stored");
            return [=](const Invocation& in) {
              std::ifstream stream;
              if (*file != "-") {
                stream.open(*file);
                if (!stream) throw std::runtime_error(fmt::format("cannot read {}", *file));
              }
              std::istream& input = *file == "-" ? std::cin : stream;
              Progress progress;
              auto mode = *append ? EventStore::ImportMode::Append : EventStore::ImportMode::Exact;
              auto result = in.open().import_ndjson(input, mode, [&](std::int64_t lines) {
                progress.update(fmt::format("import: {} lines", lines));
              });
              in.out.message(fmt::format("imported {} of {} lines into {}", result.written, result.lines, in.db.string()),
                             {{"lines", result.lines}, {"written", result.written}});
              return 0;
            };
          }};
}

}  // namespace evlite::cli
