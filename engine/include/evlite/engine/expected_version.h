// What an append expects of its stream's current version (DESIGN.md §3).
//
//   ExpectedVersion::any()            no check
//   ExpectedVersion::no_stream()      the stream is empty or absent (version 0)
//   ExpectedVersion::stream_exists()  the stream has at least one event
//   ExpectedVersion::exact(n)         the stream is at version n (exact(0) == no_stream())
//
// Thread safety: plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "evlite/engine/position.h"

namespace evlite {

class ExpectedVersion {
 public:
  enum class Kind { Any, NoStream, StreamExists, Exact };

  static constexpr ExpectedVersion any() { return {Kind::Any, 0}; }
  static constexpr ExpectedVersion no_stream() { return {Kind::NoStream, 0}; }
  static constexpr ExpectedVersion stream_exists() { return {Kind::StreamExists, 0}; }
  // Throws InvalidArgument if n is negative.
  static ExpectedVersion exact(std::int64_t n);
  // Parses the CLI spelling: "any", "no-stream", "exists" or a non-negative decimal version.
  // Throws InvalidArgument naming the text otherwise (including numbers beyond int64).
  static ExpectedVersion parse(std::string_view text);

  Kind kind() const { return kind_; }
  // The version of an Exact expectation; 0 for the others.
  std::int64_t value() const { return value_; }

  // True when a stream currently at `actual` satisfies this expectation.
  bool accepts(StreamVersion actual) const;

  // "any", "no-stream", "exists" or the number: the CLI's spelling, used in error messages.
  std::string to_string() const;

  friend bool operator==(ExpectedVersion, ExpectedVersion) = default;

 private:
  constexpr ExpectedVersion(Kind kind, std::int64_t value) : kind_(kind), value_(value) {}
  Kind kind_;
  std::int64_t value_;
};

inline std::ostream& operator<<(std::ostream& out, ExpectedVersion e) { return out << e.to_string(); }

}  // namespace evlite
