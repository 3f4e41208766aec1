// Snapshots: stored for the aggregate layer, never interpreted here.
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "errors_internal.h"
#include "store_impl.h"
#include "stream_id.h"

namespace evlite {

void EventStore::save_snapshot(const Snapshot& snapshot) {
  std::string context = fmt::format("{}: save snapshot of stream {}", impl_->path_text, detail::printable(snapshot.stream_id));
  detail::translate_errors(context, [&] {
    detail::validate_stream_id(snapshot.stream_id);
    if (!nlohmann::json::accept(snapshot.state)) throw InvalidArgument(context + ": state is not valid JSON");
    detail::write_locked(*impl_, context, [&](detail::EventTables& tables) {
      StreamVersion current = tables.stream_version(snapshot.stream_id);
      if (snapshot.version.value < 1 || snapshot.version > current) {
        throw InvalidArgument(fmt::format("{}: version {} is not between 1 and the stream's version {}", context,
                                          snapshot.version.value, current.value));
      }
      tables.upsert_snapshot(snapshot, detail::now());
    });
  });
}

std::optional<Snapshot> EventStore::load_snapshot(std::string_view stream) const {
  detail::validate_stream_id(stream);
  return detail::with_reader(*impl_, "load snapshot", [&](detail::EventTables& tables) {
    return tables.select_snapshot(std::string(stream));
  });
}

}  // namespace evlite
