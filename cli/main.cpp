// evlite [--db FILE] [--json] COMMAND …: parse the global flags, find the command, run it, and turn an
// error into one line on stderr and an exit code that says its kind.
#include <cstdlib>

#include <fmt/format.h>

#include "command.h"
#include "evlite/aggregates/aggregate.h"
#include "evlite/engine/errors.h"

namespace {

constexpr const char* kFooter = R"(Exit status:
  0  ok
  1  usage or invalid input (bad arguments, malformed JSON, a rejected command)
  2  wrong expected version or duplicate event id
  3  store, schema or I/O error (and verify finding a problem)

Examples:
  evlite --db notes.db append note-1 Noted '{"text":"call the supplier"}' --expected-version no-stream
  evlite --db shop.db read order-42 --json
  evlite --db shop.db view inventory
Run 'evlite COMMAND --help' for a command's options.)";

// One line: the message with its line breaks folded. Never throws: with stderr gone there is no one to
// tell, and the exit status still says what happened.
void report(const std::exception& e) noexcept {
  try {
    std::string message = e.what();
    for (char& c : message) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    fmt::print(stderr, "evlite: {}\n", message);
  } catch (...) {
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace evlite;
  CLI::App app{"evlite: an embeddable event store on SQLite. Query and replay streams, run projections, export,\n"
               "import and verify a store file."};
  app.name("evlite");
  const char* env_db = std::getenv("EVLITE_DB");
  std::string db = env_db != nullptr && *env_db != '\0' ? env_db : "./evlite.db";
  bool json = false;
  app.add_option("--db", db, "the store file (default: $EVLITE_DB, else ./evlite.db)");
  app.add_flag("--json", json, "print one JSON object per line instead of a table");
  app.require_subcommand(1, 1);
  app.fallthrough();
  app.footer(kFooter);

  std::vector<std::pair<CLI::App*, cli::Runner>> runners;
  for (const cli::Command& command : cli::commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.help);
    sub->footer(fmt::format("Example:\n  {}", command.example));
    runners.emplace_back(sub, command.define(*sub));
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    report(e);
    return 1;
  }

  cli::Output out(json);
  cli::Invocation invocation{db, json, out};
  try {
    for (auto& [sub, run] : runners) {
      if (!sub->parsed()) continue;
      int status = run(invocation);
      out.finish();
      return status;
    }
    return 1;
  } catch (const WrongExpectedVersion& e) {
    report(e);
    return 2;
  } catch (const DuplicateEventId& e) {
    report(e);
    return 2;
  } catch (const InvalidArgument& e) {
    report(e);
    return 1;
  } catch (const aggregates::CommandRejected& e) {
    report(e);
    return 1;
  } catch (const std::exception& e) {  // SchemaError, StorageError, ProjectionFaulted, file system errors
    report(e);
    return 3;
  }
}
