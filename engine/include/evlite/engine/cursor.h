// A forward-only cursor over recorded events, in the order its read asked for.
//
// The cursor fetches Options::read_page_events events at a time, each page in its own short read,
// so memory stays bounded however long the log, and no read transaction stays open between pages
// (a reader never holds back the WAL checkpoint). A read_all cursor without a count limit therefore also
// yields events committed after it was created, as long as they commit before it reaches the end.
//
//   auto cursor = store.read_all({.from = Position{1}});
//   while (cursor.next()) use(cursor.event());
//
// Thread safety: a cursor is used by one thread at a time. It may outlive the EventStore it came from.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "evlite/engine/event.h"

namespace evlite {

class EventCursor {
 public:
  // Writes the next events over `page` (reusing its elements, resizing it to their count); returns false
  // when none are left.
  using PageSource = std::function<bool(std::vector<RecordedEvent>& page)>;

  explicit EventCursor(PageSource source);
  EventCursor(EventCursor&&) noexcept;
  EventCursor& operator=(EventCursor&&) noexcept;
  EventCursor(const EventCursor&) = delete;
  EventCursor& operator=(const EventCursor&) = delete;
  ~EventCursor();

  // Moves to the next event. Returns false at the end. Throws StorageError if the read fails.
  bool next();

  // The current event. REQUIRES: the last next() returned true.
  // The reference is valid until the next call to next() or the cursor's destruction.
  const RecordedEvent& event() const { return page_[index_]; }

  // Reads everything left into a vector. Use only on reads you have bounded.
  std::vector<RecordedEvent> drain();
  // The same into `events`, replacing what it held (on a read error, `events` is left empty). On a cursor
  // not yet stepped, the first page is written over `events`' elements: a reader that drains batches of up
  // to Options::read_page_events events into one vector reuses its buffers instead of allocating each
  // event's strings anew.
  void drain(std::vector<RecordedEvent>& events);

 private:
  PageSource source_;
  std::vector<RecordedEvent> page_;
  std::size_t index_ = 0;
  bool started_ = false;
  bool exhausted_ = false;
};

}  // namespace evlite
