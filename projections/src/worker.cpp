#include "worker.h"

#include <algorithm>

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include "evlite/engine/sqlite_access.h"

namespace evlite::projections::detail {
namespace {

// Thrown inside a batch transaction to roll it back after apply() failed; never leaves this file.
struct BatchRolledBack {};

// Rows of a stale generation deleted per transaction: a few milliseconds of the write lock.
constexpr int kStaleRowsPerSlice = 1000;

// Forgets a FoldingProjection's pending changes once their batch is over, committed or not. Not before:
// a write transaction may run its body, and so flush(), more than once.
class DiscardAfter {
 public:
  explicit DiscardAfter(FoldingProjection* folding) : folding_(folding) {}
  ~DiscardAfter() {
    if (folding_ != nullptr) folding_->discard();
  }
  DiscardAfter(const DiscardAfter&) = delete;
  DiscardAfter& operator=(const DiscardAfter&) = delete;

 private:
  FoldingProjection* folding_;
};

}  // namespace

Worker::Worker(const EventStore& store, std::shared_ptr<Projection> projection, const RunnerOptions& options)
    : Consumer(store, projection->name()),
      projection_(std::move(projection)),
      options_(options),
      tables_(projection_->tables()),
      filter_(projection_->filter()),
      folding_(dynamic_cast<FoldingProjection*>(projection_.get())) {
  for (const std::string& table : tables_) validate_table_name(table);
  change_status([&](ProjectionStatus& status) { status.version = projection_->version(); });
  // A fault stored by an earlier runner (an earlier process, before a fix was deployed) is retried once:
  // the file keeps faults for tools to show, not to hold a new runner back until someone calls restart().
  request_restart();
}

std::map<std::string, std::string, std::less<>> Worker::tables_of(std::int64_t generation) const {
  std::map<std::string, std::string, std::less<>> tables;
  for (const std::string& table : tables_) tables.emplace(table, physical_table(table, generation));
  return tables;
}

WriteContext& Worker::context_for(std::int64_t generation) {
  auto& slot = contexts_[generation];
  if (!slot) slot = std::make_unique<WriteContext>(*db_, tables_of(generation));
  return *slot;
}

ProjectionRow Worker::ensure_registered() {
  if (!db_) db_ = open_connection(store_);
  if (registered_) {
    if (auto stored = Bookkeeping(*db_).load(name_)) return *stored;  // a read: no write lock per step
  }
  ProjectionRow row;
  write_transaction(store_, *db_, [&] {
    Bookkeeping books(*db_);
    if (auto stored = books.load(name_)) {
      row = *stored;
      return;
    }
    row = ProjectionRow{.version = projection_->version(), .generation = 1};
    books.drop_generations(tables_, {});  // leftovers of a reset or a crash
    projection_->create_schema(context_for(1));
    books.point_views(tables_, 1);
    books.insert(name_, row.version, row.generation);
    checkpoints::reset(*db_, checkpoint_name(name_), Position{0});
  });
  registered_ = true;
  return row;
}

Outcome Worker::step() {
  ProjectionRow row = ensure_registered();
  if (take_restart() && !row.error.empty()) {
    write_transaction(store_, *db_, [&] { Bookkeeping(*db_).clear_fault(name_); });
    row.error.clear();
    row.error_position = {};
  }
  if (!row.error.empty()) {  // recorded by this runner or another, before or since it started
    Position checkpoint = checkpoints::load(*db_, checkpoint_name(name_));
    change_status([&](ProjectionStatus& status) {
      status = {.name = status.name, .version = row.version, .generation = row.generation,
                .state = ProjectionState::Faulted, .checkpoint = checkpoint, .error = row.error,
                .error_position = row.error_position};
    });
    return Outcome::Faulted;
  }
  change_status([&](ProjectionStatus& status) {
    status.generation = row.generation;
    status.version = row.version;
  });
  std::int32_t code = projection_->version();
  if (stale_left_) remove_stale();
  if (row.version > code && !row.rebuild_generation) {
    return fault(fmt::format("the stored read model is version {}, newer than this code's version {}", row.version, code),
                 Position{0});
  }
  if (row.rebuild_generation || row.version != code || rebuild_requested_) return rebuild_step(row);
  return apply_batch(row);
}

bool Worker::fold_all(const std::vector<RecordedEvent>& events) {
  if (folding_ == nullptr) return true;
  folding_->discard();  // swap() folds inside its transaction body, which a retry runs again
  for (const RecordedEvent& event : events) {
    try {
      folding_->fold(event);
    } catch (...) {
      folding_->discard();
      failure_ = Failure{current_exception_text(), event.position};
      return false;
    }
  }
  return true;
}

void Worker::write_all(const std::vector<RecordedEvent>& events, WriteContext& context) {
  if (folding_ != nullptr) {
    try {
      folding_->flush(context);
    } catch (...) {
      failure_ = Failure{current_exception_text(), events.empty() ? Position{} : events.front().position};
      throw BatchRolledBack{};
    }
    return;
  }
  for (const RecordedEvent& event : events) {
    try {
      projection_->apply(event, context);
    } catch (...) {
      failure_ = Failure{current_exception_text(), event.position};
      throw BatchRolledBack{};
    }
  }
}

Outcome Worker::apply_batch(const ProjectionRow& row) {
  std::string name = checkpoint_name(name_);
  Position checkpoint = checkpoints::load(*db_, name);
  Position head = store_.head_position();
  if (head <= checkpoint) {
    batches_.release();
    publish(ProjectionState::CaughtUp, checkpoint, {});
    return Outcome::CaughtUp;
  }
  // Read outside the write transaction, so that the write lock is held only to apply and commit.
  const auto& events = batches_.read(store_, checkpoint, options_.batch_size, filter_);
  Position target = reached(events, checkpoint, head, options_.batch_size);
  if (!fold_all(events)) return fault(failure_->error, failure_->at);
  DiscardAfter discard(folding_);
  bool committed = false;
  try {
    write_transaction(store_, *db_, [&] {
      auto now = Bookkeeping(*db_).load(name_);
      if (!now || now->generation != row.generation || now->rebuild_generation != row.rebuild_generation) return;
      // Another runner moved the checkpoint since we read it: its batch won; ours is dropped unapplied.
      if (checkpoints::load(*db_, name) != checkpoint) return;
      write_all(events, context_for(row.generation));
      committed = checkpoints::advance(*db_, name, checkpoint, target);
      if (!committed) throw BatchRolledBack{};
    });
  } catch (const BatchRolledBack&) {
    if (failure_) return fault(failure_->error, failure_->at);
  }
  Position now = committed ? target : checkpoints::load(*db_, name);
  publish(now >= store_.head_position() ? ProjectionState::CaughtUp : ProjectionState::Running, now, {});
  return Outcome::Progressed;
}

Outcome Worker::rebuild_step(const ProjectionRow& row) {
  std::int32_t code = projection_->version();
  if (!row.rebuild_generation) {
    write_transaction(store_, *db_, [&] {
      Bookkeeping books(*db_);
      auto now = books.load(name_);
      if (!now || now->rebuild_generation) return;  // another runner started it first
      std::int64_t next = now->generation + 1;
      books.drop_generations(tables_, {now->generation});
      projection_->create_schema(context_for(next));
      books.begin_rebuild(name_, code, next);
      checkpoints::reset(*db_, rebuild_checkpoint_name(name_), Position{0});
    });
    rebuild_requested_ = false;
    publish(ProjectionState::Rebuilding, checkpoints::load(*db_, checkpoint_name(name_)), {});
    return Outcome::Progressed;
  }
  if (row.rebuild_version != code) {
    // A rebuild for another version of the code: a newer one is not ours to touch; an older one is moot.
    if (*row.rebuild_version > code) {
      return fault(fmt::format("a rebuild to version {} is in progress, newer than this code's version {}",
                               *row.rebuild_version, code),
                   Position{0});
    }
    write_transaction(store_, *db_, [&] {
      Bookkeeping(*db_).abandon_rebuild(name_);
      Bookkeeping(*db_).drop_generations(tables_, {row.generation});
    });
    return Outcome::Progressed;
  }

  std::string name = rebuild_checkpoint_name(name_);
  Position rebuilt = checkpoints::load(*db_, name);
  Position head = store_.head_position();
  if (head.value - rebuilt.value <= options_.batch_size) return swap(row, rebuilt);
  const auto& events = batches_.read(store_, rebuilt, options_.batch_size, filter_);
  Position target = reached(events, rebuilt, head, options_.batch_size);
  if (!fold_all(events)) return fault(failure_->error, failure_->at);
  DiscardAfter discard(folding_);
  try {
    write_transaction(store_, *db_, [&] {
      auto now = Bookkeeping(*db_).load(name_);
      if (!now || now->rebuild_generation != row.rebuild_generation) return;
      if (checkpoints::load(*db_, name) != rebuilt) return;
      write_all(events, context_for(*row.rebuild_generation));
      if (!checkpoints::advance(*db_, name, rebuilt, target)) throw BatchRolledBack{};
    });
  } catch (const BatchRolledBack&) {
    if (failure_) return fault(failure_->error, failure_->at);
  }
  publish(ProjectionState::Rebuilding, checkpoints::load(*db_, checkpoint_name(name_)), target);
  return Outcome::Progressed;
}

Outcome Worker::swap(const ProjectionRow& row, Position rebuilt_to) {
  std::int64_t next = *row.rebuild_generation;
  Position final_position;
  bool swapped = false;
  DiscardAfter discard(folding_);
  try {
    // The final catch-up and the swap: one transaction, short because at most about a batch is left.
    write_transaction(store_, *db_, [&] {
      Bookkeeping books(*db_);
      auto now = books.load(name_);
      std::string name = rebuild_checkpoint_name(name_);
      if (!now || now->rebuild_generation != next || checkpoints::load(*db_, name) != rebuilt_to) return;
      // Holding the write lock, nothing commits behind this read: it ends at the true head.
      auto events = store_.read_all({.from = Position{rebuilt_to.value + 1}, .filter = filter_}).drain();
      if (!fold_all(events)) throw BatchRolledBack{};
      write_all(events, context_for(next));
      final_position = std::max({rebuilt_to, store_.head_position(), events.empty() ? Position{} : events.back().position});
      books.point_views(tables_, next);
      books.finish_rebuild(name_);
      checkpoints::reset(*db_, checkpoint_name(name_), final_position);
      checkpoints::reset(*db_, name, Position{0});
      swapped = true;
    });
  } catch (const BatchRolledBack&) {
    if (failure_) return fault(failure_->error, failure_->at);
  }
  if (swapped) {
    contexts_.erase(row.generation);
    change_status([&](ProjectionStatus& status) {
      status.version = projection_->version();
      status.generation = next;
    });
    publish(ProjectionState::CaughtUp, final_position, {});
    remove_stale();  // the old generation: nobody reads it any more
  }
  return Outcome::Progressed;
}

void Worker::remove_stale() {
  // One short transaction per slice: appends and the other projections get the write lock in between.
  bool left = true;
  while (left) {
    left = false;
    write_transaction(store_, *db_, [&] {
      Bookkeeping books(*db_);
      auto now = books.load(name_);
      if (!now) return;
      std::vector<std::int64_t> keep{now->generation};
      if (now->rebuild_generation) keep.push_back(*now->rebuild_generation);
      auto stale = books.stale_generations(tables_, keep);
      if (stale.empty()) return;
      books.shrink_or_drop(stale.front(), kStaleRowsPerSlice);
      left = true;
    });
  }
  stale_left_ = false;
}

Outcome Worker::fault(std::string error, Position at) {  // by value: callers pass failure_, reset below
  failure_.reset();
  write_transaction(store_, *db_, [&] { Bookkeeping(*db_).set_fault(name_, error, at); });
  change_status([&](ProjectionStatus& status) {
    status.state = ProjectionState::Faulted;
    status.error = error;
    status.error_position = at;
  });
  if (options_.on_progress) options_.on_progress(status());
  return Outcome::Faulted;
}

void Worker::publish(ProjectionState state, Position checkpoint, Position rebuild_checkpoint) {
  change_status([&](ProjectionStatus& status) {
    status.state = state;
    status.checkpoint = checkpoint;
    status.rebuild_checkpoint = rebuild_checkpoint;
    status.error.clear();
    status.error_position = {};
  });
  if (options_.on_progress && state == ProjectionState::Rebuilding) options_.on_progress(status());
}

}  // namespace evlite::projections::detail
