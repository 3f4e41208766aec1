// Internal: a mutex that hands itself over in arrival order.
//
// The store's writers (appends, projection batches, reactions) queue on one in-process lock. std::mutex
// lets a thread that is already running take the lock again before a woken waiter gets a core, so with
// more busy writers than cores an append could wait behind one projection batch after another (180 ms
// measured during a rebuild on 2 cores). Here each waiter waits at most for those that came before it.
//
// Thread safety: that is its purpose. Meets Lockable, for std::lock_guard.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace evlite::detail {

class FairMutex {
 public:
  void lock() {
    std::unique_lock lock(mutex_);
    std::uint64_t ticket = next_++;
    turn_.wait(lock, [&] { return serving_ == ticket; });
  }

  // Whether a thread is waiting for the lock (besides its holder): a hint, stale as soon as it returns.
  bool has_waiters() {
    std::lock_guard lock(mutex_);
    return next_ - serving_ > 1;
  }

  void unlock() {
    {
      std::lock_guard lock(mutex_);
      ++serving_;
    }
    turn_.notify_all();  // few waiters: only the one whose turn it is goes on
  }

 private:
  std::mutex mutex_;
  std::condition_variable turn_;
  std::uint64_t next_ = 0;     // Guarded by mutex_
  std::uint64_t serving_ = 0;  // Guarded by mutex_
};

}  // namespace evlite::detail
