// A snapshot: an aggregate's state as of one version of its stream, kept to shorten replays.
//
// The engine stores the newest snapshot per stream and never interprets `state`. `type` and
// `schema_version` belong to the aggregate layer: it ignores a snapshot whose shape it does not know.
//
// Thread safety: plain value.
#pragma once

#include <cstdint>
#include <string>

#include "evlite/engine/event.h"

namespace evlite {

struct Snapshot {
  std::string stream_id{};
  StreamVersion version{};       // the state includes events 1..version
  std::string type{};            // the aggregate type, e.g. "order"
  std::int32_t schema_version = 1;
  std::string state{};           // JSON text
  Timestamp taken_at{};          // set by save_snapshot

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

}  // namespace evlite
