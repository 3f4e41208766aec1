// Internal: event ids.
#pragma once

#include <string>
#include <string_view>

namespace evlite::detail {

// A new time-ordered UUIDv7 (RFC 9562), lower-case canonical text. Ids made by one thread increase
// strictly (a 12-bit counter orders ids within one millisecond), which keeps inserts into the event-id
// index local.
std::string new_uuid_v7();

// The canonical lower-case form of a caller's UUID (any version), or InvalidArgument naming the text.
std::string canonical_uuid(std::string_view text);

}  // namespace evlite::detail
