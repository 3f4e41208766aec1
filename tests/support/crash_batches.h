// The batches the crash worker appends, computable by both sides from the batch number alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "evlite/engine/event.h"

namespace evlite::testing {

inline int batch_size(std::int64_t batch) { return 1 + static_cast<int>((batch * 2654435761ULL) % 23); }

inline std::string batch_stream(std::int64_t batch) { return fmt::format("crash-{}", batch % 7); }

inline std::string batch_event_id(std::int64_t batch, int i) {
  return fmt::format("00000000-0000-4000-8000-{:012x}", batch * 64 + i);
}

inline std::string batch_data(std::int64_t batch, int i) {
  return fmt::format(R"({{"batch":{},"i":{},"payload":"{:0>{}}"}})", batch, i, batch, 40 + (batch % 200));
}

inline std::vector<NewEvent> batch_events(std::int64_t batch) {
  std::vector<NewEvent> events;
  for (int i = 0; i < batch_size(batch); ++i) {
    events.push_back({.type = "Crashed", .data = batch_data(batch, i), .id = batch_event_id(batch, i)});
  }
  return events;
}

}  // namespace evlite::testing
