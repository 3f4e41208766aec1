#include "group_commit.h"

#include <algorithm>
#include <condition_variable>
#include <exception>

#include "store_impl.h"

namespace evlite::detail {

struct GroupCommit::Writer {
  Writer(const std::vector<PreparedAppend>& p, std::chrono::milliseconds busy_timeout)
      : parts(&p), deadline(deadline_after(busy_timeout)) {}
  const std::vector<PreparedAppend>* parts;
  // Fixed on arrival: should this writer lead, its wait for another process's lock ends here, so that
  // the queue behind a leader that waited in vain does not wait in full once more per writer.
  std::chrono::steady_clock::time_point deadline;
  std::vector<AppendResult> results;
  std::exception_ptr error;
  bool done = false;             // Guarded by GroupCommit::mutex_
  std::condition_variable wake;  // while it leads: a writer joined the queue
};

std::vector<AppendResult> GroupCommit::submit(EventStore::Impl& impl, const std::vector<PreparedAppend>& parts,
                                              const std::string& context) {
  Writer self(parts, impl.options.busy_timeout);
  std::unique_lock lock(mutex_);
  queue_.push_back(&self);
  if (queue_.front() != &self) queue_.front()->wake.notify_one();  // a leader may be waiting for company
  turn_.wait(lock, [&] { return self.done || queue_.front() == &self; });
  if (self.done) {
    lock.unlock();
  } else {
    lead(impl, self, lock, context);
  }
  if (self.error) std::rethrow_exception(self.error);
  return std::move(self.results);
}

void GroupCommit::lead(EventStore::Impl& impl, Writer& self, std::unique_lock<std::mutex>& lock,
                       const std::string& context) {
  Group group{.deadline = std::chrono::steady_clock::now() +
                          std::min<std::chrono::steady_clock::duration>(last_commit_ / 2, kMaxGather)};
  lock.unlock();
  bool committed;
  {
    std::lock_guard write_lock(impl.write_mutex);
    committed = run_group(impl, self, group, context);
  }
  if (committed) impl.commits.notify();
  lock.lock();
  if (committed) {
    last_commit_ = group.commit_time;
    company_ = std::min(queue_.size(), static_cast<std::size_t>(impl.options.group_commit_max_batch));
  }
  for (Writer* w : group.members) {
    queue_.pop_front();
    w->done = true;
  }
  // One wake-up for the whole group and the next leader, outside the lock, so that the woken threads do
  // not block again on mutex_ while this one still holds it.
  lock.unlock();
  turn_.notify_all();
}

GroupCommit::Writer* GroupCommit::next_member(EventStore::Impl& impl, Group& group) {
  std::unique_lock lock(mutex_);
  std::size_t taken = group.members.size();
  if (taken >= static_cast<std::size_t>(impl.options.group_commit_max_batch)) return nullptr;
  if (taken > 0 && group.events >= static_cast<std::size_t>(impl.options.group_commit_max_events)) return nullptr;
  // A group's commit costs about the same whatever its size (under FULL, one flush), so each writer that
  // joins is nearly free throughput. The writers of the last group were just handed their results and
  // are on their way back: wait for as many as were there last time, but not past the deadline (half a
  // commit). A lone appender (company of one) never waits; a crowd that thinned out costs one short
  // wait, after which the smaller company is what is waited for.
  // Nor while other writers (a projection batch, a reaction's checkpoint) wait for the write lock: they
  // would wait with us, and a thread among the company that is one of them cannot come back meanwhile.
  if (taken == queue_.size() && taken < company_ && !impl.write_mutex.has_waiters()) {
    queue_.front()->wake.wait_until(lock, group.deadline, [&] { return queue_.size() > taken; });
  }
  if (taken == queue_.size()) return nullptr;
  Writer* w = queue_[taken];
  group.members.push_back(w);
  for (const auto& part : *w->parts) group.events += part.events.size();
  return w;
}

bool GroupCommit::run_group(EventStore::Impl& impl, Writer& self, Group& group, const std::string& context) {
  std::int64_t committed = 0;
  std::chrono::steady_clock::time_point written;
  try {
    write_transaction(impl.writer->db, self.deadline, impl.options.busy_timeout, context, [&] {
      // Writers are taken while earlier ones are written, so those still preparing their append join
      // this transaction. A retried body (busy) takes the same writers again: they stay queued until done.
      group.members.clear();
      group.events = 0;
      committed = 0;
      Timestamp time = now();
      EventTables& tables = impl.writer->tables;
      while (Writer* w = next_member(impl, group)) {
        w->results.clear();
        w->error = nullptr;
        if (group.members.size() == 1) {
          // The first needs no savepoint: when it fails, the transaction holds nothing else and rolls back.
          for (const auto& part : *w->parts) w->results.push_back(write(tables, part, time));
          ++committed;
          continue;
        }
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
      written = std::chrono::steady_clock::now();
    });
    group.commit_time = std::chrono::steady_clock::now() - written;
  } catch (...) {  // the group failed as a whole (I/O, busy timeout, or its first request's error): each gets it
    if (group.members.empty()) group.members.push_back(&self);  // the transaction did not even begin
    for (Writer* w : group.members) {
      w->results.clear();
      w->error = std::current_exception();
    }
    return false;
  }
  std::lock_guard lock(mutex_);
  ++stats_.transactions;
  stats_.requests += committed;
  return committed > 0;
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
