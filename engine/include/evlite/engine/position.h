// Where an event sits: its global Position in the whole log and its StreamVersion within its stream.
//
// Two distinct types so that a position can never be passed where a version is meant (STYLE.md).
// Positions start at 1 and follow commit order; versions start at 1 per stream, 0 meaning "empty or
// absent stream".
//
// Thread safety: plain values.
#pragma once

#include <compare>
#include <cstdint>
#include <ostream>

namespace evlite {

struct Position {
  std::int64_t value = 0;
  friend auto operator<=>(Position, Position) = default;
};

struct StreamVersion {
  std::int64_t value = 0;
  friend auto operator<=>(StreamVersion, StreamVersion) = default;
};

inline std::ostream& operator<<(std::ostream& out, Position p) { return out << "position " << p.value; }
inline std::ostream& operator<<(std::ostream& out, StreamVersion v) { return out << "version " << v.value; }

}  // namespace evlite
