// ProjectionRunner: worker threads over Worker, status, waiting; and the file-level helpers for tools.
#include "evlite/projections/runner.h"

#include <array>
#include <thread>

#include <fmt/format.h>

#include "bookkeeping.h"
#include "evlite/engine/sqlite_access.h"
#include "worker.h"

namespace evlite::projections {

std::string_view to_string(ProjectionState state) {
  static constexpr std::array<std::string_view, 5> kNames = {"stopped", "running", "caught_up", "rebuilding",
                                                             "faulted"};
  return kNames[static_cast<std::size_t>(state)];
}

struct ProjectionRunner::Impl {
  Impl(const EventStore& s, RunnerOptions o) : store(s), options(std::move(o)) {}

  const EventStore& store;
  const RunnerOptions options;
  std::vector<std::unique_ptr<detail::Worker>> workers;  // fixed once started

  std::mutex mutex;
  std::condition_variable wake;   // restart() and stop() wake faulted workers
  bool started = false;           // Guarded by mutex
  bool stopping = false;          // Guarded by mutex
  std::vector<std::thread> threads;

  detail::Worker& worker(std::string_view name) const {
    for (const auto& w : workers) {
      if (w->name() == name) return *w;
    }
    throw InvalidArgument(fmt::format("no projection named \"{}\" in this runner", name));
  }

  bool stop_requested() {
    std::lock_guard lock(mutex);
    return stopping;
  }

  // A worker thread: step while there is work, wait for commits when caught up, for restart() when faulted.
  void run(detail::Worker& w) noexcept {
    while (!stop_requested()) {
      detail::Outcome outcome = detail::Outcome::Faulted;
      try {
        outcome = w.step();
      } catch (const std::exception& e) {  // a thread entry point: storage trouble faults this projection only
        w.fail(e.what());
      }
      if (outcome == detail::Outcome::CaughtUp) {
        store.wait_for_commit(w.status().checkpoint, std::chrono::milliseconds(100));
      } else if (outcome == detail::Outcome::Faulted) {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return stopping || w.status().state != ProjectionState::Faulted; });
      }
    }
  }
};

ProjectionRunner::ProjectionRunner(const EventStore& store, RunnerOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}

ProjectionRunner::~ProjectionRunner() { stop(); }

void ProjectionRunner::add(std::shared_ptr<Projection> projection) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) throw InvalidArgument("add a projection before the runner starts");
  for (const auto& w : impl_->workers) {
    if (w->name() == projection->name()) {
      throw InvalidArgument(fmt::format("a projection named \"{}\" is already added", projection->name()));
    }
  }
  impl_->workers.push_back(std::make_unique<detail::Worker>(impl_->store, std::move(projection), impl_->options));
}

void ProjectionRunner::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  impl_->started = true;
  impl_->stopping = false;
  for (auto& w : impl_->workers) impl_->threads.emplace_back([this, raw = w.get()] { impl_->run(*raw); });
}

void ProjectionRunner::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  std::lock_guard lock(impl_->mutex);
  impl_->started = false;
}

void ProjectionRunner::run_until_caught_up() {
  Position target = impl_->store.head_position();
  std::optional<ProjectionStatus> first_fault;
  for (auto& w : impl_->workers) {
    for (;;) {
      detail::Outcome outcome = w->step();
      ProjectionStatus status = w->status();
      if (outcome == detail::Outcome::Faulted) {
        if (!first_fault) first_fault = status;
        break;  // the others still catch up
      }
      if (status.state != ProjectionState::Rebuilding && status.checkpoint >= target) break;
    }
  }
  if (first_fault) throw ProjectionFaulted(first_fault->name, first_fault->error_position, first_fault->error);
}

void ProjectionRunner::restart(std::string_view name) {
  impl_->worker(name).clear_fault();
  impl_->wake.notify_all();
}

void ProjectionRunner::rebuild(std::string_view name) {
  detail::Worker& w = impl_->worker(name);
  w.request_rebuild();
  bool started = false;
  {
    std::lock_guard lock(impl_->mutex);
    started = impl_->started;
  }
  if (started) return;
  ProjectionStatus status;
  do {
    if (w.step() == detail::Outcome::Faulted) {
      status = w.status();
      throw ProjectionFaulted(status.name, status.error_position, status.error);
    }
    status = w.status();
  } while (status.state == ProjectionState::Rebuilding);
}

bool ProjectionRunner::wait_for(std::string_view name, Position position, std::chrono::milliseconds timeout) const {
  return impl_->worker(name).wait_for(position, timeout);
}

std::vector<ProjectionStatus> ProjectionRunner::status() const {
  std::vector<ProjectionStatus> all;
  for (const auto& w : impl_->workers) all.push_back(w->status());
  return all;
}

ProjectionStatus ProjectionRunner::status(std::string_view name) const { return impl_->worker(name).status(); }

std::vector<ProjectionStatus> stored_status(const EventStore& store,
                                            const std::vector<std::shared_ptr<Projection>>& projections) {
  auto db = open_connection(store);
  Position head = store.head_position();
  std::vector<ProjectionStatus> all;
  detail::Bookkeeping books(*db);
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
    status.lag = head.value - status.checkpoint.value;
    all.push_back(std::move(status));
  }
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
