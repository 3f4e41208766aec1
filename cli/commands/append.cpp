#include <fstream>

#include "command.h"
#include "evlite/engine/ndjson.h"

namespace evlite::cli {
namespace {

struct AppendArgs {
  std::string stream;
  std::string type;
  std::string data = "{}";
  std::string metadata = "{}";
  std::string id;
  std::string expected = "any";
  std::int32_t schema_version = 1;
  std::string file;
};

std::vector<NewEvent> events_of(const AppendArgs& args) {
  if (args.file.empty()) {
    if (args.type.empty()) throw InvalidArgument("append needs an event TYPE, or --file EVENTS.ndjson");
    return {NewEvent{.type = args.type, .data = args.data, .metadata = args.metadata, .id = args.id,
                     .schema_version = args.schema_version}};
  }
  if (!args.type.empty()) throw InvalidArgument("append takes either TYPE [DATA] or --file, not both");
  std::ifstream file(args.file);
  if (!file) throw std::runtime_error(fmt::format("cannot read {}", args.file));
  NdjsonReader reader;
  std::vector<NewEvent> events;
  std::int64_t number = 0;
  for (std::string line; std::getline(file, line);) {
    ++number;
    if (!line.empty()) events.push_back(reader.new_event(line, number));
  }
  if (file.bad()) throw std::runtime_error(fmt::format("reading {} failed", args.file));
  return events;
}

}  // namespace

Command append_command() {
  return {"append", "append events to a stream, atomically, if the expected version holds",
          "evlite append note-1 Noted '{\"text\":\"call the supplier\"}' --expected-version no-stream\n"
          "  evlite append note-1 --file events.ndjson   (lines: {\"type\":…,\"data\":…,\"metadata\":…,\"id\":…})",
          [](CLI::App& app) -> Runner {
            auto args = std::make_shared<AppendArgs>();
            app.add_option("STREAM", args->stream, "the stream to append to, e.g. order-42")->required();
            app.add_option("TYPE", args->type, "the event type");
            app.add_option("DATA_JSON", args->data, "the event's data as JSON (default {})");
            app.add_option("--metadata", args->metadata, "metadata as a JSON object");
            app.add_option("--id", args->id, "the event's id, a UUID (makes a retry idempotent)");
            app.add_option("--expected-version", args->expected, "N, any, no-stream or exists (default any)");
            app.add_option("--schema-version", args->schema_version, "the schema version of DATA_JSON (default 1)")
                ->transform(non_negative_decimal())
                ->check(CLI::PositiveNumber);
            app.add_option("--file", args->file, "append every event of this NDJSON file in one atomic append");
            return [args](const Invocation& in) {
              ExpectedVersion expected = ExpectedVersion::parse(args->expected);
              std::vector<NewEvent> events = events_of(*args);
              AppendResult r = in.open().append(args->stream, expected, events);
              in.out.message(fmt::format("appended {} event{} to {}: version {}, positions {}..{}", events.size(),
                                         events.size() == 1 ? "" : "s", args->stream, r.version.value,
                                         r.first_position.value, r.last_position.value),
                             {{"stream", args->stream},
                              {"version", r.version.value},
                              {"first_position", r.first_position.value},
                              {"last_position", r.last_position.value}});
              return 0;
            };
          }};
}

}  // namespace evlite::cli
