// Events as plain values: NewEvent goes into an append, RecordedEvent comes out of a read.
//
// `data` and `metadata` are JSON text. The engine checks them once on append (strict JSON, valid UTF-8)
// and stores them minified by SQLite's json(): whitespace between tokens is removed, while key order,
// numbers and strings stay exactly as given. Reads hand the stored text back without parsing it; decoding
// is the typed layer's job.
//
// Every stored metadata object carries "correlation_id" and "causation_id" (strings). An append takes
// them from NewEvent's fields when set, else from the caller's metadata object, else uses the event's own
// id, as a chain's first event does.
//
// Thread safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "evlite/engine/position.h"

namespace evlite {

// Microseconds since the Unix epoch, UTC.
using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// "2026-11-23T06:42:08.123456Z"
std::string to_iso8601(Timestamp t);

struct NewEvent {
  std::string type{};              // 1–256 bytes of UTF-8, no control characters
  std::string data = "{}";       // any JSON value
  std::string metadata = "{}";   // a JSON object: the caller's own fields
  std::string id{};                // a UUID (any version); empty: the engine generates a UUIDv7
  std::int32_t schema_version = 1;
  std::string correlation_id{};    // empty: from metadata, else the event's own id
  std::string causation_id{};      // empty: from metadata, else the event's own id

  friend bool operator==(const NewEvent&, const NewEvent&) = default;
};

struct RecordedEvent {
  Position position{};
  std::string stream_id{};
  StreamVersion version{};
  std::string id{};
  std::string type{};
  std::int32_t schema_version = 1;
  std::string data{};
  std::string metadata{};
  Timestamp recorded_at{};

  friend bool operator==(const RecordedEvent&, const RecordedEvent&) = default;
};

// The ids stored in an event's metadata. Parses the metadata text, so keep it off hot loops.
// Throws InvalidArgument if the metadata lacks them (it cannot, for events this engine wrote).
std::string correlation_id(const RecordedEvent& event);
std::string causation_id(const RecordedEvent& event);

}  // namespace evlite
