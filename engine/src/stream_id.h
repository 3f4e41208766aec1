// Internal: the rules for stream ids and event types (DESIGN.md §3), in one place.
#pragma once

#include <string_view>

namespace evlite::detail {

inline constexpr std::size_t kMaxStreamIdBytes = 256;
inline constexpr std::size_t kMaxEventTypeBytes = 256;

// Throws InvalidArgument unless `stream` is 1–256 bytes of valid UTF-8 without control characters and
// does not begin with the reserved '$'.
void validate_stream_id(std::string_view stream);

// Throws InvalidArgument unless `type` is 1–256 bytes of valid UTF-8 without control characters.
void validate_event_type(std::string_view type);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF)
// and contains no control character (C0, DEL or C1).
bool is_printable_utf8(std::string_view text);

// True when `text` is well-formed UTF-8 (control characters allowed).
bool is_valid_utf8(std::string_view text);

// The length of the well-formed UTF-8 sequence at text[i] (1–4), with its code point in `code_point`; 0 when
// it is malformed, overlong, a surrogate or past U+10FFFF.
std::size_t decode_utf8(std::string_view text, std::size_t i, char32_t& code_point);

}  // namespace evlite::detail
