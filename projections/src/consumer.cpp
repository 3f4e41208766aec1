#include "consumer.h"

#include <fmt/format.h>

namespace evlite::projections::detail {

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

void WorkerPool::add(std::unique_ptr<Consumer> consumer) {
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
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  stopping_ = false;
  for (auto& c : consumers_) threads_.emplace_back([this, raw = c.get()] { run(*raw); });
}

void WorkerPool::stop() {
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
  while (!stop_requested()) {
    Outcome outcome = Outcome::Faulted;
    try {
      outcome = c.step();
    } catch (const std::exception& e) {  // a thread entry point: storage trouble faults this consumer only
      c.fail(e.what());
    }
    if (outcome == Outcome::CaughtUp) {
      // Bounded, so that stop() is honoured promptly even when no commit comes.
      store_.wait_for_commit(c.status().checkpoint, std::chrono::milliseconds(100));
    } else if (outcome == Outcome::Faulted) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || c.status().state != ProjectionState::Faulted; });
    }
  }
}

void WorkerPool::run_until_caught_up() {
  // Each consumer steps on one thread at a time (its connection and batch are that thread's alone).
  if (started()) throw InvalidArgument("run_until_caught_up while the runner's threads run: stop() it first");
  Position target = store_.head_position();
  std::optional<ProjectionStatus> first_fault;
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
  if (first_fault) throw ProjectionFaulted(first_fault->name, first_fault->error_position, first_fault->error);
}

void WorkerPool::restart(std::string_view name) {
  find(name).clear_fault();
  // A faulted worker looks at its state and then waits, both under mutex_. Taking mutex_ here, after the
  // state changed, means it either looks after the change or is already waiting when notified; without
  // it, the notify could fall between its look and its wait, and it would sleep on with the fault cleared.
  { std::lock_guard lock(mutex_); }
  wake_.notify_all();
}

Consumer& WorkerPool::find(std::string_view name) const {
  for (const auto& c : consumers_) {
    if (c->name() == name) return *c;
  }
  throw InvalidArgument(fmt::format("no projection or reaction named \"{}\" in this runner", name));
}

std::vector<ProjectionStatus> WorkerPool::status() const {
  std::vector<ProjectionStatus> all;
  for (const auto& c : consumers_) all.push_back(c->status());
  return all;
}

}  // namespace evlite::projections::detail
