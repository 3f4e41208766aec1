// Internal: group commit (DESIGN.md §3, STYLE.md), after LevelDB's DBImpl::Write.
//
// Appending threads join a queue. The thread at its front becomes the leader: it takes the queued requests
// (up to Options::group_commit_max_batch), runs them in one IMMEDIATE transaction with a savepoint per
// request (on cached statements), so that one request's WrongExpectedVersion or DuplicateEventId rolls back only that request,
// commits once (one fsync for the whole group), hands each request its result or error, and wakes the next
// leader. A lone appender leads a group of one at once: nobody waits for company.
#pragma once

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
  void run_group(EventStore::Impl& impl, const std::vector<Writer*>& group, const std::string& context);

  std::mutex mutex_;
  std::deque<Writer*> queue_;  // Guarded by mutex_
  Stats stats_;                // Guarded by mutex_
  std::size_t last_group_ = 0;  // Guarded by mutex_: the size of the previous group
};

}  // namespace evlite::detail
