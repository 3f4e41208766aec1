// Internal: checking event JSON once on append, without building a document on the common path.
#pragma once

#include <string>
#include <string_view>

#include "evlite/engine/event.h"

namespace evlite::detail {

// Throws InvalidArgument unless `text` is strict JSON (RFC 8259, valid UTF-8). The insert stores it through
// SQLite's json(), which removes the whitespace between tokens and keeps everything else exactly.
void check_data(std::string_view text);

// The metadata object to store for `event`, whose id is `event_id`: the caller's metadata with
// "correlation_id" and "causation_id" added in front where missing (DESIGN.md §3; event.h says how they
// are chosen). Throws InvalidArgument when the metadata is not a JSON object, the ids are not strings, or
// an id is given both as a field and in the metadata.
std::string stored_metadata(const NewEvent& event, std::string_view event_id);

// Appends `text` as a JSON string literal (quoted and escaped) to `out`.
void append_json_string(std::string& out, std::string_view text);

}  // namespace evlite::detail
