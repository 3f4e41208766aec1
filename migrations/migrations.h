// The schema migrations compiled into the engine (generated from migrations/NNNN_name.sql).
#pragma once

#include <string_view>
#include <vector>

namespace evlite::detail {

struct Migration {
  int number;             // NNNN: the schema version the file brings the store to
  std::string_view name;  // the file's name after the number
  std::string_view sql;   // the file's text, run in one transaction
};

// All migrations, in order: migrations()[i].number == i + 1.
const std::vector<Migration>& migrations();

}  // namespace evlite::detail
