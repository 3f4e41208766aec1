// EventRegistry: the one place that maps typed events to stored events and back (our Mapper).
//
// Built from a std::variant of event structs. Each struct has
//   static constexpr std::string_view kType;        // the stored type string, written only here
//   static constexpr std::int32_t kSchemaVersion;   // the shape this code reads and writes
// and nlohmann/json to_json/from_json found by ADL. Stored events of an older schema version are turned
// into the current shape on read by upcasters registered per (type, from_version) and chained
// (v1→v2→v3); stored events are never rewritten.
//
//   EventRegistry<OrderEvent> registry;
//   registry.upcast("OrderPlaced", 1, [](nlohmann::json& data) { /* v1 → v2 in place */ });
//   OrderEvent e = registry.decode(recorded);   // throws InvalidArgument naming stream, version, type
//
// Thread safety: register upcasters before sharing the registry; after that, decode and encode are safe
// from any number of threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "evlite/engine/errors.h"
#include "evlite/engine/event.h"

namespace evlite::aggregates {

// Rewrites the payload of one type from schema version `from` to `from + 1`, in place.
using Upcaster = std::function<void(nlohmann::json& data)>;

// For the from_json of event structs: the integer at `key`. A float, a string, or a number beyond 64 bits
// is refused, where get<std::int64_t>() would truncate or wrap it (money, quantities). Throws nlohmann's
// type_error, which decode() reports with the event's stream, version and type.
std::int64_t strict_int64(const nlohmann::json& j, const char* key);

namespace detail {

// The non-template half of EventRegistry: upcaster chains and error messages.
class UpcasterChain {
 public:
  // Throws InvalidArgument if (type, from) already has one or `from` < 1.
  void add(std::string_view type, std::int32_t from, Upcaster upcaster);
  // Parses the event's data and upcasts it from its stored schema version to `current`.
  // Throws InvalidArgument (via fail) for bad JSON, a missing link in the chain, or a newer version.
  nlohmann::json current_payload(const RecordedEvent& event, std::int32_t current) const;

 private:
  std::map<std::pair<std::string, std::int32_t>, Upcaster, std::less<>> upcasters_;
};

// Throws InvalidArgument: "stream S version V (position P), event type T schema N: <problem>".
[[noreturn]] void fail(const RecordedEvent& event, std::string_view problem);

}  // namespace detail

template <class Variant>
class EventRegistry;

template <class... Events>
class EventRegistry<std::variant<Events...>> {
 public:
  using Event = std::variant<Events...>;

  EventRegistry() { (add<Events>(), ...); }

  // Registers the upcaster from `from_version` to `from_version + 1` of `type`. Returns *this to chain.
  EventRegistry& upcast(std::string_view type, std::int32_t from_version, Upcaster upcaster) {
    upcasters_.add(type, from_version, std::move(upcaster));
    return *this;
  }

  // The typed event for a stored one, upcast to the current shape.
  // Throws InvalidArgument naming the stream, version and type for an unknown type, a payload that does
  // not fit, or a schema version this code cannot read.
  Event decode(const RecordedEvent& event) const {
    auto entry = entries_.find(event.type);
    if (entry == entries_.end()) detail::fail(event, "unknown event type");
    nlohmann::json payload = upcasters_.current_payload(event, entry->second.schema_version);
    try {
      return entry->second.decode(payload);
    } catch (const nlohmann::json::exception& e) {
      detail::fail(event, e.what());
    }
  }

  // The event to append for a typed one: its type string, current schema version and JSON data.
  // Throws InvalidArgument naming the type when its fields cannot be JSON (a string that is not UTF-8).
  NewEvent encode(const Event& event) const {
    return std::visit(
        [](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          try {
            return NewEvent{.type = std::string(E::kType), .data = nlohmann::json(e).dump(),
                            .schema_version = E::kSchemaVersion};
          } catch (const nlohmann::json::exception& error) {
            throw InvalidArgument(std::string(E::kType) + ": " + error.what());
          }
        },
        event);
  }

  // The stored type string of a typed event.
  static std::string_view type_of(const Event& event) {
    return std::visit([](const auto& e) { return std::decay_t<decltype(e)>::kType; }, event);
  }

 private:
  struct Entry {
    std::int32_t schema_version;
    Event (*decode)(const nlohmann::json&);
  };

  template <class E>
  void add() {
    auto [_, inserted] =
        entries_.emplace(std::string(E::kType), Entry{E::kSchemaVersion, [](const nlohmann::json& j) -> Event {
                                                        return j.get<E>();
                                                      }});
    if (!inserted) throw std::logic_error("EventRegistry: two event structs share the type " + std::string(E::kType));
  }

  std::map<std::string, Entry, std::less<>> entries_;
  detail::UpcasterChain upcasters_;
};

}  // namespace evlite::aggregates
