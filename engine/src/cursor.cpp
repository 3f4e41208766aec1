#include "evlite/engine/cursor.h"

namespace evlite {

EventCursor::EventCursor(PageSource source) : source_(std::move(source)) {}
EventCursor::EventCursor(EventCursor&&) noexcept = default;
EventCursor& EventCursor::operator=(EventCursor&&) noexcept = default;
EventCursor::~EventCursor() = default;

bool EventCursor::next() {
  if (started_ && index_ + 1 < page_.size()) {
    ++index_;
    return true;
  }
  started_ = true;
  index_ = 0;
  if (exhausted_ || !source_(page_) || page_.empty()) {
    exhausted_ = true;
    page_.clear();
    return false;
  }
  return true;
}

std::vector<RecordedEvent> EventCursor::drain() {
  std::vector<RecordedEvent> events;
  drain(events);
  return events;
}

void EventCursor::drain(std::vector<RecordedEvent>& events) {
  // Before the first step the page is empty: the caller's elements become the page the source writes over.
  if (!started_) page_.swap(events);
  events.clear();
  while (next()) {
    if (index_ == 0 && events.empty()) {
      // A whole page with nothing before it goes over as it is, its array too; the cursor goes on (if
      // there is more) with the empty vector.
      events.swap(page_);
      continue;
    }
    if (index_ == 0) events.reserve(events.size() + page_.size());
    // Moved, not copied: the page is written over before this element is read again.
    events.push_back(std::move(page_[index_]));
  }
}

}  // namespace evlite
