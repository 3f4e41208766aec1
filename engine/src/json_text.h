// Internal: checking event JSON once on append, without building a document on the common path.
#pragma once

#include <string>
#include <string_view>

#include "evlite/engine/event.h"

namespace evlite::detail {

// Whether `text` is strict JSON (RFC 8259, valid UTF-8); check_data throws InvalidArgument when not. For
// the hot path see check_data_encoding.
bool is_strict_json(std::string_view text);
void check_data(std::string_view text);

// Throws InvalidArgument unless `text` is valid UTF-8 without raw control characters (but tab, LF and CR);
// returns is_minified_json(text), found in the same pass. The syntax of event data is checked by the insert
// itself: SQLite's json() parses it strictly (RFC 8259) while minifying it for storage, so checking it here
// too would parse every event twice. json() does not look at the encoding; this does.
bool check_data_encoding(std::string_view text);

// The metadata object to store for `event`, whose id is `event_id`: the caller's metadata with
// "correlation_id" and "causation_id" added in front where missing (DESIGN.md §3; event.h says how they
// are chosen). Throws InvalidArgument when the metadata is not a JSON object or its ids are not strings.
// Metadata that does not mention the keys is not parsed here: its syntax is left to the insert's json().
struct StoredMetadata {
  std::string text;
  bool surely_json = false;  // is_surely_json(text) is known: simdjson parsed this very text here
};
StoredMetadata stored_metadata(const NewEvent& event, std::string_view event_id);

// The string value of `key` at the top level of stored `metadata`. Reads no value but that one, so that the
// others need not be in any parser's range (SQLite stores numbers beyond a double's and lone surrogate
// escapes). Throws InvalidArgument when the metadata is not an object or the value is missing or not a string.
std::string metadata_string(std::string_view metadata, std::string_view key);

// True when `text` has no whitespace between its tokens: then SQLite's json() would store it unchanged
// (it keeps tokens as written). False too for bytes JSON text cannot hold (invalid UTF-8, raw control
// characters), which then go through json(). Checks nothing else; json() checks the syntax.
bool is_minified_json(std::string_view text);

// True when `text` is JSON that SQLite's json() certainly accepts, as simdjson found: then the insert can
// store it without json() parsing it once more inside the write lock (~1.2 µs of the ~8 µs an event's
// insert takes there, against ~0.13 µs here for the bench's 262-byte data, outside it). False for what
// simdjson refuses but json() may not (integers beyond 64 bits, numbers beyond a double's range, lone
// surrogate escapes, nesting over kMaxFastDepth) and for texts over kMaxFastText: json() in the insert
// decides those, as it decides every text, so what is stored and what is refused does not change.
inline constexpr std::size_t kMaxFastText = 16 * 1024;  // bounds each thread's parser buffers to ~250 KB
inline constexpr std::size_t kMaxFastDepth = 1000;      // SQLite's own limit since 3.42 (2,000 before)
bool is_surely_json(std::string_view text);

// Appends `text` as a JSON string literal (quoted and escaped) to `out`.
void append_json_string(std::string& out, std::string_view text);

}  // namespace evlite::detail
