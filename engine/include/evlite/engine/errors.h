// The errors every evlite library throws: one hierarchy under evlite::Error (DESIGN.md §7).
//
// Each error keeps the facts it is about as fields and builds its message once, naming the stream,
// version, position or file concerned. Third-party exceptions (SQLite, JSON) never cross the public API:
// they arrive here translated.
//
// Thread safety: errors are immutable values, safe to share.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "evlite/engine/expected_version.h"

namespace evlite {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An append's expectation did not hold. Nothing was written.
class WrongExpectedVersion : public Error {
 public:
  WrongExpectedVersion(std::string stream, ExpectedVersion expected, StreamVersion actual);
  const std::string& stream() const { return stream_; }
  ExpectedVersion expected() const { return expected_; }
  StreamVersion actual() const { return actual_; }

 private:
  std::string stream_;
  ExpectedVersion expected_;
  StreamVersion actual_;
};

// An event id was already stored and the append is not an exact retry of that write (DESIGN.md §3),
// or one append names the same id twice. Nothing was written.
class DuplicateEventId : public Error {
 public:
  DuplicateEventId(std::string event_id, std::string stream, std::string detail);
  const std::string& event_id() const { return event_id_; }
  const std::string& stream() const { return stream_; }
  const std::string& detail() const { return detail_; }  // why the id cannot be appended

 private:
  std::string event_id_;
  std::string stream_;
  std::string detail_;
};

// Bad input from the caller: stream id, event type, JSON, UUID, argument range. Nothing was written.
class InvalidArgument : public Error {
 public:
  using Error::Error;
};

// The file is not an evlite store, is not SQLite at all, or has a schema newer than this code.
// The file was left unchanged.
class SchemaError : public Error {
 public:
  SchemaError(std::string path, std::string detail);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// SQLite or the file system failed (disk full, I/O error, locked beyond the busy timeout …).
// code() is SQLite's extended result code. The failed write was rolled back.
class StorageError : public Error {
 public:
  StorageError(int code, std::string detail);
  int code() const { return code_; }

 private:
  int code_;
};

// A projection or subscription handler threw; position() is the event it failed on.
class ProjectionFaulted : public Error {
 public:
  ProjectionFaulted(std::string name, Position position, std::string detail);
  const std::string& name() const { return name_; }
  Position position() const { return position_; }

 private:
  std::string name_;
  Position position_;
};

}  // namespace evlite
