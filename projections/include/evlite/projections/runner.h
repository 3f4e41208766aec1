// ProjectionRunner: runs projections on worker threads, each from its checkpoint, in batches committed
// together with the checkpoint (DESIGN.md §5).
//
//   ProjectionRunner runner(store);
//   runner.add(std::make_shared<shop::InventoryProjection>());
//   runner.start();
//   auto r = store.append(...);
//   runner.wait_for("inventory", r.last_position, 5s);   // read your own writes
//
// - Each projection has its own thread and connection: a slow or faulted one never stalls another.
// - Several runners, in several processes, may run the same projection: a batch commits only if the
//   checkpoint is still where the batch started; a runner that loses the race discards its batch, so no
//   event is ever applied twice.
// - A handler that throws leaves its projection faulted at that event (status: position and error), its
//   checkpoint unmoved; restart() retries from the checkpoint.
// - When a projection's version() differs from the stored one (or on rebuild()), the runner builds a new
//   generation of its tables from position 0 in shadow tables while queries read the old one and appends
//   go on; the final catch-up and the swap are one short transaction.
//
// Thread safety: all methods are safe from any thread; add, start, stop, run_until_caught_up and a
// rebuild in the caller run one at a time. From inside a handler or on_progress they throw
// InvalidArgument (restart, status and wait_for are fine). Destroying the runner stops it; the store must
// outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "evlite/engine/event_store.h"
#include "evlite/projections/projection.h"

namespace evlite::projections {

enum class ProjectionState {
  Stopped,     // not running in this runner (or, read from the file, by no runner known)
  Running,     // applying batches, behind the head
  CaughtUp,    // at the head, waiting for commits
  Rebuilding,  // building a new generation in shadow tables
  Faulted,     // stopped at an event whose apply() threw; see error and error_position
};

// "stopped", "running", "caught_up", "rebuilding", "faulted".
std::string_view to_string(ProjectionState state);

struct ProjectionStatus {
  std::string name{};
  std::int32_t version = 0;            // stored version of the read model being served
  std::int64_t generation = 0;         // of its tables; a finished rebuild serves a higher one
  ProjectionState state = ProjectionState::Stopped;
  Position checkpoint{};               // last position reflected in the read model
  std::int64_t lag = 0;                // head position − checkpoint
  Position rebuild_checkpoint{};       // progress of a rebuild in progress, else 0
  std::string error{};                 // why it faulted
  Position error_position{};           // the event it faulted at
};

struct RunnerOptions {
  // Events per batch transaction. Larger batches rebuild faster; smaller ones hold the write lock for
  // less time. Default: 1,000.
  int batch_size = 1000;
  // Called on the thread that steps the projection (its worker's, or the caller's in run_until_caught_up
  // and rebuild) as a rebuild progresses and when it faults, for progress displays; may be empty.
  std::function<void(const ProjectionStatus&)> on_progress{};
};

class ProjectionRunner {
 public:
  explicit ProjectionRunner(const EventStore& store, RunnerOptions options = {});
  ~ProjectionRunner();
  ProjectionRunner(const ProjectionRunner&) = delete;
  ProjectionRunner& operator=(const ProjectionRunner&) = delete;

  // Registers a projection. Throws InvalidArgument for a duplicate name, or if the runner has started.
  void add(std::shared_ptr<Projection> projection);

  // Starts one worker thread per projection. Idempotent. Waits for a run_until_caught_up() or rebuild()
  // running in another thread to finish: a projection steps on one thread at a time.
  void start();

  // Stops every worker after its current batch. Idempotent.
  void stop();

  // Runs each projection in the calling thread until it has reached the head position as of the call
  // (rebuilding first where its version changed). If one faults, the others still catch up, then
  // ProjectionFaulted reports the first fault. Throws InvalidArgument while started (stop() first).
  void run_until_caught_up();

  // A faulted projection retries from its checkpoint: its status stops showing the fault at once, and its
  // next step (the worker's, or the next run_until_caught_up's) clears the fault in the file. No effect on
  // a projection that is not faulted; safe while its worker runs.
  void restart(std::string_view name);

  // Rebuilds the projection's read model in shadow tables and swaps it in, even at the same version.
  // With workers started, the projection's worker does it and this returns at once (the status shows
  // Rebuilding, then a higher generation); otherwise it runs in the calling thread until swapped.
  void rebuild(std::string_view name);

  // Blocks until the projection's checkpoint is at or past `position`, it faults, or `timeout` passes.
  // Returns whether the position was reached.
  bool wait_for(std::string_view name, Position position, std::chrono::milliseconds timeout) const;

  std::vector<ProjectionStatus> status() const;
  // Throws InvalidArgument for an unknown name.
  ProjectionStatus status(std::string_view name) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The status of `projections` as stored in the file, for tools that do not run them (the CLI): version,
// checkpoint, lag, a rebuild in progress, and a recorded fault.
std::vector<ProjectionStatus> stored_status(const EventStore& store,
                                            const std::vector<std::shared_ptr<Projection>>& projections);

// Drops the projection's read model and bookkeeping: the next runner builds it again from position 0
// (queries see an empty read model until then).
void reset(const EventStore& store, const Projection& projection);

}  // namespace evlite::projections
