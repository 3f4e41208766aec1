#include "event_tables.h"

#include <cstring>

#include <fmt/format.h>
#include <sqlite3.h>

namespace evlite::detail {
namespace {

constexpr const char* kEventColumns =
    "position, stream_id, version, event_id, type, schema_version, data, metadata, recorded_at";

// The SQL of each statement, indexed like EventTables::Sql.
constexpr const char* kSql[] = {
    // kSelectStreamVersion
    "SELECT version FROM streams WHERE stream_id = ?1",
    // kSelectEventIdentity
    "SELECT stream_id, version, position, type, data = json(?2) FROM events WHERE event_id = ?1",
    // kInsertEvent
    // kCanonical: json() gives one canonical text: whitespace between tokens removed, keys, numbers and
    // strings kept exactly. So every event fits one NDJSON line, an export → import → export round trip is
    // exact, and the hash chain covers the bytes that are stored.
    "SELECT json(?1), json(?2)",
    // kLastLink
    "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1",
    // kInsertEvent
    // json() checks the syntax (strictly, RFC 8259) of texts already minified, a no-op copy for them, unless
    // they are known to be JSON (?11 for data, ?12 for metadata): then they are stored as given.
    "INSERT INTO events (position, stream_id, version, event_id, type, schema_version, data, metadata, recorded_at, "
    "hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, CASE WHEN ?11 THEN ?7 ELSE json(?7) END, "
    "CASE WHEN ?12 THEN ?8 ELSE json(?8) END, ?9, ?10)",
    // kUpsertStream
    "INSERT INTO streams (stream_id, category, version, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) "
    "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
    // kSelectHead
    "SELECT coalesce(max(position), 0) FROM events",
    // kSelectStreamForward
    "SELECT {} FROM events WHERE stream_id = ?1 AND version >= ?2 ORDER BY version LIMIT ?3",
    // kSelectStreamBackward
    "SELECT {} FROM events WHERE stream_id = ?1 AND version <= ?2 ORDER BY version DESC LIMIT ?3",
    // kSelectAllForward
    "SELECT {} FROM events WHERE position >= ?1 ORDER BY position LIMIT ?2",
    // kListStreams
    "SELECT stream_id, category, version, created_at, updated_at FROM streams "
    "WHERE stream_id > ?1 ORDER BY stream_id LIMIT ?2",
    // kListStreamsInCategory
    "SELECT stream_id, category, version, created_at, updated_at FROM streams "
    "WHERE category = ?1 AND stream_id > ?2 ORDER BY stream_id LIMIT ?3",
    // kCountEventsAndStreams
    "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM streams), "
    "(SELECT coalesce(max(position), 0) FROM events)",
    // kEventsPerCategory: a stream's version is its event count, so the streams table answers this.
    "SELECT category, sum(version) FROM streams GROUP BY category ORDER BY category",
    // kEventsPerType
    "SELECT type, count(*) FROM events GROUP BY type ORDER BY type",
    // kUpsertSnapshot
    "INSERT INTO snapshots (stream_id, version, type, schema_version, state, taken_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, "
    "type = excluded.type, schema_version = excluded.schema_version, state = excluded.state, "
    "taken_at = excluded.taken_at WHERE excluded.version >= snapshots.version",
    // kSelectSnapshot
    "SELECT stream_id, version, type, schema_version, state, taken_at FROM snapshots WHERE stream_id = ?1",
    // kSelectCheckpoint
    "SELECT position FROM checkpoints WHERE name = ?1",
    // kInsertCheckpoint: moving from 0 means the row does not exist yet
    "INSERT INTO checkpoints (name, position, updated_at) VALUES (?1, ?2, ?3) ON CONFLICT (name) DO NOTHING",
    // kAdvanceCheckpoint
    "UPDATE checkpoints SET position = ?3, updated_at = ?4 WHERE name = ?1 AND position = ?2",
    // kSetCheckpoint
    "INSERT INTO checkpoints (name, position, updated_at) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
    // kDeleteCheckpoint
    "DELETE FROM checkpoints WHERE name = ?1",
    // kChain: a page of the chain
    "SELECT {}, hash FROM events WHERE position > ?1 ORDER BY position LIMIT ?2",
    // kSetHash: only migration 0004 runs it, while the update trigger is lifted
    "UPDATE events SET hash = ?2 WHERE position = ?1",
    // kAnyEvent
    "SELECT EXISTS (SELECT 1 FROM events)",
    // kIntegrityCheck
    "SELECT integrity_check FROM pragma_integrity_check(?1)",
    // kTriggers
    "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'events'",
    // kVersionGaps: a stream's versions are 1..n exactly when there are n of them, from 1 to n
    "SELECT stream_id, count(*), min(version), max(version) FROM events GROUP BY stream_id "
    "HAVING count(*) != max(version) OR min(version) != 1 LIMIT ?1",
    // kVersionOrder
    "SELECT a.stream_id, a.version, a.position, b.position FROM events a JOIN events b "
    "ON b.stream_id = a.stream_id AND b.version = a.version + 1 WHERE b.position <= a.position LIMIT ?1",
    // kStreamHeads: the streams table against the events, both ways
    "SELECT s.stream_id, s.version, e.version, s.category FROM streams s LEFT JOIN "
    "(SELECT stream_id, max(version) AS version FROM events GROUP BY stream_id) e USING (stream_id) "
    "WHERE e.version IS NULL OR e.version != s.version "
    "OR s.category != substr(s.stream_id, 1, instr(s.stream_id || '-', '-') - 1) "
    "UNION ALL SELECT stream_id, NULL, max(version), NULL FROM events "
    "WHERE stream_id NOT IN (SELECT stream_id FROM streams) GROUP BY stream_id LIMIT ?1",
    // kSavepoint
    "SAVEPOINT request",
    // kReleaseSavepoint
    "RELEASE request",
    // kRollbackToSavepoint: back to the savepoint, then off the stack
    "ROLLBACK TO request",
};
static_assert(std::size(kSql) == 33);

std::string sql_text(const char* sql) {
  std::string text(sql);
  if (auto at = text.find("{}"); at != std::string::npos) text.replace(at, 2, kEventColumns);
  return text;
}

Timestamp timestamp(std::int64_t micros) { return Timestamp(std::chrono::microseconds(micros)); }

void assign_text(std::string& out, const SQLite::Column& column) {
  out.assign(column.getText(), static_cast<std::size_t>(column.getBytes()));
}

// Columns in kEventColumns order. Assigns into `out` so a reused page keeps its strings' capacity.
void read_event(const SQLite::Statement& row, RecordedEvent& out) {
  out.position = Position{row.getColumn(0).getInt64()};
  assign_text(out.stream_id, row.getColumn(1));
  out.version = StreamVersion{row.getColumn(2).getInt64()};
  assign_text(out.id, row.getColumn(3));
  assign_text(out.type, row.getColumn(4));
  out.schema_version = row.getColumn(5).getInt();
  assign_text(out.data, row.getColumn(6));
  assign_text(out.metadata, row.getColumn(7));
  out.recorded_at = timestamp(row.getColumn(8).getInt64());
}

void assign_text(std::string& out, sqlite3_stmt* row, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(row, column));
  out.assign(text == nullptr ? "" : text, static_cast<std::size_t>(sqlite3_column_bytes(row, column)));
}

// read_event for the C API: columns in kEventColumns order.
void read_event(sqlite3_stmt* row, RecordedEvent& out) {
  out.position = Position{sqlite3_column_int64(row, 0)};
  assign_text(out.stream_id, row, 1);
  out.version = StreamVersion{sqlite3_column_int64(row, 2)};
  assign_text(out.id, row, 3);
  assign_text(out.type, row, 4);
  out.schema_version = sqlite3_column_int(row, 5);
  assign_text(out.data, row, 6);
  assign_text(out.metadata, row, 7);
  out.recorded_at = timestamp(sqlite3_column_int64(row, 8));
}

// Steps a raw statement: true for a row, false when done; a failure becomes SQLite::Exception, like
// everywhere else.
bool step(SQLite::Database& db, sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw SQLite::Exception(db.getHandle(), rc);
}

// Overwrites a page in place from its start, so that a reused page keeps its strings' buffers, and trims
// it to what was written.
class PageFill {
 public:
  explicit PageFill(std::vector<RecordedEvent>& out) : out_(out) {}
  ~PageFill() { out_.resize(used_); }
  PageFill(const PageFill&) = delete;
  PageFill& operator=(const PageFill&) = delete;
  RecordedEvent& next() {
    if (used_ == out_.size()) out_.emplace_back();
    return out_[used_++];
  }

