#include "consumer.h"

#include <algorithm>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace evlite::projections::detail {

Consumer::Consumer(const EventStore& store, std::string name) : store_(store), name_(std::move(name)) {
  status_.name = name_;
}

void Consumer::request_restart() {
  change_status([&](ProjectionStatus& status) {
    restart_requested_ = true;
    if (status.state != ProjectionState::Faulted) return;
    status.state = ProjectionState::Running;
    status.error.clear();
    status.error_position = {};
  });
}

bool Consumer::restart_requested() const {
  std::lock_guard lock(mutex_);
  return restart_requested_;
}

bool Consumer::take_restart() {
  bool requested = false;
  change_status([&](ProjectionStatus& status) {
    requested = std::exchange(restart_requested_, false);
    // A fault recorded after the request (by a step already under way) is the one the request retries.
    if (!requested || status.state != ProjectionState::Faulted) return;
    status.state = ProjectionState::Running;
    status.error.clear();
    status.error_position = {};
  });
  return requested;
}

bool Consumer::faulted() const {
  std::lock_guard lock(mutex_);
  return status_.state == ProjectionState::Faulted;
}

void Consumer::fail(const std::string& error) {
  change_status([&](ProjectionStatus& status) {
    status.state = ProjectionState::Faulted;
    status.error = error;
  });
}

ProjectionStatus Consumer::status() const {
  ProjectionStatus status;
  {
    std::lock_guard lock(mutex_);
    status = status_;
  }
  status.lag = std::max<std::int64_t>(0, store_.head_position().value - status.checkpoint.value);
  return status;
}

Position Consumer::checkpoint() const {
  std::lock_guard lock(mutex_);
  return status_.checkpoint;
}

bool Consumer::wait_for(Position position, std::chrono::milliseconds timeout) const {
  // wait_for adds the timeout to the clock's now in nanoseconds: milliseconds::max() ("forever") would
  // overflow into the past and not wait at all. A century is forever enough.
  constexpr std::chrono::milliseconds kForever = std::chrono::hours(24 * 365 * 100);
  std::unique_lock lock(mutex_);
  progressed_.wait_for(lock, std::min(timeout, kForever), [&] {
    return status_.checkpoint >= position || status_.state == ProjectionState::Faulted;
  });
  return status_.checkpoint >= position;
}

const std::vector<RecordedEvent>& BatchReader::read(const EventStore& store, Position from, int batch_size,
                                                    const Filter& filter) {
  store.read_all({.from = Position{from.value + 1}, .max_count = batch_size, .filter = filter}).drain(events_);
  return events_;
}

Position reached(const std::vector<RecordedEvent>& events, Position from, Position head, int batch_size) {
  if (static_cast<int>(events.size()) == batch_size) return events.back().position;
  Position last = events.empty() ? from : events.back().position;
  return std::max(last, head);
}

namespace {

// The pool whose consumer the current thread is stepping, if any: its own worker threads, and a caller's
// thread inside run_until_caught_up() or rebuild(). A handler or callback on such a thread that starts,
// stops or steps the same pool would deadlock or step one consumer on two threads; it gets
// InvalidArgument instead.
thread_local const WorkerPool* stepping_pool = nullptr;

class SteppingHere {
 public:
  explicit SteppingHere(const WorkerPool* pool) : previous_(std::exchange(stepping_pool, pool)) {}
  ~SteppingHere() { stepping_pool = previous_; }
  SteppingHere(const SteppingHere&) = delete;
  SteppingHere& operator=(const SteppingHere&) = delete;

 private:
  const WorkerPool* previous_;
};

}  // namespace

void WorkerPool::refuse_inside_step(std::string_view what) const {
  if (stepping_pool == this) {
    throw InvalidArgument(fmt::format("{} from inside one of this runner's steps (a handler or callback)", what));
  }
}

void WorkerPool::add(std::unique_ptr<Consumer> consumer) {
  refuse_inside_step("add");
  std::lock_guard control(control_);
  std::lock_guard lock(mutex_);
  if (started_) throw InvalidArgument("add before the runner starts");
  for (const auto& c : consumers_) {
    if (c->name() == consumer->name()) {
      throw InvalidArgument(fmt::format("\"{}\" is already added to this runner", consumer->name()));
    }
  }
  consumers_.push_back(std::move(consumer));
}

void WorkerPool::start() {
  refuse_inside_step("start");
  std::lock_guard control(control_);
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  for (auto& c : consumers_) threads_.emplace_back([this, raw = c.get()] { run(*raw); });
}

void WorkerPool::stop() {
  refuse_inside_step("stop");
  std::lock_guard control(control_);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  std::lock_guard lock(mutex_);
  started_ = false;
}

bool WorkerPool::started() {
  std::lock_guard lock(mutex_);
  return started_;
}

bool WorkerPool::stop_requested() {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void WorkerPool::run(Consumer& c) noexcept {
  SteppingHere here(this);
  while (!stop_requested()) {
    Outcome outcome = Outcome::Faulted;
    // A thread entry point: whatever escapes, storage trouble included, faults this consumer only.
    try {
      outcome = c.step();
      // Bounded, so that stop() is honoured promptly even when no commit comes.
      if (outcome == Outcome::CaughtUp) store_.wait_for_commit(c.checkpoint(), std::chrono::milliseconds(100));
    } catch (...) {
      c.fail(current_exception_text());
    }
    if (outcome == Outcome::Faulted) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || c.restart_requested(); });
    }
  }
}

bool WorkerPool::in_caller(std::string_view what, const std::function<void()>& steps) {
  refuse_inside_step(what);
  std::lock_guard control(control_);
  if (started()) return false;
  SteppingHere here(this);
  steps();
  return true;
}
void WorkerPool::run_until_caught_up() {
  std::optional<ProjectionStatus> first_fault;
  bool ran = in_caller("run_until_caught_up", [&] {
    Position target = store_.head_position();
    for (auto& c : consumers_) {
      for (;;) {
        Outcome outcome = c->step();
        ProjectionStatus status = c->status();
        if (outcome == Outcome::Faulted) {
          if (!first_fault) first_fault = status;
          break;  // the others still catch up
        }
        if (status.state != ProjectionState::Rebuilding && status.checkpoint >= target) break;
      }
    }
  });
  if (!ran) throw InvalidArgument("run_until_caught_up while the runner's threads run: stop() it first");
  if (first_fault) throw ProjectionFaulted(first_fault->name, first_fault->error_position, first_fault->error);
}

void WorkerPool::restart(std::string_view name) {
  find(name).request_restart();
  // A faulted worker looks for a request and then waits, both under mutex_. Taking mutex_ here, after the
  // request, means it either looks after the request or is already waiting when notified; without it,
  // the notify could fall between its look and its wait, and it would sleep on with a request pending.
  { std::lock_guard lock(mutex_); }
  wake_.notify_all();
}

Consumer& WorkerPool::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const auto& c : consumers_) {
    if (c->name() == name) return *c;  // consumers are never removed: the reference stays valid
  }
  throw InvalidArgument(fmt::format("no projection or reaction named \"{}\" in this runner", name));
}

std::vector<ProjectionStatus> WorkerPool::status() const {
  std::vector<const Consumer*> all;
  {
    std::lock_guard lock(mutex_);
    for (const auto& c : consumers_) all.push_back(c.get());
  }
  std::vector<ProjectionStatus> statuses;
  for (const Consumer* c : all) statuses.push_back(c->status());  // each reads the head: not under the lock
  return statuses;
}

std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "threw something that is not a std::exception";
  }
}

}  // namespace evlite::projections::detail
