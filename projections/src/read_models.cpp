#include "evlite/projections/read_models.h"

#include "bookkeeping.h"
#include "evlite/engine/sqlite_access.h"

namespace evlite::projections {

ReadModels::ReadModels(const EventStore& store) : db_(open_connection(store)) {
  db_->exec("PRAGMA query_only = ON");  // queries never write, whatever their SQL says
}

ReadModels::~ReadModels() = default;

bool ReadModels::has(std::string_view table) { return detail::Bookkeeping(*db_).has_view(table); }

}  // namespace evlite::projections
