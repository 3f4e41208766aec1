#include "group_commit.h"

#include <algorithm>
#include <exception>

#include "store_impl.h"

namespace evlite::detail {

namespace {

// The error for a writer of a group that failed as a whole, with the exception being handled: a storage
// error from SQLite becomes a StorageError naming the writer's own append (as translate_errors would make
// it), one object per writer. (Several threads rethrowing one object is allowed, but ThreadSanitizer cannot
// see libstdc++'s reference counts and reports the last one's delete as racing with another's what().)
// Other errors (a busy timeout, which names the group's first append) are shared.
std::exception_ptr group_error(const std::string& context) {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    return std::make_exception_ptr(storage_error(context, e));
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace

struct GroupCommit::Writer {
  Writer(const std::vector<PreparedAppend>& p, const std::string& c, std::chrono::milliseconds busy_timeout)
      : parts(&p), context(&c), deadline(deadline_after(busy_timeout)) {}
  const std::vector<PreparedAppend>* parts;
  const std::string* context;
  // Fixed on arrival: should this writer's group wait for another process's lock, the wait ends here, so
  // that the queue behind a group that waited in vain does not wait in full once more per writer.
  std::chrono::steady_clock::time_point deadline;
  std::vector<AppendResult> results;
  std::exception_ptr error;
  bool done = false;   // Guarded by GroupCommit::mutex_
  bool leads = false;  // Guarded by GroupCommit::mutex_: start_group() chose it to lead in its own thread
};

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  committer_.notify_one();
  if (committer_thread_.joinable()) committer_thread_.join();
}

std::vector<AppendResult> GroupCommit::submit(const std::vector<PreparedAppend>& parts, const std::string& context) {
  Writer self(parts, context, impl_.options.busy_timeout);
  std::unique_lock lock(mutex_);
  queue_.push_back(&self);
  if (leading_) {
    arrived_.notify_one();  // the leader may be waiting for company
  } else {
    start_group();
  }
  turn_.wait(lock, [&] { return self.done || self.leads; });
  if (self.done) {
    lock.unlock();
  } else {
    lead(lock);
  }
  if (self.error) std::rethrow_exception(self.error);
  return std::move(self.results);
}

void GroupCommit::start_group() noexcept {
  leading_ = true;
  if (company_ > kMaxCompanyLedInline && !stopping_ && !committer_refused_) {
    try {
      if (!committer_thread_.joinable()) committer_thread_ = std::thread([this] { committer_loop(); });
      committer_leads_ = true;
      committer_.notify_one();
      return;
    } catch (...) {  // no thread to be had (system_error, bad_alloc): appenders lead, as with less company
      committer_refused_ = true;
    }
  }
  queue_.front()->leads = true;  // the caller, or a writer that the end of the last group wakes
}

void GroupCommit::committer_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    committer_.wait(lock, [&] { return committer_leads_ || stopping_; });
    if (!committer_leads_) return;
    committer_leads_ = false;
    ++stats_.committer_groups;
    lead(lock);
    lock.lock();
  }
}

void GroupCommit::lead(std::unique_lock<std::mutex>& lock) noexcept {
  Writer& first = *queue_.front();
  Group group{.deadline = std::chrono::steady_clock::now() +
                          std::min<std::chrono::steady_clock::duration>(last_commit_ / 2, kMaxGather)};
  lock.unlock();
  std::size_t finished;
  {
    std::lock_guard write_lock(impl_.write_mutex);
    finished = run_group(first, group);
  }
  if (group.committed) impl_.commits.notify();
  lock.lock();
  if (group.committed) last_commit_ = group.commit_time;
  company_ = std::min(queue_.size(), static_cast<std::size_t>(impl_.options.group_commit_max_batch));
  for (std::size_t i = 0; i < finished; ++i) {
    queue_.front()->done = true;
    queue_.pop_front();
  }
  leading_ = false;
  if (!queue_.empty()) start_group();
  // One wake-up for the whole group and the next leader, outside the lock, so that the woken threads do
  // not block again on mutex_ while this one still holds it.
  lock.unlock();
  turn_.notify_all();
}

