// ReadModels: read-only access to the read models in the store's file, for their query APIs.
//
// Queries read a read model through the views named after its tables, so they always see one whole
// generation: during a rebuild the previous one, after the swap the new one, never a half-built table.
//
// Thread safety: one ReadModels per thread (it holds one SQLite connection).
#pragma once

#include <memory>
#include <string_view>

#include <SQLiteCpp/Database.h>

#include "evlite/engine/event_store.h"

namespace evlite::projections {

class ReadModels {
 public:
  // Opens a connection to the store's file. Throws StorageError.
  explicit ReadModels(const EventStore& store);
  ~ReadModels();

  // True once the read model with this table has been built (its view exists).
  bool has(std::string_view table);

  // The connection, for query APIs. Statements run outside any explicit transaction see the latest commit.
  SQLite::Database& db() { return *db_; }

 private:
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace evlite::projections
