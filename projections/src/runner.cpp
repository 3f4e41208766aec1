// ProjectionRunner over the worker pool, and the file-level helpers for tools.
#include "evlite/projections/runner.h"

#include <algorithm>
#include <array>

#include <SQLiteCpp/Transaction.h>

#include "bookkeeping.h"
#include "consumer.h"
#include "evlite/engine/sqlite_access.h"
#include "worker.h"

namespace evlite::projections {

std::string_view to_string(ProjectionState state) {
  static constexpr std::array<std::string_view, 5> kNames = {"stopped", "running", "caught_up", "rebuilding",
                                                             "faulted"};
  return kNames[static_cast<std::size_t>(state)];
}

struct ProjectionRunner::Impl {
  Impl(const EventStore& s, RunnerOptions o) : store(s), options(std::move(o)), pool(s) {}
  const EventStore& store;
  const RunnerOptions options;
  detail::WorkerPool pool;
};

ProjectionRunner::ProjectionRunner(const EventStore& store, RunnerOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

ProjectionRunner::~ProjectionRunner() { stop(); }

void ProjectionRunner::add(std::shared_ptr<Projection> projection) {
  impl_->pool.add(std::make_unique<detail::Worker>(impl_->store, std::move(projection), impl_->options));
}

void ProjectionRunner::start() { impl_->pool.start(); }
void ProjectionRunner::stop() { impl_->pool.stop(); }
void ProjectionRunner::run_until_caught_up() { impl_->pool.run_until_caught_up(); }
void ProjectionRunner::restart(std::string_view name) { impl_->pool.restart(name); }

void ProjectionRunner::rebuild(std::string_view name) {
  auto& worker = static_cast<detail::Worker&>(impl_->pool.find(name));
  worker.request_rebuild();
  impl_->pool.in_caller("rebuild", [&] {  // else the worker's thread does it
    ProjectionStatus status;
    do {
      if (worker.step() == detail::Outcome::Faulted) {
        status = worker.status();
        throw ProjectionFaulted(status.name, status.error_position, status.error);
      }
      status = worker.status();
    } while (status.state == ProjectionState::Rebuilding);
  });
}

bool ProjectionRunner::wait_for(std::string_view name, Position position, std::chrono::milliseconds timeout) const {
  return impl_->pool.find(name).wait_for(position, timeout);
}

std::vector<ProjectionStatus> ProjectionRunner::status() const { return impl_->pool.status(); }
ProjectionStatus ProjectionRunner::status(std::string_view name) const { return impl_->pool.find(name).status(); }

std::vector<ProjectionStatus> stored_status(const EventStore& store,
                                            const std::vector<std::shared_ptr<Projection>>& projections) {
  auto db = open_connection(store);
  std::vector<ProjectionStatus> all;
  detail::Bookkeeping books(*db);
  // One read transaction: each row and its checkpoints as of one commit, while a service runs them.
  SQLite::Transaction snapshot(*db);
  for (const auto& p : projections) {
    ProjectionStatus status{.name = p->name(), .version = p->version()};
    if (auto row = books.load(p->name())) {
      status.version = row->version;
      status.generation = row->generation;
      status.checkpoint = checkpoints::load(*db, detail::checkpoint_name(p->name()));
      if (row->rebuild_generation) {
        status.state = ProjectionState::Rebuilding;
        status.rebuild_checkpoint = checkpoints::load(*db, detail::rebuild_checkpoint_name(p->name()));
      }
      if (!row->error.empty()) {
        status.state = ProjectionState::Faulted;
        status.error = row->error;
        status.error_position = row->error_position;
      }
    }
    all.push_back(std::move(status));
  }
  snapshot.commit();
  // Read after the checkpoints, and a checkpoint never passes the head: no negative lag.
  Position head = store.head_position();
  for (auto& status : all) status.lag = std::max<std::int64_t>(0, head.value - status.checkpoint.value);
  return all;
}

void reset(const EventStore& store, const Projection& projection) {
  auto db = open_connection(store);
  write_transaction(store, *db, [&] {
    detail::Bookkeeping books(*db);
    books.drop_views(projection.tables());
    books.drop_generations(projection.tables(), {});
    books.remove(projection.name());
    checkpoints::reset(*db, detail::checkpoint_name(projection.name()), Position{0});
    checkpoints::reset(*db, detail::rebuild_checkpoint_name(projection.name()), Position{0});
  });
}

}  // namespace evlite::projections
