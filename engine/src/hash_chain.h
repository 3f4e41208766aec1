// Internal: the hash chain (migration 0004). An event's hash is SHA-256 (OpenSSL's libcrypto) of the previous
// event's hash followed by the event's stored fields, each length-prefixed so that no two events hash alike
// by shifting bytes between fields.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "evlite/engine/event.h"

namespace evlite::detail {

using ChainHash = std::array<unsigned char, 32>;

// The hash before the first event: all zeros.
inline constexpr ChainHash kChainStart{};

// One event's stored fields, by reference (the insert binds the same strings without copying them).
struct EventFields {
  Position position;
  const std::string& stream_id;
  StreamVersion version;
  const std::string& id;
  const std::string& type;
  std::int32_t schema_version;
  const std::string& data;      // the stored (json() minified) text
  const std::string& metadata;  // likewise
  Timestamp recorded_at;
};

inline EventFields fields_of(const RecordedEvent& e) {
  return {e.position, e.stream_id, e.version, e.id, e.type, e.schema_version, e.data, e.metadata, e.recorded_at};
}

ChainHash chain_hash(const ChainHash& previous, const EventFields& event);

}  // namespace evlite::detail
