// Internal: what a runner's thread drives. Projections (worker.h) and reactions (reaction_worker.h) are
// consumers of the log from a checkpoint; the pool below runs any of them the same way.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "evlite/projections/runner.h"

namespace evlite::projections::detail {

enum class Outcome {
  Progressed,  // did some work; step again
  CaughtUp,    // nothing to do until the next commit
  Faulted,     // stopped at an event; needs restart()
};

// One consumer's work and status. step() runs on one thread at a time (the pool's, or a caller's in
// run_until_caught_up); the rest is safe from any thread.
class Consumer {
 public:
  Consumer(const EventStore& store, std::string name);
  virtual ~Consumer() = default;
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  const std::string& name() const { return name_; }
  // One unit of work. Throws only for storage trouble; a failing handler is a Faulted outcome.
  virtual Outcome step() = 0;

  // Asks for a fault to be retried from the checkpoint. The status shows it at once; the stepping thread
  // clears the fault itself at its next step, so that only that thread ever touches its connection.
  void request_restart();
  // Whether a restart is asked for and not yet taken by a step: what a faulted consumer's thread waits on.
  bool restart_requested() const;
  // Records a failure that escaped step() as a fault.
  void fail(const std::string& error);

  // The status, with its lag behind the head (which this reads from the store).
  ProjectionStatus status() const;
  Position checkpoint() const;
  // Blocks until the checkpoint is at or past `position`, it faults, or `timeout` passes.
  bool wait_for(Position position, std::chrono::milliseconds timeout) const;

 protected:
  // For step(), first: whether a restart was asked for since the last step. Clears the request and the
  // fault as this consumer knows it; a fault kept elsewhere (a projection's row) is the caller's to clear.
  bool take_restart();
  bool faulted() const;
  // Changes the status under its lock, then wakes wait_for().
  template <class Change>
  void change_status(Change&& change) {
    {
      std::lock_guard lock(mutex_);
      change(status_);
    }
    progressed_.notify_all();
  }

  const EventStore& store_;
  const std::string name_;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable progressed_;
  ProjectionStatus status_;         // Guarded by mutex_
  bool restart_requested_ = false;  // Guarded by mutex_
};

// A consumer's batches, each read over the last one's events, so that working through a backlog (a
// rebuild, a catch-up) allocates no strings per event. Released when the consumer catches up, so that an
// idle one holds no events. Used by the stepping thread only.
class BatchReader {
 public:
  // The batch after `from`: at most `batch_size` events matching `filter`. Valid until the next call.
  const std::vector<RecordedEvent>& read(const EventStore& store, Position from, int batch_size,
                                         const Filter& filter);
  void release() { events_ = {}; }

 private:
  std::vector<RecordedEvent> events_;
};

// The checkpoint after reading `events` (at most `batch_size`, filtered) from `from` + 1 in a log whose
// head was `head` when the read began: a full batch ends at its last event; a short one ran to the end of
// the log, so everything up to that head was examined.
Position reached(const std::vector<RecordedEvent>& events, Position from, Position head, int batch_size);

// What the exception being handled says: what() of a std::exception, else a fixed text (handlers may throw
// anything). REQUIRES: called inside a catch block.
std::string current_exception_text();

// Threads over consumers: one each, stepping while there is work, waiting for commits when caught up and
// for restart() when faulted.
class WorkerPool {
 public:
  explicit WorkerPool(const EventStore& store) : store_(store) {}
  ~WorkerPool() { stop(); }

  // add, start, stop and in_caller run one at a time (each consumer steps on one thread at a time, and
  // the list of consumers is fixed while any of them runs). From inside a step of this pool (a handler or
  // callback) they throw InvalidArgument.
  // Throws InvalidArgument for a duplicate name or once started.
  void add(std::unique_ptr<Consumer> consumer);
  void start();
  void stop();
  bool started();
  // Steps every consumer in the calling thread until it reaches the head as of the call (a rebuilding
  // projection is not there until it swapped). Then throws ProjectionFaulted for the first that faulted.
  // Throws InvalidArgument once started.
  void run_until_caught_up();
  // Runs `steps` (named `what`), which step consumers, in the calling thread, unless the pool's threads run: returns
  // whether it ran.
  bool in_caller(std::string_view what, const std::function<void()>& steps);
  void restart(std::string_view name);
  Consumer& find(std::string_view name) const;
  std::vector<ProjectionStatus> status() const;

 private:
  bool stop_requested();
  void run(Consumer& consumer) noexcept;
  void refuse_inside_step(std::string_view what) const;

  const EventStore& store_;
  std::mutex control_;  // held by add, start, stop and in_caller for their whole run
  std::vector<std::unique_ptr<Consumer>> consumers_;  // Guarded by mutex_ (reads) and control_ (changes)
  std::vector<std::thread> threads_;                  // Guarded by control_
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // restart() and stop() wake faulted workers
  bool started_ = false;          // Guarded by mutex_
  bool stopping_ = false;         // Guarded by mutex_
};

}  // namespace evlite::projections::detail
