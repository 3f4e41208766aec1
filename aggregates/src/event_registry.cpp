#include "evlite/aggregates/event_registry.h"

#include <limits>

#include <fmt/format.h>

#include "evlite/engine/errors.h"

namespace evlite::aggregates {

std::int64_t strict_int64(const nlohmann::json& j, const char* key) {
  const nlohmann::json& value = j.at(key);
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() && value.get<std::uint64_t>() > std::numeric_limits<std::int64_t>::max())) {
    throw nlohmann::json::type_error::create(302, fmt::format("{} must be a 64-bit integer, got {}", key, value.dump()),
                                             &value);
  }
  return value.get<std::int64_t>();
}

}  // namespace evlite::aggregates

namespace evlite::aggregates::detail {

void fail(const RecordedEvent& event, std::string_view problem) {
  throw InvalidArgument(fmt::format("stream {} version {} (position {}), event type {} schema {}: {}", event.stream_id,
                                    event.version.value, event.position.value, event.type, event.schema_version,
                                    problem));
}

void UpcasterChain::add(std::string_view type, std::int32_t from, Upcaster upcaster) {
  if (from < 1) throw InvalidArgument(fmt::format("upcaster for {}: schema versions start at 1, got {}", type, from));
  if (!upcasters_.emplace(std::pair{std::string(type), from}, std::move(upcaster)).second) {
    throw InvalidArgument(fmt::format("upcaster for {} from schema version {} is registered twice", type, from));
  }
}

nlohmann::json UpcasterChain::current_payload(const RecordedEvent& event, std::int32_t current) const {
  if (event.schema_version > current) {
    fail(event, fmt::format("schema version is newer than this code reads ({})", current));
  }
  nlohmann::json payload = nlohmann::json::parse(event.data, nullptr, /*allow_exceptions=*/false);
  if (payload.is_discarded()) fail(event, "data is not valid JSON");
  for (std::int32_t v = event.schema_version; v < current; ++v) {
    auto upcaster = upcasters_.find(std::pair{event.type, v});
    if (upcaster == upcasters_.end()) fail(event, fmt::format("no upcaster from schema version {} to {}", v, v + 1));
    try {
      upcaster->second(payload);
    } catch (const nlohmann::json::exception& e) {
      fail(event, fmt::format("upcasting from schema version {}: {}", v, e.what()));
    }
  }
  return payload;
}

}  // namespace evlite::aggregates::detail
