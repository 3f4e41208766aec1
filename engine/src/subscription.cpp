// Subscriptions: one thread and one connection each, catching up and then following the log by position.
#include "evlite/engine/subscription.h"

#include <thread>

#include "errors_internal.h"
#include "store_impl.h"

namespace evlite {

struct Subscription::State {
  // Constant after construction.
  std::shared_ptr<EventStore::Impl> impl;
  Filter filter;
  EventHandler handler;

  std::atomic<bool> stop_requested{false};
  std::thread thread;  // owned by the Subscription handle's thread

  mutable std::mutex mutex;
  std::condition_variable progressed;
  Position position;         // Guarded by mutex
  bool running = true;       // Guarded by mutex
  std::exception_ptr error;  // Guarded by mutex
  Position failed_at;        // Guarded by mutex

  void run() noexcept;

 private:
  void advance(Position to);
  void fail(std::exception_ptr e, Position at);
  // Delivers every matching event after `position` that is committed now. False if a handler failed.
  bool drain(detail::Connection& connection, std::vector<RecordedEvent>& page);
  // Blocks until something may have been committed: a local commit since `seen`, another process's
  // commit (PRAGMA data_version moved), or a stop.
  void await_commit(std::uint64_t seen, SQLite::Statement& data_version, std::int64_t& last_data_version);
};

void Subscription::State::advance(Position to) {
  {
    std::lock_guard lock(mutex);
    position = to;
  }
  progressed.notify_all();
}

void Subscription::State::fail(std::exception_ptr e, Position at) {
  std::lock_guard lock(mutex);
  error = std::move(e);
  failed_at = at;
}

bool Subscription::State::drain(detail::Connection& connection, std::vector<RecordedEvent>& page) {
  for (bool more = true; more && !stop_requested;) {
    Position from{position.value + 1};  // only this thread writes position
    const std::int64_t limit = impl->options.read_page_events;
    detail::PageScan scan = connection.tables.read_all_page(from, limit, limit, filter, page);
    for (const RecordedEvent& event : page) {
      if (stop_requested) return true;
      try {
        handler(event);
      } catch (...) {  // a thread entry point: the handler's error is kept, not lost
        fail(std::current_exception(), event.position);
        return false;
      }
      advance(event.position);
    }
    if (scan.last_scanned.value != 0) advance(scan.last_scanned);
    more = scan.more;
  }
  return true;
}

void Subscription::State::await_commit(std::uint64_t seen, SQLite::Statement& data_version,
                                       std::int64_t& last_data_version) {
  while (!stop_requested) {
    if (impl->commits.wait(seen, impl->options.poll_interval, stop_requested)) return;
    data_version.reset();
    data_version.executeStep();
    std::int64_t now = data_version.getColumn(0).getInt64();
    data_version.reset();
    if (now != last_data_version) {
      last_data_version = now;
      return;
    }
  }
}

void Subscription::State::run() noexcept {
  try {
    detail::translate_errors(impl->path_text + ": subscription", [&] {
      detail::Connection connection(impl->path, impl->options, detail::Role::Reader);
      SQLite::Statement data_version(connection.db, "PRAGMA data_version");
      std::int64_t last_data_version = -1;
      std::vector<RecordedEvent> page;
      while (!stop_requested) {
        std::uint64_t seen = impl->commits.count();
        if (!drain(connection, page)) return;
        await_commit(seen, data_version, last_data_version);
      }
    });
  } catch (...) {  // a thread entry point: a storage error stops this subscription only
    fail(std::current_exception(), Position{});
  }
  {
    std::lock_guard lock(mutex);
    running = false;
  }
  progressed.notify_all();
}

Subscription::Subscription(std::shared_ptr<State> state) : state_(std::move(state)) {}
Subscription::Subscription(Subscription&&) noexcept = default;

Subscription& Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

Subscription::~Subscription() { stop(); }

void Subscription::stop() {
  if (!state_) return;
  state_->stop_requested = true;
  state_->impl->commits.wake_all();
  if (state_->thread.joinable()) state_->thread.join();
}

bool Subscription::running() const {
  if (!state_) return false;
  std::lock_guard lock(state_->mutex);
  return state_->running;
}

Position Subscription::position() const {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  return state_->position;
}

std::exception_ptr Subscription::error() const {
  if (!state_) return nullptr;
  std::lock_guard lock(state_->mutex);
  return state_->error;
}

Position Subscription::failed_at() const {
  if (!state_) return {};
  std::lock_guard lock(state_->mutex);
  return state_->failed_at;
}

bool Subscription::wait_for(Position target, std::chrono::milliseconds timeout) const {
  if (!state_) return false;
  std::unique_lock lock(state_->mutex);
  state_->progressed.wait_until(lock, detail::deadline_after(timeout),
                                [&] { return state_->position >= target || !state_->running; });
  return state_->position >= target;
}

Subscription EventStore::subscribe(Position after, Filter filter, EventHandler handler) const {
  if (!handler) throw InvalidArgument("subscribe needs a handler");
  auto state = std::make_shared<Subscription::State>();
  state->impl = impl_;
  state->filter = std::move(filter);
  state->handler = std::move(handler);
  state->position = after;
  state->thread = std::thread([raw = state.get()] { raw->run(); });
  return Subscription(std::move(state));
}

}  // namespace evlite
