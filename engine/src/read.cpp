// Reading: cursors that page through the log on borrowed reader connections, and the small look-ups.
#include <algorithm>

#include <fmt/format.h>

#include "errors_internal.h"
#include "store_impl.h"
#include "stream_id.h"

namespace evlite {
namespace {

void check_max_count(std::int64_t max_count) {
  if (max_count < 0) throw InvalidArgument(fmt::format("max_count must be >= 0, got {}", max_count));
}

}  // namespace

EventCursor EventStore::read_stream(std::string_view stream, const StreamRead& read) const {
  detail::validate_stream_id(stream);
  check_max_count(read.max_count);
  bool forward = read.direction == Direction::Forward;
  // Paging state, owned by the cursor's page source.
  StreamVersion next = read.from.value_or(StreamVersion{forward ? 1 : std::numeric_limits<std::int64_t>::max()});
  std::int64_t remaining = read.max_count;
  auto impl = impl_;
  return EventCursor([impl, stream = std::string(stream), direction = read.direction, next, remaining,
                      forward](std::vector<RecordedEvent>& page) mutable {
    if (remaining == 0 || next.value < 1) return false;
    std::int64_t limit = std::min<std::int64_t>(remaining, impl->options.read_page_events);
    bool more = detail::with_reader(*impl, "read stream", [&](detail::EventTables& tables) {
      return tables.read_stream_page(stream, next, direction, limit, page);
    });
    remaining -= static_cast<std::int64_t>(page.size());
    if (!page.empty()) next.value = page.back().version.value + (forward ? 1 : -1);
    if (!more) remaining = 0;
    return !page.empty();
  });
}

EventCursor EventStore::read_all(const AllRead& read) const {
  check_max_count(read.max_count);
  auto impl = impl_;
  return EventCursor([impl, filter = read.filter, next = read.from, remaining = read.max_count](
                         std::vector<RecordedEvent>& page) mutable {
    // A page may match nothing under a selective filter; keep scanning until something matches or the
    // log ends.
    while (remaining > 0) {
      std::int64_t limit = std::min<std::int64_t>(remaining, impl->options.read_page_events);
      detail::PageScan scan = detail::with_reader(*impl, "read all", [&](detail::EventTables& tables) {
        return tables.read_all_page(next, filter.empty() ? limit : impl->options.read_page_events, limit, filter, page);
      });
      if (scan.last_scanned.value != 0) next = Position{scan.last_scanned.value + 1};
      remaining -= static_cast<std::int64_t>(page.size());
      if (!scan.more) remaining = 0;
      if (!page.empty()) return true;
    }
    return false;
  });
}

StreamVersion EventStore::stream_version(std::string_view stream) const {
  detail::validate_stream_id(stream);
  return detail::with_reader(*impl_, "stream version", [&](detail::EventTables& tables) { return tables.stream_version(stream); });
}

Position EventStore::head_position() const {
  return detail::with_reader(*impl_, "head position", [](detail::EventTables& tables) { return tables.head_position(); });
}

std::vector<StreamInfo> EventStore::list_streams(const StreamList& list) const {
  check_max_count(list.max_count);
  return detail::with_reader(*impl_, "list streams", [&](detail::EventTables& tables) { return tables.list_streams(list); });
}

EventStore::Stats EventStore::stats() const {
  return detail::with_reader(*impl_, "stats", [](detail::EventTables& tables) { return tables.stats(); });
}

}  // namespace evlite
