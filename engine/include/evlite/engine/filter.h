// Which events a read_all or a subscription delivers.
//
// An event matches when each non-empty list matches it: its stream's category is one of `categories`,
// its type is one of `types`, and its stream id starts with one of `stream_prefixes`. An empty filter
// matches everything.
//
// Thread safety: plain value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace evlite {

struct Filter {
  std::vector<std::string> categories{};
  std::vector<std::string> types{};
  std::vector<std::string> stream_prefixes{};

  bool matches(std::string_view stream_id, std::string_view type) const;
  bool empty() const { return categories.empty() && types.empty() && stream_prefixes.empty(); }
};

// The category of a stream: the part of its id before the first '-' ("order-42" → "order"),
// or the whole id when it has none.
std::string_view category_of(std::string_view stream_id);

}  // namespace evlite
