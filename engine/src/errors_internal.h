// Internal: where third-party exceptions become evlite errors (STYLE.md "Error policy").
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include <SQLiteCpp/Exception.h>
#include <nlohmann/json.hpp>

#include "evlite/engine/errors.h"

namespace evlite::detail {

// A printable, bounded rendering of untrusted text for error messages: quoted, control and non-ASCII
// bytes as \xNN, cut after 64 bytes.
std::string printable(std::string_view text);

// The StorageError for SQLite's `e` met while doing `context` (the file, and what was being done).
inline StorageError storage_error(std::string_view context, const SQLite::Exception& e) {
  return StorageError(e.getExtendedErrorCode(), std::string(context) + ": " + e.what());
}

// Runs `body`, translating SQLite and JSON exceptions into StorageError and InvalidArgument whose messages
// start with `context` (the file, and what was being done). evlite errors pass through unchanged.
template <class Body>
auto translate_errors(std::string_view context, Body&& body) -> decltype(body()) {
  try {
    return std::forward<Body>(body)();
  } catch (const SQLite::Exception& e) {
    throw storage_error(context, e);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument(std::string(context) + ": " + e.what());
  }
}

}  // namespace evlite::detail
