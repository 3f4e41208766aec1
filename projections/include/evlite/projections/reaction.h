// Reactions (process managers): named consumers of the log whose handler may append events
// (DESIGN.md §6).
//
// A ReactionRunner feeds each reaction the events matching its filter from its checkpoint, on a thread of
// its own, and moves the checkpoint after each batch. Delivery is therefore at least once: after a crash a
// reaction may see an event again. Handlers are made idempotent two ways, and should use both:
//  - decide from current state (an order that is already paid needs no payment), and
//  - stamp what they append through ReactionContext, whose event ids are derived deterministically
//    (UUIDv5 over reaction name, causing event id and index): a duplicate run of the same decision appends
//    the same ids, which the store's idempotent append absorbs.
// Each emitted event carries causation id = the causing event's id and the causing event's correlation id,
// so a whole chain can be followed by its correlation id. A handler that throws faults its reaction at that
// event (status: position and error), checkpoint before it; restart() retries.
//
// Thread safety: a reaction's handler runs on one thread at a time; the runner is safe from any thread, as
// ProjectionRunner is (runner.h), and the store must outlive it.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "evlite/aggregates/repository.h"
#include "evlite/engine/event_store.h"
#include "evlite/projections/runner.h"

namespace evlite::projections {

// The UUIDv5 (RFC 9562: SHA-1, from OpenSSL's libcrypto) of `name` in the namespace `namespace_id`.
// Throws InvalidArgument if `namespace_id` is not a UUID.
std::string uuid_v5(std::string_view namespace_id, std::string_view name);

// What a handler appends with, for one causing event.
class ReactionContext {
 public:
  ReactionContext(std::string reaction, const RecordedEvent& cause);

  const RecordedEvent& cause() const { return cause_; }

  // Stamps for a Repository command (execute/save) issued because of the cause. Each call numbers its
  // events apart from the previous call's, so issue commands in the same order on every delivery.
  aggregates::CommandContext command();

  // Stamps events for a direct EventStore::append or append_many, numbered like command().
  void stamp(std::vector<NewEvent>& events);

 private:
  std::string id_for(std::size_t call, std::size_t index) const;
  std::string reaction_;
  const RecordedEvent& cause_;
  std::string correlation_;
  std::size_t calls_ = 0;
};

class Reaction {
 public:
  virtual ~Reaction() = default;
  // Unique among reactions; names its checkpoint and seeds its event ids. Never rename a running one.
  virtual std::string name() const = 0;
  virtual Filter filter() const = 0;
  // Handles one event. Throwing faults the reaction at this event.
  virtual void handle(const RecordedEvent& event, ReactionContext& context) = 0;
};

class ReactionRunner {
 public:
  explicit ReactionRunner(const EventStore& store, RunnerOptions options = {});
  ~ReactionRunner();
  ReactionRunner(const ReactionRunner&) = delete;
  ReactionRunner& operator=(const ReactionRunner&) = delete;

  // Throws InvalidArgument for a duplicate name, or once started.
  void add(std::shared_ptr<Reaction> reaction);
  // Waits for a run_until_caught_up() running in another thread to finish.
  void start();
  void stop();
  // Runs each reaction in the calling thread up to the head as of the call; throws ProjectionFaulted for
  // the first that faulted (the others still run). Throws InvalidArgument while started (stop() first).
  void run_until_caught_up();
  // A faulted reaction retries from the event it faulted at; no effect on one that is not faulted.
  void restart(std::string_view name);
  bool wait_for(std::string_view name, Position position, std::chrono::milliseconds timeout) const;
  std::vector<ProjectionStatus> status() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace evlite::projections
