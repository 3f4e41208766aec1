// Internal: group commit (DESIGN.md §3, STYLE.md), after LevelDB's DBImpl::Write.
//
// Appending threads join a queue. The thread at its front becomes the leader: it takes the store's write
// lock and runs one IMMEDIATE transaction in which it writes the queued requests one after another, taking
// those that arrive meanwhile too (up to Options::group_commit_max_batch), and waiting briefly for the
// writers of the previous group to come back. Each request after the first gets a savepoint (on cached
// statements), so that one request's WrongExpectedVersion or DuplicateEventId rolls back only that
// request. The leader commits once (one fsync for the whole group), hands each request its result or
// error, and wakes the next leader. A lone appender commits at once: nobody waits for company that was
// not there a moment ago.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "append.h"

namespace evlite::detail {

class GroupCommit {
 public:
  // Commits `parts` as one all-or-nothing request, in a group with whatever other threads submit now.
  // Returns the results in the order of `parts`; throws what the request (or the whole group) failed with.
  std::vector<AppendResult> submit(EventStore::Impl& impl, const std::vector<PreparedAppend>& parts,
                                   const std::string& context);

  struct Stats {
    std::int64_t transactions = 0;  // groups committed
    std::int64_t requests = 0;      // appends committed in them
  };
  Stats stats();
  // Requests being committed or waiting for their turn.
  std::size_t in_flight();

 private:
  struct Writer;
  // The writers one transaction commits, taken from the queue's front as the leader writes them.
  struct Group {
    std::chrono::steady_clock::time_point deadline;  // for waiting on company
    std::vector<Writer*> members{};
    std::size_t events = 0;
    std::chrono::steady_clock::duration commit_time{};  // of its COMMIT alone, once committed
  };
  // The longest a leader waits for company: a bound on what a thinning crowd costs one append.
  static constexpr std::chrono::microseconds kMaxGather{2000};

  // Commits a group led by `self`, then hands out the results and wakes the next leader.
  // REQUIRES: `lock` holds mutex_ and `self` is at the queue's front. Returns with `lock` released.
  void lead(EventStore::Impl& impl, Writer& self, std::unique_lock<std::mutex>& lock, const std::string& context);
  // Writes and commits `group`, led by `self`; each member gets its results or error. Returns whether
  // anything was committed.
  // REQUIRES: the store's write lock held.
  bool run_group(EventStore::Impl& impl, Writer& self, Group& group, const std::string& context);
  // The next queued writer for `group`, after waiting for company as described in the .cpp; nullptr when
  // the group is complete.
  Writer* next_member(EventStore::Impl& impl, Group& group);

  std::mutex mutex_;
  std::deque<Writer*> queue_;  // Guarded by mutex_
  std::condition_variable turn_;  // a group is done: its writers have their results, the queue a new front
  Stats stats_;                // Guarded by mutex_
  std::size_t company_ = 0;    // Guarded by mutex_: writers queued when the last group committed
  std::chrono::steady_clock::duration last_commit_{};  // Guarded by mutex_: how long its COMMIT took
};

}  // namespace evlite::detail
