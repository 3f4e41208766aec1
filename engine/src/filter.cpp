#include "evlite/engine/filter.h"

#include <algorithm>

namespace evlite {

bool Filter::matches(std::string_view stream_id, std::string_view type) const {
  auto any_of = [](const std::vector<std::string>& list, auto predicate) {
    return list.empty() || std::any_of(list.begin(), list.end(), predicate);
  };
  std::string_view category = category_of(stream_id);
  return any_of(categories, [&](const std::string& c) { return c == category; }) &&
         any_of(types, [&](const std::string& t) { return t == type; }) &&
         any_of(stream_prefixes, [&](const std::string& p) { return stream_id.starts_with(p); });
}

}  // namespace evlite
