#include "command.h"

#include <algorithm>
#include <cctype>

#include <sqlite3.h>

namespace evlite::cli {

EventStore Invocation::open_to_read() const {
  if (!std::filesystem::exists(db)) {
    throw StorageError(SQLITE_CANTOPEN, fmt::format("{}: no store here ('evlite init' creates one)", db.string()));
  }
  return EventStore::open(db, {.read_only = true});
}

const CLI::Validator& non_negative_decimal() {
  static const CLI::Validator kValidator(
      [](std::string& text) -> std::string {
        bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
        std::string significant = text.substr(std::min(text.find_first_not_of('0'), text.size()));
        // 2^63 - 1 has 19 digits; a 19-digit number compares as text.
        bool fits = significant.size() < 19 || (significant.size() == 19 && significant <= "9223372036854775807");
        if (!digits || !fits) return "must be a non-negative decimal number below 2^63, got " + text;
        text = significant.empty() ? "0" : significant;  // no leading zero left for CLI11 to read as octal
        return "";
      },
      "DECIMAL");
  return kValidator;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      init_command(),   migrate_command(), append_command(),      read_command(), all_command(),
      streams_command(), tail_command(),   replay_command(),      projections_command(),
      view_command(),   stats_command(),   export_command(),      import_command(), verify_command(),
  };
  return kCommands;
}

}  // namespace evlite::cli
