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

  // Opens the store at `db` for writing, creating and migrating it if need be.
  EventStore open() const { return EventStore::open(db); }
  // Opens the existing store at `db` for reading only: a command that reads creates, migrates and writes
  // nothing (a mistyped path is an error, not a new empty store; an old file is not upgraded behind the
  // back of the service that owns it).
  EventStore open_to_read() const;
};

// For counts, positions and versions: plain decimal digits that fit in 64 bits, "010" meaning ten. CLI11
// alone reads "010" as octal and "0x10" as hex, clamps what overflows, and lets negative values through.
const CLI::Validator& non_negative_decimal();

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
