#include "group_commit.h"

#include <condition_variable>
#include <exception>
#include <thread>

#include "store_impl.h"

namespace evlite::detail {

struct GroupCommit::Writer {
  explicit Writer(const std::vector<PreparedAppend>& p) : parts(&p) {}
  const std::vector<PreparedAppend>* parts;
  std::vector<AppendResult> results;
  std::exception_ptr error;
  bool done = false;             // Guarded by GroupCommit::mutex_
  std::condition_variable wake;  // its turn to lead, or its group is done
};

std::vector<AppendResult> GroupCommit::submit(EventStore::Impl& impl, const std::vector<PreparedAppend>& parts,
                                              const std::string& context) {
  Writer self(parts);
  std::unique_lock lock(mutex_);
  queue_.push_back(&self);
  self.wake.wait(lock, [&] { return self.done || queue_.front() == &self; });
  if (!self.done) {
    if (last_group_ > 1) {
      // Under contention the writers just released by the previous group are preparing their next append;
      // one yield lets them join this group instead of forming the next one. A lone appender never yields.
      lock.unlock();
      std::this_thread::yield();
      lock.lock();
    }
    // The leader takes everything queued behind it, within bounds that keep one transaction short.
    std::vector<Writer*> group;
    std::size_t events = 0;
    for (Writer* w : queue_) {
      if (group.size() >= static_cast<std::size_t>(impl.options.group_commit_max_batch)) break;
      if (!group.empty() && events >= static_cast<std::size_t>(impl.options.group_commit_max_events)) break;
      group.push_back(w);
      for (const auto& part : *w->parts) events += part.events.size();
    }
    lock.unlock();
    run_group(impl, group, context);
    lock.lock();
    last_group_ = group.size();
    for (Writer* w : group) {
      queue_.pop_front();
      w->done = true;
      if (w != &self) w->wake.notify_one();
    }
    if (!queue_.empty()) queue_.front()->wake.notify_one();
  }
  lock.unlock();
  if (self.error) std::rethrow_exception(self.error);
  return std::move(self.results);
}

void GroupCommit::run_group(EventStore::Impl& impl, const std::vector<Writer*>& group, const std::string& context) {
  std::int64_t committed = 0;
  try {
    std::lock_guard write_lock(impl.write_mutex);
    write_transaction(impl.writer->db, impl.options.busy_timeout, context, [&] {
      committed = 0;
      Timestamp time = now();
      for (Writer* w : group) {
        w->results.clear();
        w->error = nullptr;
        if (group.size() == 1) {  // alone: a failure rolls back the whole transaction, no savepoint needed
          for (const auto& part : *w->parts) w->results.push_back(write(impl.writer->tables, part, time));
          ++committed;
          continue;
        }
        EventTables& tables = impl.writer->tables;
        tables.savepoint();
        try {
          for (const auto& part : *w->parts) w->results.push_back(write(tables, part, time));
          tables.release_savepoint();
          ++committed;
        } catch (const Error&) {
          // Inside write() only a request's own failures are evlite errors (wrong expected version,
          // duplicate id, data json() refused); storage trouble arrives as SQLite::Exception and fails the
          // whole group below.
          tables.rollback_to_savepoint();
          w->results.clear();
          w->error = std::current_exception();
        }
      }
    });
  } catch (...) {  // the group failed as a whole (I/O, busy timeout, or a lone request's error): each gets it
    for (Writer* w : group) {
      w->results.clear();
      w->error = std::current_exception();
    }
    return;
  }
  if (committed > 0) impl.commits.notify();
  std::lock_guard lock(mutex_);
  ++stats_.transactions;
  stats_.requests += committed;
}

GroupCommit::Stats GroupCommit::stats() {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::size_t GroupCommit::in_flight() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

}  // namespace evlite::detail
