// The NDJSON form of events: one JSON object per line, the format of `evlite --json`, export and import.
//
//   {"position":1,"stream":"order-1","version":1,"id":"…","type":"OrderPlaced","schema_version":1,
//    "data":{…},"metadata":{…},"recorded_at":"2026-11-23T06:42:08.123456Z"}
//
// data and metadata are embedded as stored, so a line carries an event exactly, and reading it back
// recovers the same bytes.
//
// Thread safety: to_ndjson is a pure function; an NdjsonReader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "evlite/engine/event.h"

namespace evlite {

// The line of `event`, without a trailing newline.
std::string to_ndjson(const RecordedEvent& event);

// "2026-11-23T06:42:08.123456Z" → Timestamp. Throws InvalidArgument for any other shape.
Timestamp from_iso8601(std::string_view text);

// Parses lines exactly: data and metadata come back as the bytes of their JSON text, not re-serialised.
class NdjsonReader {
 public:
  NdjsonReader();
  ~NdjsonReader();
  NdjsonReader(const NdjsonReader&) = delete;
  NdjsonReader& operator=(const NdjsonReader&) = delete;

  // A line of export: every key of to_ndjson, with its type. Throws InvalidArgument naming `line_number`
  // and the key at fault.
  RecordedEvent recorded_event(std::string_view line, std::int64_t line_number);

  // A line of `append --file`: {"type":…, "data":…, "metadata":…, "id":…, "schema_version":…}; only "type" is
  // required. Throws InvalidArgument naming `line_number`.
  NewEvent new_event(std::string_view line, std::int64_t line_number);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace evlite
