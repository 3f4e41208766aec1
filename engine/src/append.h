// Internal: the two halves of an append, shared by append() and import.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "event_tables.h"

namespace evlite::detail {

struct PreparedAppend {
  std::string stream;
  std::string category;
  ExpectedVersion expected;
  std::vector<PreparedEvent> events;
};

// Checks everything that needs no store (stream id, types, ids, metadata, the encoding of data) and decides
// ids and metadata. Runs before the write lock. The result refers to `events`: REQUIRES they outlive it.
// Throws InvalidArgument, DuplicateEventId.
PreparedAppend prepare(std::string_view stream, ExpectedVersion expected, const std::vector<NewEvent>& events);

// Inside the write transaction: the idempotency rule, the expectation, the inserts and the stream's head.
// `link` is the hash chain's last link: EventTables::last_link() when the transaction began, then as the
// writes before this one in it left it (so it is looked up once per transaction, not per append). It is
// advanced past the new events, and left as it was when this throws.
// Throws WrongExpectedVersion, DuplicateEventId, InvalidArgument (data that SQLite's json() refuses, a text
// over SQLite's length limit).
AppendResult write(EventTables& tables, const PreparedAppend& append, Timestamp now, EventTables::ChainLink& link);

}  // namespace evlite::detail
