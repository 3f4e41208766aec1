// Internal: group commit (DESIGN.md §3, STYLE.md), after LevelDB's DBImpl::Write.
//
// Appending threads join a queue, and one group of them at a time is led: its leader takes the store's
// write lock and runs one IMMEDIATE transaction in which it writes the queued requests one after another:
// all those queued when it looks, taken in one go, then those that arrived meanwhile (up to
// Options::group_commit_max_batch and group_commit_max_events), waiting briefly for the writers of the
// previous group to come back. A request after the first that could fail after one of its inserts gets a
// savepoint (on cached statements), so that one request's WrongExpectedVersion or DuplicateEventId rolls
// back only that request. The leader commits once (one fsync for the whole group), hands each request its
// result or error, wakes them, and starts the next group if writers are queued.
//
// Who leads. While appends come alone or in pairs, the writer at the queue's front leads in its own thread,
// as in LevelDB: a lone appender commits at once, with no hand-off, and nobody waits for company that was
// not there a moment ago. Once a group had more company than that, the store's committer thread leads until
// the company thins out again (should the thread fail to start, appenders lead from then on). A leader that
// is itself an appender wakes a crowd of writers and the scheduler then runs them first: it comes back
// last, so each group waited for it or went without it (measured with 16 threads on 2 cores: the committer
// thread gives ~10% more appends per second, and costs a lone appender or a pair about as much, hence the
// switch).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "append.h"

namespace evlite::detail {

class GroupCommit {
 public:
  explicit GroupCommit(EventStore::Impl& impl) : impl_(impl) {}
  // Stops the committer thread. REQUIRES: no submit() in progress.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // Commits `parts` as one all-or-nothing request, in a group with whatever other threads submit now.
  // Returns the results in the order of `parts`; throws what the request (or the whole group) failed with.
  // `context` names the request in errors; when the whole group fails on SQLite's error, each request's
  // StorageError names its own, while a busy timeout is reported with the group's first request's.
  std::vector<AppendResult> submit(const std::vector<PreparedAppend>& parts, const std::string& context);

  struct Stats {
    std::int64_t transactions = 0;      // groups committed
    std::int64_t requests = 0;          // appends committed in them
    std::int64_t committer_groups = 0;  // groups the committer thread led, committed or not
  };
  Stats stats();
  // Requests being committed or waiting for their turn.
  std::size_t in_flight();

 private:
  struct Writer;
  // The writers one transaction commits, taken from the queue's front as the leader writes them.
  struct Group {
    std::chrono::steady_clock::time_point deadline;  // for waiting on company
    std::vector<Writer*> members{};  // taken from the queue's front, in its order
    std::size_t written = 0;         // of the members, those next_member() handed out
    std::size_t events = 0;
    bool committed = false;                             // with at least one request in it
    std::chrono::steady_clock::duration commit_time{};  // of its COMMIT alone, once committed
  };
  // The longest a leader waits for company: a bound on what a thinning crowd costs one append.
  static constexpr std::chrono::microseconds kMaxGather{2000};
  // The most company (writers queued when the last group committed) for which an appender leads.
  static constexpr std::size_t kMaxCompanyLedInline = 2;

  // Chooses who leads the group of the writers queued: the one at the front, or the committer thread.
  // REQUIRES: mutex_ held, no group led, queue_ not empty.
  void start_group() noexcept;
  // Leads the group at the queue's front: commits it, hands out the results and starts the next group.
  // REQUIRES: `lock` holds mutex_ and start_group() chose the caller. Returns with `lock` released.
  // noexcept: a group left half handed out would hold up every later append, so that would be fatal.
  void lead(std::unique_lock<std::mutex>& lock) noexcept;
  // Writes and commits `group`, whose first member is `first`; each member written gets its results or
  // error. Returns how many writers at the queue's front are done: `first` among them, even when the
  // transaction never began.
  // REQUIRES: the store's write lock held.
  std::size_t run_group(Writer& first, Group& group);
  // The next writer for `group` to write, taking those queued meanwhile after waiting for company as
  // described in the .cpp; nullptr when the group is complete.
  Writer* next_member(Group& group);
  // The committer thread: leads each group start_group() gives it, until the store closes.
  void committer_loop();

  EventStore::Impl& impl_;

  std::mutex mutex_;
  std::deque<Writer*> queue_;          // Guarded by mutex_
  bool leading_ = false;               // Guarded by mutex_: a group is being led
  bool committer_leads_ = false;       // Guarded by mutex_: the committer thread is to lead the next group
  bool stopping_ = false;              // Guarded by mutex_
  bool committer_refused_ = false;     // Guarded by mutex_: its thread could not be started; appenders lead
  std::condition_variable turn_;       // a group is done, or its front writer is to lead the next one
  std::condition_variable arrived_;    // a writer joined the queue while a group is led
  std::condition_variable committer_;  // committer_leads_ or stopping_ was set
  Stats stats_;                        // Guarded by mutex_
  std::size_t company_ = 0;            // Guarded by mutex_: writers queued (its own too) when the last group ended
  std::chrono::steady_clock::duration last_commit_{};  // Guarded by mutex_: how long its COMMIT took
  std::thread committer_thread_;       // started when first needed; Guarded by mutex_
};

}  // namespace evlite::detail
