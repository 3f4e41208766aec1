// A live feed of the log: catch-up from a position, then every new commit, in position order.
//
// Delivery runs on the subscription's own thread and connection. A commit in this process wakes it at
// once; a commit by another process within Options::poll_interval. There is no gap and no duplicate at the
// switch from catch-up to live, because both are the same loop reading by position.
//
// If the handler throws (or the store fails), the subscription stops; error() then holds the exception
// and failed_at() the position of the event that failed. Other subscriptions carry on.
//
// Thread safety: the observers (running, position, error, wait_for) are safe from any thread; destroy or
// stop() the subscription from the thread that owns it, never from inside its own handler.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>

#include "evlite/engine/event.h"

namespace evlite {

using EventHandler = std::function<void(const RecordedEvent&)>;

class Subscription {
 public:
  struct State;  // shared with the delivery thread; defined in subscription.cpp

  explicit Subscription(std::shared_ptr<State> state);
  Subscription(Subscription&&) noexcept;
  Subscription& operator=(Subscription&&) noexcept;
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;
  // Stops delivery and waits for the handler to return.
  ~Subscription();

  // Stops delivery and waits for the handler to return. Idempotent.
  void stop();

  // False once stopped, by stop() or by an error.
  bool running() const;

  // The position of the last event examined: delivered, or skipped by the filter.
  Position position() const;

  // The error that stopped the subscription, or nullptr.
  std::exception_ptr error() const;
  // The position of the event whose handler threw; Position{0} if none did.
  Position failed_at() const;

  // Waits until position() >= target or the subscription stops, at most `timeout`.
  // Returns true when the target was reached.
  bool wait_for(Position target, std::chrono::milliseconds timeout) const;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace evlite
