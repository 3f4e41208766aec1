// Internal: what a runner's thread drives. Projections (worker.h) and reactions (reaction_worker.h) are
// consumers of the log from a checkpoint; the pool below runs any of them the same way.
#pragma once

#include <chrono>
#include <condition_variable>
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

class Consumer {
 public:
  virtual ~Consumer() = default;
  virtual const std::string& name() const = 0;
  // One unit of work. Throws only for storage trouble; a failing handler is a Faulted outcome.
  virtual Outcome step() = 0;
  // Clears a recorded fault so that the next step retries from the checkpoint.
  virtual void clear_fault() = 0;
  // Records a failure that escaped step() as a fault.
  virtual void fail(const std::string& error) = 0;
  virtual ProjectionStatus status() const = 0;
  // Blocks until the checkpoint is at or past `position`, it faults, or `timeout` passes.
  virtual bool wait_for(Position position, std::chrono::milliseconds timeout) const = 0;
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

// Threads over consumers: one each, stepping while there is work, waiting for commits when caught up and
// for restart() when faulted.
class WorkerPool {
 public:
  explicit WorkerPool(const EventStore& store) : store_(store) {}
  ~WorkerPool() { stop(); }

  // Throws InvalidArgument for a duplicate name or once started.
  void add(std::unique_ptr<Consumer> consumer);
  void start();
  void stop();
  bool started();
  // Steps every consumer in the calling thread until it reaches the head as of the call (a rebuilding
  // projection is not there until it swapped). Then throws ProjectionFaulted for the first that faulted.
  // Throws InvalidArgument once started.
  void run_until_caught_up();
  void restart(std::string_view name);
  Consumer& find(std::string_view name) const;
  std::vector<ProjectionStatus> status() const;

 private:
  bool stop_requested();
  void run(Consumer& consumer) noexcept;

  const EventStore& store_;
  std::vector<std::unique_ptr<Consumer>> consumers_;  // fixed once started
  std::mutex mutex_;
  std::condition_variable wake_;  // restart() and stop() wake faulted workers
  bool started_ = false;          // Guarded by mutex_
  bool stopping_ = false;         // Guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace evlite::projections::detail
