#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "evlite/aggregates/repository.h"

namespace evlite::aggregates::detail {

std::vector<NewEvent> stamp(std::vector<NewEvent> events, const CommandContext& context) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    NewEvent& e = events[i];
    e.correlation_id = context.correlation_id;
    e.causation_id = context.causation_id;
    e.metadata = context.metadata;
    if (context.event_id) e.id = context.event_id(i);
  }
  return events;
}

struct SnapshotWriter::State {
  explicit State(EventStore& s) : store(s) {}
  EventStore& store;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<Snapshot> queue;  // Guarded by mutex
  bool writing = false;        // Guarded by mutex
  bool stopping = false;       // Guarded by mutex
  std::int64_t failures = 0;   // Guarded by mutex
  std::thread thread;          // started on the first snapshot

  void run() noexcept {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return stopping || !queue.empty(); });
      if (queue.empty()) return;  // stopping, and everything is written
      Snapshot next = std::move(queue.front());
      queue.pop_front();
      writing = true;
      lock.unlock();
      bool ok = write(next);
      lock.lock();
      writing = false;
      if (!ok) ++failures;
      changed.notify_all();
    }
  }

  bool write(const Snapshot& snapshot) noexcept {
    try {
      store.save_snapshot(snapshot);
      return true;
    } catch (const Error&) {  // a lost snapshot costs a longer replay, never a failed command
      return false;
    }
  }
};

SnapshotWriter::SnapshotWriter(EventStore& store) : state_(std::make_unique<State>(store)) {}

SnapshotWriter::~SnapshotWriter() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->changed.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

void SnapshotWriter::enqueue(Snapshot snapshot) {
  {
    std::lock_guard lock(state_->mutex);
    state_->queue.push_back(std::move(snapshot));
    if (!state_->thread.joinable()) state_->thread = std::thread([s = state_.get()] { s->run(); });
  }
  state_->changed.notify_all();
}

void SnapshotWriter::flush() {
  std::unique_lock lock(state_->mutex);
  state_->changed.wait(lock, [&] { return state_->queue.empty() && !state_->writing; });
}

std::int64_t SnapshotWriter::failures() const {
  std::lock_guard lock(state_->mutex);
  return state_->failures;
}

}  // namespace evlite::aggregates::detail
