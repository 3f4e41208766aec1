// Internal: the state behind an EventStore handle, shared with its cursors and subscriptions.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

#include "checkpointer.h"
#include "connection.h"
#include "group_commit.h"
#include "errors_internal.h"
#include "fair_mutex.h"
#include "evlite/engine/event_store.h"

namespace evlite {

namespace detail {

// Internal code's way to the state behind a handle.
struct ImplAccess {
  static EventStore::Impl& of(const EventStore& store) { return *store.impl_; }
};

// The time recorded for a commit.
inline Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

// Runs `body` with the writer connection's tables inside one write transaction (connection.h), holding
// the in-process write lock, and wakes subscriptions after the commit.
template <class Body>
void write_locked(EventStore::Impl& impl, const std::string& context, Body&& body);

// Runs `body` with the tables of a borrowed reader connection, translating errors with `what` as context.
template <class Body>
auto with_reader(EventStore::Impl& impl, std::string_view what, Body&& body);

// Wakes subscriptions of this process when an append commits.
class CommitSignal {
 public:
  // Called after every commit.
  void notify();
  // The number of commits notified so far.
  std::uint64_t count();
  // Waits until count() differs from `seen`, `stop` is set, or `timeout` passes.
  // Returns true when woken by a commit or a stop, false on timeout.
  bool wait(std::uint64_t seen, std::chrono::milliseconds timeout, const std::atomic<bool>& stop);
  // Wakes every waiter so that it rechecks its stop flag.
  void wake_all();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t count_ = 0;  // Guarded by mutex_
};

}  // namespace detail

struct EventStore::Impl {
  Impl(std::filesystem::path path, Options options);

  // Constant after construction.
  const std::filesystem::path path;
  const std::string path_text;  // for messages
  const Options options;
  int schema_version = 0;

  detail::Checkpointer checkpointer;  // before writer: its commits report here until it closes
  detail::FairMutex write_mutex;
  std::unique_ptr<detail::Connection> writer;  // Guarded by write_mutex

  detail::ConnectionPool readers;
  detail::CommitSignal commits;
  detail::GroupCommit appends{*this};  // last: its committer thread stops before the rest closes
};

namespace detail {

template <class Body>
void write_locked(EventStore::Impl& impl, const std::string& context, Body&& body) {
  auto deadline = deadline_after(impl.options.busy_timeout);  // the wait for write_mutex counts
  {
    std::lock_guard lock(impl.write_mutex);
    write_transaction(impl.writer->transactions, deadline, impl.options.busy_timeout, context,
                      [&] { body(impl.writer->tables); });
  }
  impl.commits.notify();
}

template <class Body>
auto with_reader(EventStore::Impl& impl, std::string_view what, Body&& body) {
  return translate_errors(impl.path_text + ": " + std::string(what), [&] {
    auto reader = impl.readers.borrow();
    return body(reader->tables);
  });
}

}  // namespace detail
}  // namespace evlite
