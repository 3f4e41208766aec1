// Internal: conversions shared by the shop's read models.
#pragma once

#include <optional>

#include <SQLiteCpp/Column.h>

#include "evlite/engine/event.h"

namespace evlite::shop::detail {

inline std::int64_t micros(Timestamp t) { return t.time_since_epoch().count(); }

inline Timestamp timestamp(const SQLite::Column& column) {
  return Timestamp(std::chrono::microseconds(column.getInt64()));
}

inline std::optional<Timestamp> optional_timestamp(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return timestamp(column);
}

}  // namespace evlite::shop::detail
