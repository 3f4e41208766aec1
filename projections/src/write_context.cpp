#include <fmt/format.h>

#include "evlite/engine/errors.h"
#include "evlite/projections/projection.h"

namespace evlite::projections {

WriteContext::WriteContext(SQLite::Database& db, std::map<std::string, std::string, std::less<>> tables)
    : db_(db), tables_(std::move(tables)) {}

std::string WriteContext::resolve(std::string_view sql) const {
  std::string out;
  out.reserve(sql.size() + 16);
  for (std::size_t i = 0; i < sql.size();) {
    std::size_t open = sql.find('{', i);
    if (open == std::string_view::npos) {
      out += sql.substr(i);
      break;
    }
    std::size_t close = sql.find('}', open);
    if (close == std::string_view::npos) throw InvalidArgument(fmt::format("unclosed '{{' in projection SQL: {}", sql));
    auto table = tables_.find(sql.substr(open + 1, close - open - 1));
    if (table == tables_.end()) {
      throw InvalidArgument(fmt::format("projection SQL names an undeclared table {}: {}", sql.substr(open, close - open + 1), sql));
    }
    out += sql.substr(i, open - i);
    out += table->second;
    i = close + 1;
  }
  return out;
}

SQLite::Statement& WriteContext::statement(const char* sql) {
  auto& slot = statements_[sql];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(db_, resolve(sql));
  } else {
    slot->reset();
    slot->clearBindings();
  }
  return *slot;
}

void WriteContext::exec(std::string_view sql) { db_.exec(resolve(sql)); }

}  // namespace evlite::projections
