// Repository<A>: loads an aggregate by replaying its stream (from its newest usable snapshot), saves the
// events of a command with an Exact expectation, and retries commands that lost a race (DESIGN.md §4).
//
//   Repository<shop::Order> orders(store);
//   orders.execute("42", [&](const shop::Order& o) { return o.place(request); });
//   auto order = orders.load("42");            // order.state, order.version
//
// Snapshots: when a save takes a stream across a multiple of RepositoryOptions::snapshot_every, the state
// is handed to a background writer; the command neither waits for it nor fails with it. A snapshot of
// another aggregate type or snapshot schema version is ignored, never misread.
//
// Thread safety: a Repository is safe for concurrent use from any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "evlite/aggregates/aggregate.h"
#include "evlite/engine/event_store.h"

namespace evlite::aggregates {

struct RepositoryOptions {
  // Take a snapshot each time a save crosses a multiple of this many events; 0 turns snapshots off.
  // Default: 100.
  std::int64_t snapshot_every = 100;
  // How often execute() runs a command that keeps losing the race to another writer
  // (WrongExpectedVersion) before it gives up and rethrows. Default: 5.
  int max_attempts = 5;
};

// How the events of one command are stamped.
struct CommandContext {
  std::string correlation_id{};  // empty: each event's own id (the start of a chain)
  std::string causation_id{};    // empty: each event's own id
  std::string metadata = "{}";   // extra metadata fields, a JSON object
  // Event ids by index in the command's events; empty: the engine generates UUIDv7s. Reactions derive ids
  // deterministically here so that a re-delivered command is absorbed by the idempotent append.
  std::function<std::string(std::size_t index)> event_id{};
};

template <class A>
struct Loaded {
  A state{};
  StreamVersion version{};  // of the last event applied; 0 for an absent stream
};

namespace detail {

// Writes snapshots on a thread of its own so that commands never wait for them. Failures are counted,
// never thrown: a missing snapshot only makes the next load replay more.
class SnapshotWriter {
 public:
  explicit SnapshotWriter(EventStore& store);
  ~SnapshotWriter();  // writes what is queued, then stops
  void enqueue(Snapshot snapshot);
  // Blocks until every queued snapshot has been written or has failed.
  void flush();
  std::int64_t failures() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Builds the events to append for one command.
std::vector<NewEvent> stamp(std::vector<NewEvent> events, const CommandContext& context);

}  // namespace detail

template <Aggregate A>
class Repository {
 public:
  using Event = typename A::Event;

  explicit Repository(EventStore& store, RepositoryOptions options = {})
      : store_(store), options_(options), snapshots_(std::make_unique<detail::SnapshotWriter>(store)) {}

  // The stream of the aggregate with this id: "<kCategory>-<id>".
  static std::string stream_of(std::string_view id) { return std::string(A::kCategory) + "-" + std::string(id); }

  // The aggregate as of its latest event (state default-constructed and version 0 if it has none).
  // Throws InvalidArgument naming stream, version and type for an event that does not decode.
  Loaded<A> load(std::string_view id) const { return load_as_of(id, StreamVersion{kNoLimit}); }

  // Time travel: the aggregate as of stream version `version` (or its latest, if that is earlier).
  Loaded<A> load_as_of(std::string_view id, StreamVersion version) const {
    std::string stream = stream_of(id);
    Loaded<A> loaded = from_snapshot(stream, version);
    if constexpr (requires { loaded.state.identify(id); }) loaded.state.identify(id);
    if (loaded.version >= version) return loaded;
    auto cursor = store_.read_stream(stream, {.from = StreamVersion{loaded.version.value + 1},
                                              .max_count = version.value - loaded.version.value});
    const auto& registry = A::registry();
    while (cursor.next()) {
      loaded.state.apply(registry.decode(cursor.event()));
      loaded.version = cursor.event().version;
    }
    return loaded;
  }

  // Appends `events` (the result of a command on `loaded`) with ExpectedVersion::exact(loaded.version),
  // and returns the aggregate after them. Throws WrongExpectedVersion if the stream moved since it was
  // loaded, and what EventStore::append throws.
  Loaded<A> save(std::string_view id, const Loaded<A>& loaded, const std::vector<Event>& events,
                 const CommandContext& context = {}) {
    if (events.empty()) return loaded;
    std::vector<NewEvent> encoded;
    encoded.reserve(events.size());
    for (const Event& e : events) encoded.push_back(A::registry().encode(e));
    std::string stream = stream_of(id);
    AppendResult result = store_.append(stream, ExpectedVersion::exact(loaded.version.value),
                                        detail::stamp(std::move(encoded), context));
    if (result.version.value != loaded.version.value + static_cast<std::int64_t>(events.size())) {
      return load(id);  // an idempotent retry answered with an earlier write: read what is stored
    }
    Loaded<A> after = loaded;
    for (const Event& e : events) after.state.apply(e);
    after.version = result.version;
    maybe_snapshot(stream, loaded.version, after);
    return after;
  }

  // Loads the aggregate, runs `command(const A&) -> std::vector<Event>` on it and saves the events; when
  // another writer got there first (WrongExpectedVersion), reloads and runs the command again, up to
  // RepositoryOptions::max_attempts times. Returns the aggregate after the command. Whatever the command
  // throws (CommandRejected …) propagates at once, with nothing appended.
  template <class Command>
  Loaded<A> execute(std::string_view id, Command&& command, const CommandContext& context = {}) {
    for (int attempt = 1;; ++attempt) {
      Loaded<A> loaded = load(id);
      try {
        return save(id, loaded, command(std::as_const(loaded.state)), context);
      } catch (const WrongExpectedVersion&) {
        if (attempt >= options_.max_attempts) throw;
        std::this_thread::yield();  // let the writer that won finish, so the retry sees its events
      }
    }
  }

  // Blocks until the snapshots queued so far are written (for tests and orderly shutdown).
  void flush_snapshots() { snapshots_->flush(); }
  std::int64_t snapshot_failures() const { return snapshots_->failures(); }

 private:
  Loaded<A> from_snapshot(const std::string& stream, StreamVersion at_most) const {
    if (options_.snapshot_every <= 0) return {};
    auto snapshot = store_.load_snapshot(stream);
    if (!snapshot || snapshot->type != snapshot_type<A>() || snapshot->schema_version != A::kSnapshotSchemaVersion ||
        snapshot->version > at_most) {
      return {};
    }
    auto state = nlohmann::json::parse(snapshot->state, nullptr, /*allow_exceptions=*/false);
    try {
      return {state.template get<A>(), snapshot->version};
    } catch (const std::exception&) {  // a JSON mismatch, or a value the state refuses (InvalidArgument)
      return {};  // a snapshot that does not fit is only a lost shortcut: replay everything
    }
  }

  void maybe_snapshot(const std::string& stream, StreamVersion before, const Loaded<A>& after) {
    std::int64_t every = options_.snapshot_every;
    if (every <= 0 || before.value / every == after.version.value / every) return;
    snapshots_->enqueue(Snapshot{.stream_id = stream, .version = after.version, .type = std::string(snapshot_type<A>()),
                                 .schema_version = A::kSnapshotSchemaVersion,
                                 .state = nlohmann::json(after.state).dump()});
  }

  EventStore& store_;
  const RepositoryOptions options_;
  std::unique_ptr<detail::SnapshotWriter> snapshots_;
};

}  // namespace evlite::aggregates
