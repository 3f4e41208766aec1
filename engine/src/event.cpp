#include "evlite/engine/event.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "errors_internal.h"
#include "json_text.h"

namespace evlite {

std::string to_iso8601(Timestamp t) {
  auto seconds = std::chrono::floor<std::chrono::seconds>(t);
  auto micros = (t - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06}Z", seconds, micros);
}

namespace {

std::string metadata_id(const RecordedEvent& event, const char* key) {
  try {
    return detail::metadata_string(event.metadata, key);
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(fmt::format("metadata of event {}: {}", event.id, e.what()));
  }
}

}  // namespace

std::string correlation_id(const RecordedEvent& event) { return metadata_id(event, "correlation_id"); }
std::string causation_id(const RecordedEvent& event) { return metadata_id(event, "causation_id"); }

}  // namespace evlite
