// What an aggregate is to the repository (DESIGN.md §4), and the error its commands throw.
//
// An aggregate is a value type: `apply(const Event&)` is the only way its state changes, so replay and
// live commands share code; command methods are const, check invariants and return the events to append.
//
//   struct Counter {
//     using Event = std::variant<Incremented>;
//     static constexpr std::string_view kCategory = "counter";   // streams are "counter-<id>"
//     static constexpr std::int32_t kSnapshotSchemaVersion = 1;  // bump when the state's JSON changes
//     static const EventRegistry<Event>& registry();
//     void apply(const Event& e);
//   };                                 // plus to_json/from_json of the state, for snapshots
//
// Optionally `void identify(std::string_view id)`: the repository calls it with the id of the stream it
// loads, before replay, so that commands can refuse to act for another id (placing order 7 in stream
// order-1 would file it under the wrong key in every read model).
//
// Optionally `static constexpr std::string_view kSnapshotType`: the type its snapshots are stored under,
// kCategory if absent. Two aggregate types that read the same streams (an order and a lighter order view)
// need distinct ones, or each would read the other's snapshots. They still share the stream's one
// snapshot: the newer replaces the other type's, which then replays in full until it saves one again.
//
// Thread safety: aggregates are plain values.
#pragma once

#include <concepts>
#include <cstdint>
#include <string_view>

#include <nlohmann/json.hpp>

#include "evlite/aggregates/event_registry.h"
#include "evlite/engine/errors.h"

namespace evlite::aggregates {

template <class A>
concept Aggregate = std::default_initializable<A> && std::copyable<A> &&
                    requires(A a, const typename A::Event& event, nlohmann::json j) {
                      { A::kCategory } -> std::convertible_to<std::string_view>;
                      { A::kSnapshotSchemaVersion } -> std::convertible_to<std::int32_t>;
                      { A::registry() } -> std::same_as<const EventRegistry<typename A::Event>&>;
                      a.apply(event);
                      j = a;
                      j.get<A>();
                    };

// The type this aggregate's snapshots are stored and recognised under.
template <Aggregate A>
constexpr std::string_view snapshot_type() {
  if constexpr (requires { A::kSnapshotType; }) {
    return A::kSnapshotType;
  } else {
    return A::kCategory;
  }
}

// A command broke a rule of the aggregate (paying twice, shipping an unpaid order …). No event was
// appended.
class CommandRejected : public Error {
 public:
  using Error::Error;
};

}  // namespace evlite::aggregates
