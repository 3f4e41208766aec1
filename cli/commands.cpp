#include "command.h"

namespace evlite::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      init_command(),   migrate_command(), append_command(),      read_command(), all_command(),
      streams_command(), tail_command(),   replay_command(),      projections_command(),
      view_command(),   stats_command(),   export_command(),      import_command(), verify_command(),
  };
  return kCommands;
}

}  // namespace evlite::cli
