// For engine tests that reach past the public API: the store's own writer connection.
#pragma once

#include <functional>
#include <mutex>

#include <SQLiteCpp/Database.h>

#include "evlite/engine/event_store.h"
#include "store_impl.h"

namespace evlite::testing {

// Hands `change` the store's own writer connection, under the store's write lock: TEMP triggers and
// functions, and limits, set there change what its appends meet and nothing else.
inline void on_writer(EventStore& store, const std::function<void(SQLite::Database&)>& change) {
  auto& impl = detail::ImplAccess::of(store);
  std::lock_guard lock(impl.write_mutex);
  change(impl.writer->db);
}

}  // namespace evlite::testing
