// The shape of a CLI command: its name, its one-line help and example, and how it defines its arguments.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "evlite/engine/event_store.h"
#include "output.h"

namespace evlite::cli {

// What every command gets: the global flags, already parsed.
struct Invocation {
  std::filesystem::path db;
  bool json = false;
  Output& out;

  // Opens (creating if absent) the store at `db`.
  EventStore open() const { return EventStore::open(db); }
};

using Runner = std::function<int(const Invocation&)>;

struct Command {
  const char* name;
  const char* help;
  const char* example;
  // Defines the command's options on `app` and returns what runs it once they are parsed.
  std::function<Runner(CLI::App& app)> define;
};

// The one table of commands, in the order --help lists them.
const std::vector<Command>& commands();

// Each command's entry, one file each in cli/commands/.
Command init_command();
Command migrate_command();
Command append_command();
Command read_command();
Command all_command();
Command streams_command();
Command tail_command();
Command replay_command();
Command projections_command();
Command view_command();
Command stats_command();
Command export_command();
Command import_command();
Command verify_command();

}  // namespace evlite::cli
