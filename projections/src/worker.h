// Internal: one projection's work against the store: registration, batches, faults, rebuild and swap.
// Runs on one thread at a time (the runner's worker thread, or the caller's in run_until_caught_up).
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include <SQLiteCpp/Database.h>

#include "bookkeeping.h"
#include "consumer.h"

namespace evlite::projections::detail {

// A projection as a consumer: registration, batches, faults, rebuild and swap.
class Worker : public Consumer {
 public:
  Worker(const EventStore& store, std::shared_ptr<Projection> projection, const RunnerOptions& options);

  Outcome step() override;

  // Asks for a rebuild at the next step, even at the same version.
  void request_rebuild() { rebuild_requested_ = true; }

 private:
  // The projection's row, registering it (and creating its first generation) if it has none.
  ProjectionRow ensure_registered();
  Outcome apply_batch(const ProjectionRow& row);
  Outcome rebuild_step(const ProjectionRow& row);
  Outcome swap(const ProjectionRow& row, Position rebuilt_to);
  Outcome fault(std::string error, Position at);
  // Removes the tables of generations that are neither served nor being rebuilt, a slice of rows per
  // transaction, so that dropping a big old read model never holds the write lock for long.
  void remove_stale();

  // Folds `events` into the FoldingProjection's pending changes, before their transaction (a plain
  // projection has nothing to do here). On a throwing fold, records where and why in failure_ and
  // returns false.
  bool fold_all(const std::vector<RecordedEvent>& events);
  // Writes `events` with `context` inside the caller's transaction: flushes what fold_all gathered, or
  // applies each event. On a throw, records where and why in failure_ and throws to roll back.
  void write_all(const std::vector<RecordedEvent>& events, WriteContext& context);
  WriteContext& context_for(std::int64_t generation);
  std::map<std::string, std::string, std::less<>> tables_of(std::int64_t generation) const;
  void publish(ProjectionState state, Position checkpoint, Position rebuild_checkpoint);

  // Constant after construction.
  const std::shared_ptr<Projection> projection_;
  const RunnerOptions options_;
  const std::vector<std::string> tables_;
  const Filter filter_;
  FoldingProjection* const folding_;  // projection_ when it folds, else null

  // Used only by the thread that steps.
  std::unique_ptr<SQLite::Database> db_;
  bool registered_ = false;
  bool stale_left_ = true;  // a crash before this runner started may have left old tables
  std::map<std::int64_t, std::unique_ptr<WriteContext>> contexts_;  // by generation
  struct Failure {
    std::string error;
    Position at;
  };
  std::optional<Failure> failure_;
  BatchReader batches_;

  std::atomic<bool> rebuild_requested_{false};
};

}  // namespace evlite::projections::detail
