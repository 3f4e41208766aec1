// Internal: the projections table, and the generations of a projection's tables behind their views.
// All SQL against the projections table and the views lives here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Database.h>

#include "evlite/engine/position.h"

namespace evlite::projections::detail {

struct ProjectionRow {
  std::int32_t version = 0;
  std::int64_t generation = 0;
  std::optional<std::int32_t> rebuild_version{};
  std::optional<std::int64_t> rebuild_generation{};
  std::string error{};
  Position error_position{};
};

// The checkpoint names of a projection: its read model's, and its rebuild's.
std::string checkpoint_name(std::string_view projection);
std::string rebuild_checkpoint_name(std::string_view projection);

// "<table>_g<generation>": a generation's physical table.
std::string physical_table(std::string_view table, std::int64_t generation);

// Throws InvalidArgument unless `table` is a lower-case SQL identifier that is not one of the engine's.
void validate_table_name(std::string_view table);

class Bookkeeping {
 public:
  explicit Bookkeeping(SQLite::Database& db) : db_(db) {}

  std::optional<ProjectionRow> load(std::string_view name);
  void insert(std::string_view name, std::int32_t version, std::int64_t generation);
  void begin_rebuild(std::string_view name, std::int32_t version, std::int64_t generation);
  // Serves the rebuilt generation: version and generation take the rebuild's; the rebuild is cleared.
  void finish_rebuild(std::string_view name);
  void abandon_rebuild(std::string_view name);
  void set_fault(std::string_view name, std::string_view error, Position at);
  void clear_fault(std::string_view name);
  void remove(std::string_view name);

  // Points the view of each table at `generation`.
  void point_views(const std::vector<std::string>& tables, std::int64_t generation);
  void drop_views(const std::vector<std::string>& tables);
  // The physical tables of every generation of `tables` except `keep`: leftovers of a swap or a crash.
  std::vector<std::string> stale_generations(const std::vector<std::string>& tables,
                                             const std::vector<std::int64_t>& keep);
  // Drops every generation of the tables except `keep`, at once.
  void drop_generations(const std::vector<std::string>& tables, const std::vector<std::int64_t>& keep);
  // Deletes up to `rows` rows of the physical table `physical`, and drops it once it is empty: a big table
  // goes in slices of short transactions, where one DROP TABLE would hold the write lock while it reads
  // every page.
  void shrink_or_drop(const std::string& physical, int rows);
  // True when the view of `table` exists: the read model has been built at least once.
  bool has_view(std::string_view table);

 private:
  SQLite::Database& db_;
};

}  // namespace evlite::projections::detail