 private:
  std::vector<RecordedEvent>& out_;
  std::size_t used_ = 0;
};

// Resets a raw statement when its use ends, error or not: left unreset it holds its read snapshot open.
struct ResetOnExit {
  sqlite3_stmt* statement;
  ~ResetOnExit() { sqlite3_reset(statement); }
};

// Binding to a raw statement, for the appends' hot path. Texts and blobs are not copied: REQUIRES they
// outlive the step. A value SQLite refuses (a text over its length limit) throws: left unbound, the
// parameter would keep the previous use's value, which points at memory that is gone.
void check_bind(SQLite::Database& db, int rc) {
  if (rc != SQLITE_OK) throw SQLite::Exception(db.getHandle(), rc);
}
void bind_param(SQLite::Database& db, sqlite3_stmt* s, int index, std::string_view text) {
  check_bind(db, sqlite3_bind_text64(s, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
}
void bind_param(SQLite::Database& db, sqlite3_stmt* s, int index, std::int64_t value) {
  check_bind(db, sqlite3_bind_int64(s, index, value));
}
void bind_param(SQLite::Database& db, sqlite3_stmt* s, int index, const ChainHash& hash) {
  check_bind(db, sqlite3_bind_blob(s, index, hash.data(), static_cast<int>(hash.size()), SQLITE_STATIC));
}

}  // namespace

EventTables::EventTables(SQLite::Database& db) : db_(db) {}

EventTables::RawStatement::RawStatement(SQLite::Database& db, const std::string& sql) {
  int rc = sqlite3_prepare_v3(db.getHandle(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) throw SQLite::Exception(db.getHandle(), rc);
}

EventTables::RawStatement::~RawStatement() { sqlite3_finalize(stmt_); }

EventTables::RawStatement& EventTables::raw(Sql sql) {
  auto& slot = raw_statements_[static_cast<std::size_t>(sql)];
  if (!slot) slot = std::make_unique<RawStatement>(db_, sql_text(kSql[static_cast<std::size_t>(sql)]));
  return *slot;
}

EventTables::Use EventTables::statement(Sql sql) {
  auto& slot = statements_[static_cast<std::size_t>(sql)];
  if (!slot) {
    slot = std::make_unique<SQLite::Statement>(db_, sql_text(kSql[static_cast<std::size_t>(sql)]));
  } else {
    slot->clearBindings();
  }
  return Use(*slot);
}

// The three statements of every append step through the C API, as the cursor reads do: SQLiteCpp's
// clearBindings, copies and Column objects were ~0.35 µs of an append's ~8 µs inside the write lock.
StreamVersion EventTables::stream_version(std::string_view stream) {
  sqlite3_stmt* s = raw(Sql::kSelectStreamVersion).get();
  ResetOnExit reset{s};
  bind_param(db_, s, 1, stream);
  return StreamVersion{step(db_, s) ? sqlite3_column_int64(s, 0) : 0};
}

std::optional<StoredIdentity> EventTables::find_event(const std::string& event_id, const std::string& data) {
  auto s = statement(Sql::kSelectEventIdentity);
  s->bindNoCopy(1, event_id);  // both outlive the step: they are the caller's
  s->bindNoCopy(2, data);
  if (!s->executeStep()) return std::nullopt;
  StoredIdentity found;
  assign_text(found.stream_id, s->getColumn(0));
  found.version = StreamVersion{s->getColumn(1).getInt64()};
  found.position = Position{s->getColumn(2).getInt64()};
  assign_text(found.type, s->getColumn(3));
  found.same_data = s->getColumn(4).getInt() == 1;
  return found;
}

EventTables::ChainLink EventTables::last_link() {
  auto s = statement(Sql::kLastLink);
  ChainLink link;
  if (s->executeStep()) {
    link.position = Position{s->getColumn(0).getInt64()};
    if (s->getColumn(1).getBytes() == static_cast<int>(link.hash.size())) {
      std::memcpy(link.hash.data(), s->getColumn(1).getBlob(), link.hash.size());
    }
  }
  return link;
}

void EventTables::canonical(const std::string& data_in, const std::string& metadata_in, std::string& data,
                            std::string& metadata) {
  auto s = statement(Sql::kCanonical);
  s->bindNoCopy(1, data_in);  // the caller's strings outlive the step
  s->bindNoCopy(2, metadata_in);
  s->executeStep();
  assign_text(data, s->getColumn(0));
  assign_text(metadata, s->getColumn(1));
}

void EventTables::insert_event(const EventFields& e, const ChainHash& hash, JsonChecked checked) {
  sqlite3_stmt* s = raw(Sql::kInsertEvent).get();
  ResetOnExit reset{s};
  bind_param(db_, s, 1, e.position.value);
  bind_param(db_, s, 2, e.stream_id);
  bind_param(db_, s, 3, e.version.value);
  bind_param(db_, s, 4, e.id);
  bind_param(db_, s, 5, e.type);
  bind_param(db_, s, 6, std::int64_t{e.schema_version});
  bind_param(db_, s, 7, e.data);
  bind_param(db_, s, 8, e.metadata);
  bind_param(db_, s, 9, static_cast<std::int64_t>(e.recorded_at.time_since_epoch().count()));
  bind_param(db_, s, 10, hash);
  bind_param(db_, s, 11, std::int64_t{checked.data});
  bind_param(db_, s, 12, std::int64_t{checked.metadata});
  step(db_, s);
}

void EventTables::upsert_stream(const std::string& stream, std::string_view category, StreamVersion version,
                                Timestamp now) {
  sqlite3_stmt* s = raw(Sql::kUpsertStream).get();
  ResetOnExit reset{s};
  bind_param(db_, s, 1, stream);
  bind_param(db_, s, 2, category);
  bind_param(db_, s, 3, version.value);
  bind_param(db_, s, 4, static_cast<std::int64_t>(now.time_since_epoch().count()));
  step(db_, s);
}

bool EventTables::is_empty() {
  auto s = statement(Sql::kAnyEvent);
  s->executeStep();
  return s->getColumn(0).getInt() == 0;
}

std::vector<std::string> EventTables::integrity_findings(std::int64_t limit) {
  auto s = statement(Sql::kIntegrityCheck);
  s->bind(1, limit);
  std::vector<std::string> findings;
  while (s->executeStep()) {
    std::string line = s->getColumn(0).getString();
    if (line != "ok") findings.push_back("integrity_check: " + line);
  }
  return findings;
}

std::vector<std::string> EventTables::missing_triggers() {
  std::vector<std::string> missing = {"events_are_append_only_update", "events_are_append_only_delete",
                                      "events_are_append_only_replace"};
  auto s = statement(Sql::kTriggers);
  while (s->executeStep()) std::erase(missing, s->getColumn(0).getString());
  for (auto& name : missing) name = "trigger " + name + " is missing: the log is not protected against changes";
  return missing;
}

std::vector<std::string> EventTables::version_gaps(std::int64_t limit) {
  auto s = statement(Sql::kVersionGaps);
  s->bind(1, limit);
  std::vector<std::string> findings;
  while (s->executeStep()) {
    findings.push_back(fmt::format("stream {} has {} events with versions {} to {}: versions are not contiguous",
                                   s->getColumn(0).getString(), s->getColumn(1).getInt64(),
                                   s->getColumn(2).getInt64(), s->getColumn(3).getInt64()));
  }
  return findings;
}

std::vector<std::string> EventTables::versions_out_of_position_order(std::int64_t limit) {
  auto s = statement(Sql::kVersionOrder);
  s->bind(1, limit);
  std::vector<std::string> findings;
  while (s->executeStep()) {
    findings.push_back(fmt::format("stream {} version {} is at position {}, but version {} is at position {}",
                                   s->getColumn(0).getString(), s->getColumn(1).getInt64(), s->getColumn(2).getInt64(),
                                   s->getColumn(1).getInt64() + 1, s->getColumn(3).getInt64()));
  }
  return findings;
}

std::vector<std::string> EventTables::stream_head_mismatches(std::int64_t limit) {
  auto s = statement(Sql::kStreamHeads);
  s->bind(1, limit);
  std::vector<std::string> findings;
  while (s->executeStep()) {
    std::string stream = s->getColumn(0).getString();
    if (s->getColumn(1).isNull()) {
      findings.push_back(fmt::format("stream {} has events but no row in the streams table", stream));
    } else if (s->getColumn(2).isNull()) {
      findings.push_back(fmt::format("streams table has {} at version {}, but it has no events", stream,
                                     s->getColumn(1).getInt64()));
    } else {
      findings.push_back(fmt::format("streams table has {} at version {} in category {}, but its events end at "
                                     "version {}",
                                     stream, s->getColumn(1).getInt64(), s->getColumn(3).getString(),
                                     s->getColumn(2).getInt64()));
    }
  }
  return findings;
}

void EventTables::savepoint() { statement(Sql::kSavepoint)->exec(); }
void EventTables::release_savepoint() { statement(Sql::kReleaseSavepoint)->exec(); }
void EventTables::rollback_to_savepoint() {
  statement(Sql::kRollbackToSavepoint)->exec();
  release_savepoint();
}

void EventTables::walk_chain(const std::function<void(const RecordedEvent&, const SQLite::Column& hash)>& visit) {
  constexpr std::int64_t kPage = 10'000;  // bounded memory, and room for visit() to write between pages
  RecordedEvent e;
  for (Position after{0};;) {
    std::int64_t rows = 0;
    {
      auto s = statement(Sql::kChain);
      s->bind(1, after.value);
      s->bind(2, kPage);
      for (; s->executeStep(); ++rows) {
        read_event(*s, e);
        visit(e, s->getColumn(9));
        after = e.position;
      }
    }
    if (rows < kPage) return;
  }
}

std::vector<std::string> EventTables::chain_breaks(std::int64_t limit) {
  std::vector<std::string> findings;
  ChainHash previous = kChainStart;
  walk_chain([&](const RecordedEvent& e, const SQLite::Column& stored) {
    ChainHash expected = chain_hash(previous, fields_of(e));
    bool whole = stored.getBytes() == static_cast<int>(expected.size());
    if (!whole || std::memcmp(stored.getBlob(), expected.data(), expected.size()) != 0) {
      if (static_cast<std::int64_t>(findings.size()) < limit) {
        findings.push_back(fmt::format("hash chain broken at position {} (stream {} version {}): the event was "
                                       "changed, or an event before it was removed or inserted",
                                       e.position.value, e.stream_id, e.version.value));
      }
      // Go on from what is stored, so that one tampered event is reported once, not with every event after it.
      if (whole) std::memcpy(expected.data(), stored.getBlob(), expected.size());
    }
    previous = expected;
  });
  return findings;
}

void EventTables::fill_hash_chain() {
  ChainHash previous = kChainStart;
  std::vector<std::pair<Position, ChainHash>> page;
  auto flush = [&] {
    for (const auto& [position, hash] : page) {
      auto s = statement(Sql::kSetHash);
      s->bind(1, position.value);
      s->bindNoCopy(2, hash.data(), static_cast<int>(hash.size()));
      s->exec();
    }
    page.clear();
  };
  walk_chain([&](const RecordedEvent& e, const SQLite::Column&) {
    previous = chain_hash(previous, fields_of(e));
    page.emplace_back(e.position, previous);
    // Rows already read can be updated while the scan goes on: hash is in no index, so nothing moves.
    if (page.size() >= 10'000) flush();
  });
  flush();
}

Position EventTables::head_position() {
  auto s = statement(Sql::kSelectHead);
  s->executeStep();
  return Position{s->getColumn(0).getInt64()};
}

bool EventTables::read_stream_page(const std::string& stream, StreamVersion from, Direction direction,
                                   std::int64_t limit, std::vector<RecordedEvent>& out) {
  sqlite3_stmt* s = raw(direction == Direction::Forward ? Sql::kSelectStreamForward : Sql::kSelectStreamBackward).get();
  sqlite3_bind_text(s, 1, stream.data(), static_cast<int>(stream.size()), SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, from.value);
  sqlite3_bind_int64(s, 3, limit);
  ResetOnExit reset{s};
  PageFill page(out);
  std::int64_t rows = 0;
  for (; step(db_, s); ++rows) read_event(s, page.next());
  return rows == limit;
}

PageScan EventTables::read_all_page(Position from, std::int64_t scan_limit, std::int64_t match_limit,
                                    const Filter& filter, std::vector<RecordedEvent>& out) {
  sqlite3_stmt* s = raw(Sql::kSelectAllForward).get();
  sqlite3_bind_int64(s, 1, from.value);
  sqlite3_bind_int64(s, 2, scan_limit);
  ResetOnExit reset{s};
  PageFill page(out);
  PageScan scan;
  std::int64_t rows = 0;
  std::int64_t matches = 0;
  while (matches < match_limit && step(db_, s)) {
    ++rows;
    scan.last_scanned = Position{sqlite3_column_int64(s, 0)};
    // Test the filter on the cheap columns before copying the event out.
    if (!filter.empty()) {
      std::string_view stream(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)),
                              static_cast<std::size_t>(sqlite3_column_bytes(s, 1)));
      std::string_view type(reinterpret_cast<const char*>(sqlite3_column_text(s, 4)),
                            static_cast<std::size_t>(sqlite3_column_bytes(s, 4)));
      if (!filter.matches(stream, type)) continue;
    }
    read_event(s, page.next());
    ++matches;
  }
  scan.more = rows == scan_limit || matches == match_limit;
  return scan;
}

std::vector<StreamInfo> EventTables::list_streams(const StreamList& list) {
  bool by_category = !list.category.empty();
  auto s = statement(by_category ? Sql::kListStreamsInCategory : Sql::kListStreams);
  int next = 1;
  if (by_category) s->bind(next++, list.category);
  s->bind(next++, list.after);
  s->bind(next, list.max_count);
  std::vector<StreamInfo> streams;
  while (s->executeStep()) {
    StreamInfo& info = streams.emplace_back();
    assign_text(info.stream_id, s->getColumn(0));
    assign_text(info.category, s->getColumn(1));
    info.version = StreamVersion{s->getColumn(2).getInt64()};
    info.created_at = timestamp(s->getColumn(3).getInt64());
    info.updated_at = timestamp(s->getColumn(4).getInt64());
  }
  return streams;
}

EventStore::Stats EventTables::stats() {
  EventStore::Stats stats;
  auto counts = statement(Sql::kCountEventsAndStreams);
  counts->executeStep();
  stats.events = counts->getColumn(0).getInt64();
  stats.streams = counts->getColumn(1).getInt64();
  stats.head = Position{counts->getColumn(2).getInt64()};
  for (auto [sql, into] : {std::pair{Sql::kEventsPerCategory, &stats.events_per_category},
                           std::pair{Sql::kEventsPerType, &stats.events_per_type}}) {
    auto s = statement(sql);
    while (s->executeStep()) into->emplace_back(s->getColumn(0).getString(), s->getColumn(1).getInt64());
  }
  return stats;
}

void EventTables::upsert_snapshot(const Snapshot& snapshot, Timestamp now) {
  auto s = statement(Sql::kUpsertSnapshot);
  s->bind(1, snapshot.stream_id);
  s->bind(2, snapshot.version.value);
  s->bind(3, snapshot.type);
  s->bind(4, snapshot.schema_version);
  s->bind(5, snapshot.state);
  s->bind(6, static_cast<std::int64_t>(now.time_since_epoch().count()));
  s->exec();
}

std::optional<Snapshot> EventTables::select_snapshot(const std::string& stream) {
  auto s = statement(Sql::kSelectSnapshot);
  s->bind(1, stream);
  if (!s->executeStep()) return std::nullopt;
  Snapshot snapshot;
  assign_text(snapshot.stream_id, s->getColumn(0));
  snapshot.version = StreamVersion{s->getColumn(1).getInt64()};
  assign_text(snapshot.type, s->getColumn(2));
  snapshot.schema_version = s->getColumn(3).getInt();
  assign_text(snapshot.state, s->getColumn(4));
  snapshot.taken_at = timestamp(s->getColumn(5).getInt64());
  return snapshot;
}

Position EventTables::checkpoint(std::string_view name) {
  auto s = statement(Sql::kSelectCheckpoint);
  s->bind(1, std::string(name));
  return Position{s->executeStep() ? s->getColumn(0).getInt64() : 0};
}

bool EventTables::advance_checkpoint(std::string_view name, Position from, Position to, Timestamp now) {
  auto s = statement(from.value == 0 ? Sql::kInsertCheckpoint : Sql::kAdvanceCheckpoint);
  s->bind(1, std::string(name));
  if (from.value == 0) {
    s->bind(2, to.value);
    s->bind(3, static_cast<std::int64_t>(now.time_since_epoch().count()));
  } else {
    s->bind(2, from.value);
    s->bind(3, to.value);
    s->bind(4, static_cast<std::int64_t>(now.time_since_epoch().count()));
  }
  return s->exec() == 1;
}

void EventTables::set_checkpoint(std::string_view name, Position to, Timestamp now) {
  auto s = statement(to.value == 0 ? Sql::kDeleteCheckpoint : Sql::kSetCheckpoint);
  s->bind(1, std::string(name));
  if (to.value != 0) {
    s->bind(2, to.value);
    s->bind(3, static_cast<std::int64_t>(now.time_since_epoch().count()));
  }
  s->exec();
}

}  // namespace evlite::detail