GroupCommit::Writer* GroupCommit::next_member(Group& group) {
  if (group.written < group.members.size()) return group.members[group.written++];
  std::unique_lock lock(mutex_);
  std::size_t taken = group.members.size();
  auto max_batch = static_cast<std::size_t>(impl_.options.group_commit_max_batch);
  auto max_events = static_cast<std::size_t>(impl_.options.group_commit_max_events);
  auto room = [&] { return taken < max_batch && (taken == 0 || group.events < max_events); };
  // A group's commit costs about the same whatever its size (under FULL, one flush), so each writer that
  // joins is nearly free throughput. The writers of the last group were just handed their results and
  // are on their way back: wait for as many as were there last time, but not past the deadline (half a
  // commit). A lone appender (company of one) never waits; a crowd that thinned out costs one short
  // wait, after which the smaller company is what is waited for.
  // Nor while other writers (a projection batch, a reaction's checkpoint) wait for the write lock: they
  // would wait with us, and a thread among the company that is one of them cannot come back meanwhile.
  if (room() && taken == queue_.size() && taken < company_ && !impl_.write_mutex.has_waiters()) {
    arrived_.wait_until(lock, group.deadline, [&] { return queue_.size() > taken; });
  }
  // Every writer queued by now that the group has room for, in one go: the arrivals queue meanwhile
  // without meeting the leader on mutex_ once per writer.
  for (; taken < queue_.size() && room(); ++taken) {
    Writer* w = queue_[taken];
    group.members.push_back(w);
    for (const auto& part : *w->parts) group.events += part.events.size();
  }
  if (group.written == group.members.size()) return nullptr;
  return group.members[group.written++];
}

std::size_t GroupCommit::run_group(Writer& first, Group& group) {
  std::int64_t committed = 0;
  std::chrono::steady_clock::time_point writes_done;
  try {
    write_transaction(impl_.writer->transactions, first.deadline, impl_.options.busy_timeout, *first.context, [&] {
      // Writers are taken while earlier ones are written, so those still preparing their append join
      // this transaction. A retried body (busy) takes the same writers again: they stay queued until done.
      group.members.clear();
      group.written = 0;
      group.events = 0;
      committed = 0;
      Timestamp time = now();
      EventTables& tables = impl_.writer->tables;
      EventTables::ChainLink link = tables.last_link();
      while (Writer* w = next_member(group)) {
        w->results.clear();
        w->error = nullptr;
        if (group.written == 1) {
          // The first needs no savepoint: when it fails, the transaction holds nothing else and rolls back.
          for (const auto& part : *w->parts) w->results.push_back(write(tables, part, time, link));
          ++committed;
          continue;
        }
        // Inside write() only a request's own failures are evlite errors (wrong expected version, duplicate
        // id, data json() refused); storage trouble arrives as SQLite::Exception and fails the whole group
        // below. A request of one event fails before its only insert or in it, which SQLite undoes by
        // itself: only a request of several events needs a savepoint to undo the rows before its failure.
        bool one_insert = w->parts->size() == 1 && w->parts->front().events.size() == 1;
        if (!one_insert) tables.savepoint();
        EventTables::ChainLink before = link;
        try {
          for (const auto& part : *w->parts) w->results.push_back(write(tables, part, time, link));
          if (!one_insert) tables.release_savepoint();
          ++committed;
        } catch (const Error&) {
          if (!one_insert) tables.rollback_to_savepoint();
          link = before;
          w->results.clear();
          w->error = std::current_exception();
        }
      }
      writes_done = std::chrono::steady_clock::now();
    });
    group.commit_time = std::chrono::steady_clock::now() - writes_done;
  } catch (...) {
    // The group failed as a whole (I/O, busy timeout, or its first request's error): the writers written
    // get the error, and the first even when the transaction never began. Those taken and not yet written
    // stay queued for the next group.
    std::size_t failed = std::max<std::size_t>(group.written, 1);
    for (std::size_t i = 0; i < failed; ++i) {
      Writer& w = i < group.members.size() ? *group.members[i] : first;
      w.results.clear();
      w.error = group_error(*w.context);
    }
    return failed;
  }
  std::lock_guard lock(mutex_);
  ++stats_.transactions;
  stats_.requests += committed;
  group.committed = committed > 0;
  return group.members.size();
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
