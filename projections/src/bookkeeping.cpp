#include "bookkeeping.h"

#include <algorithm>
#include <array>
#include <chrono>

#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "evlite/engine/errors.h"

namespace evlite::projections::detail {
namespace {

std::int64_t now_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `name` as an SQL identifier: in double quotes, with any double quote doubled.
std::string quoted_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

void run(SQLite::Database& db, const char* sql, std::string_view name) {
  SQLite::Statement s(db, sql);
  s.bind(1, std::string(name));
  s.bind(2, now_micros());
  s.exec();
}

}  // namespace

std::string checkpoint_name(std::string_view projection) { return fmt::format("projection:{}", projection); }
std::string rebuild_checkpoint_name(std::string_view projection) { return fmt::format("projection:{}:rebuild", projection); }

std::string physical_table(std::string_view table, std::int64_t generation) {
  return fmt::format("{}_g{}", table, generation);
}

void validate_table_name(std::string_view table) {
  static constexpr std::array<std::string_view, 5> kEngineTables = {"events", "streams", "snapshots", "checkpoints",
                                                                    "projections"};
  bool identifier = !table.empty() && table.front() >= 'a' && table.front() <= 'z' &&
                    std::all_of(table.begin(), table.end(),
                                [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  if (!identifier || std::find(kEngineTables.begin(), kEngineTables.end(), table) != kEngineTables.end()) {
    throw InvalidArgument(fmt::format("read-model table name \"{}\" must be a lower-case identifier and not one of "
                                      "the engine's tables",
                                      table));
  }
}

std::optional<ProjectionRow> Bookkeeping::load(std::string_view name) {
  SQLite::Statement s(db_,
                      "SELECT version, generation, rebuild_version, rebuild_generation, error, error_position "
                      "FROM projections WHERE name = ?1");
  s.bind(1, std::string(name));
  if (!s.executeStep()) return std::nullopt;
  ProjectionRow row;
  row.version = s.getColumn(0).getInt();
  row.generation = s.getColumn(1).getInt64();
  if (!s.getColumn(2).isNull()) row.rebuild_version = s.getColumn(2).getInt();
  if (!s.getColumn(3).isNull()) row.rebuild_generation = s.getColumn(3).getInt64();
  row.error = s.getColumn(4).getString();
  row.error_position = Position{s.getColumn(5).getInt64()};
  return row;
}

void Bookkeeping::insert(std::string_view name, std::int32_t version, std::int64_t generation) {
  SQLite::Statement s(db_, "INSERT INTO projections (name, version, generation, updated_at) VALUES (?1, ?3, ?4, ?2)");
  s.bind(1, std::string(name));
  s.bind(2, now_micros());
  s.bind(3, version);
  s.bind(4, generation);
  s.exec();
}

void Bookkeeping::begin_rebuild(std::string_view name, std::int32_t version, std::int64_t generation) {
  SQLite::Statement s(db_,
                      "UPDATE projections SET rebuild_version = ?3, rebuild_generation = ?4, updated_at = ?2 "
                      "WHERE name = ?1");
  s.bind(1, std::string(name));
  s.bind(2, now_micros());
  s.bind(3, version);
  s.bind(4, generation);
  s.exec();
}

void Bookkeeping::finish_rebuild(std::string_view name) {
  run(db_,
      "UPDATE projections SET version = rebuild_version, generation = rebuild_generation, rebuild_version = NULL, "
      "rebuild_generation = NULL, error = NULL, error_position = NULL, updated_at = ?2 WHERE name = ?1",
      name);
}

void Bookkeeping::abandon_rebuild(std::string_view name) {
  run(db_, "UPDATE projections SET rebuild_version = NULL, rebuild_generation = NULL, updated_at = ?2 WHERE name = ?1",
      name);
}

void Bookkeeping::set_fault(std::string_view name, std::string_view error, Position at) {
  SQLite::Statement s(db_, "UPDATE projections SET error = ?3, error_position = ?4, updated_at = ?2 WHERE name = ?1");
  s.bind(1, std::string(name));
  s.bind(2, now_micros());
  s.bind(3, std::string(error));
  s.bind(4, at.value);
  s.exec();
}

void Bookkeeping::clear_fault(std::string_view name) {
  run(db_, "UPDATE projections SET error = NULL, error_position = NULL, updated_at = ?2 WHERE name = ?1", name);
}

void Bookkeeping::remove(std::string_view name) {
  SQLite::Statement s(db_, "DELETE FROM projections WHERE name = ?1");
  s.bind(1, std::string(name));
  s.exec();
}

// Identifiers below come from validate_table_name'd names and generation numbers, never from input.
void Bookkeeping::point_views(const std::vector<std::string>& tables, std::int64_t generation) {
  drop_views(tables);
  for (const std::string& table : tables) {
    db_.exec(fmt::format("CREATE VIEW \"{}\" AS SELECT * FROM \"{}\"", table, physical_table(table, generation)));
  }
}

void Bookkeeping::drop_views(const std::vector<std::string>& tables) {
  for (const std::string& table : tables) db_.exec(fmt::format("DROP VIEW IF EXISTS \"{}\"", table));
}

std::vector<std::string> Bookkeeping::stale_generations(const std::vector<std::string>& tables,
                                                       const std::vector<std::int64_t>& keep) {
  SQLite::Statement s(db_, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB ?1");
  std::vector<std::string> stale;
  for (const std::string& table : tables) {
    s.reset();
    s.bind(1, table + "_g[0-9]*");
    while (s.executeStep()) {
      std::string name = s.getColumn(0).getString();
      std::string suffix = name.substr(table.size() + 2);
      if (suffix.find_first_not_of("0123456789") != std::string::npos) continue;
      if (std::find(keep.begin(), keep.end(), std::stoll(suffix)) == keep.end()) stale.push_back(name);
    }
  }
  return stale;
}

void Bookkeeping::drop_generations(const std::vector<std::string>& tables, const std::vector<std::int64_t>& keep) {
  for (const std::string& name : stale_generations(tables, keep)) {
    db_.exec(fmt::format("DROP TABLE IF EXISTS {}", quoted_identifier(name)));
  }
}

void Bookkeeping::shrink_or_drop(const std::string& physical, int rows) {
  // The key to delete by: the primary key's columns, or the rowid of a table without one.
  std::vector<std::string> key;
  SQLite::Statement columns(db_, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk");
  columns.bind(1, physical);
  while (columns.executeStep()) key.push_back(quoted_identifier(columns.getColumn(0).getString()));
  std::string by = key.empty() ? "rowid" : fmt::format("{}", fmt::join(key, ", "));
  int deleted = db_.exec(fmt::format("DELETE FROM {0} WHERE ({1}) IN (SELECT {1} FROM {0} LIMIT {2})",
                                     quoted_identifier(physical), by, rows));
  if (deleted < rows) db_.exec(fmt::format("DROP TABLE {}", quoted_identifier(physical)));
}

bool Bookkeeping::has_view(std::string_view table) {
  SQLite::Statement s(db_, "SELECT 1 FROM sqlite_schema WHERE type = 'view' AND name = ?1");
  s.bind(1, std::string(table));
  return s.executeStep();
}

}  // namespace evlite::projections::detail
