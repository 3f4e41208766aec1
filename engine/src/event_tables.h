// Internal: every statement against the engine's tables (events, streams), prepared once per connection.
//
// This is the only place SQL against those tables is written (DESIGN.md §1, §10). Each method runs one
// statement; transactions are the caller's (connection.h: write_transaction).
//
// Thread safety: like the connection it wraps, used by one thread at a time.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

struct sqlite3_stmt;

#include "evlite/engine/event_store.h"
#include "hash_chain.h"

namespace evlite::detail {

// Which of an event's texts are known to be JSON that SQLite's json() accepts, minified: stored as given.
// The insert runs the others through json(), which checks them.
struct JsonChecked {
  bool data = false;
  bool metadata = false;
};

// An event ready to insert: checked, with its id and metadata decided. It refers to the caller's NewEvent
// for the type and data (no copy on the hot path): REQUIRES the NewEvent outlives it.
struct PreparedEvent {
  explicit PreparedEvent(const NewEvent& e) : source(&e) {}
  const NewEvent* source;
  std::string id;
  bool caller_id = false;  // the caller chose the id, so it may already be stored
  std::string metadata;    // the caller's, with correlation and causation ids
  // Found before the write lock: whether the texts are minified (is_minified_json), and so stored as given,
  // and whether the insert need not check them again: they are surely JSON (is_surely_json), or the
  // metadata is an earlier event's of the same append, whose insert checks it first.
  bool data_minified = false;
  bool metadata_minified = false;
  JsonChecked checked;

  const std::string& type() const { return source->type; }
  const std::string& data() const { return source->data; }
  std::int32_t schema_version() const { return source->schema_version; }
};

// What the idempotency check needs of a stored event.
struct StoredIdentity {
  std::string stream_id;
  StreamVersion version;
  Position position;
  std::string type;
  bool same_data = false;  // the stored data equals the compared data in its stored (json()) form
};

// How far a page read got: the last position it looked at (matched or not), and whether the log may
// hold more after it.
struct PageScan {
  Position last_scanned;
  bool more = false;
};

class EventTables {
 public:
  explicit EventTables(SQLite::Database& db);

  StreamVersion stream_version(std::string_view stream);
  // The stored event with this id, compared with `data`.
  std::optional<StoredIdentity> find_event(const std::string& event_id, const std::string& data);
  // The last event's position and hash: where the next event links on. kChainStart for an empty log.
  struct ChainLink {
    Position position;
    ChainHash hash = kChainStart;
  };
  ChainLink last_link();

  // The texts json() stores for data and metadata, into `data` and `metadata`. Throws SQLite::Exception
  // ("malformed JSON") when either is not JSON: SQLite's parser is strict RFC 8259.
  void canonical(const std::string& data_in, const std::string& metadata_in, std::string& data, std::string& metadata);

  // Inserts an event with its position and hash. REQUIRES: its texts are minified (is_minified_json, or
  // from canonical()). The insert's json() checks the syntax of those not `checked`. Throws
  // SQLite::Exception ("malformed JSON") when they are not JSON.
  void insert_event(const EventFields& event, const ChainHash& hash, JsonChecked checked);
  bool is_empty();

  // verify(): one finding per problem, at most `limit` per check.
  std::vector<std::string> integrity_findings(std::int64_t limit);
  std::vector<std::string> missing_triggers();
  std::vector<std::string> version_gaps(std::int64_t limit);
  std::vector<std::string> versions_out_of_position_order(std::int64_t limit);
  std::vector<std::string> stream_head_mismatches(std::int64_t limit);
  // Recomputes the hash chain from the first event: one finding per event whose stored hash differs.
  std::vector<std::string> chain_breaks(std::int64_t limit);

  // Migration 0004: hashes for the events stored before the chain existed.
  void fill_hash_chain();

  // Every event in position order with its stored hash, a page at a time.
  void walk_chain(const std::function<void(const RecordedEvent&, const SQLite::Column& hash)>& visit);
  void upsert_stream(const std::string& stream, std::string_view category, StreamVersion version, Timestamp now);

  Position head_position();

  // Up to `limit` events of `stream` from version `from` (inclusive) in `direction`, written over `out`
  // (reusing its elements' buffers). Returns whether the stream may hold more beyond them.
  bool read_stream_page(const std::string& stream, StreamVersion from, Direction direction, std::int64_t limit,
                        std::vector<RecordedEvent>& out);

  // Scans up to `scan_limit` events from position `from` (inclusive) and writes those matching `filter` over
  // `out` (reusing its elements' buffers), stopping after `match_limit` matches: the scan then ends at the
  // last of them, so that the next page starts with the first match not taken.
  PageScan read_all_page(Position from, std::int64_t scan_limit, std::int64_t match_limit, const Filter& filter,
                         std::vector<RecordedEvent>& out);

  std::vector<StreamInfo> list_streams(const StreamList& list);

  // A savepoint around one request of a group commit, on cached statements (SQLite::Savepoint would parse
  // its SQL for every request of every group).
  void savepoint();
  void release_savepoint();
  void rollback_to_savepoint();

  // Replaces the stream's snapshot unless the stored one is of a later version.
  void upsert_snapshot(const Snapshot& snapshot, Timestamp now);
  std::optional<Snapshot> select_snapshot(const std::string& stream);

  Position checkpoint(std::string_view name);
  // Moves the checkpoint only if it is at `from`; returns whether it did.
  bool advance_checkpoint(std::string_view name, Position from, Position to, Timestamp now);
  void set_checkpoint(std::string_view name, Position to, Timestamp now);

  EventStore::Stats stats();

 private:
  enum class Sql {
    kSelectStreamVersion,
    kSelectEventIdentity,
    kCanonical,
    kLastLink,
    kInsertEvent,
    kUpsertStream,
    kSelectHead,
    kSelectStreamForward,
    kSelectStreamBackward,
    kSelectAllForward,
    kListStreams,
    kListStreamsInCategory,
    kCountEventsAndStreams,
    kEventsPerCategory,
    kEventsPerType,
    kUpsertSnapshot,
    kSelectSnapshot,
    kSelectCheckpoint,
    kInsertCheckpoint,
    kAdvanceCheckpoint,
    kSetCheckpoint,
    kDeleteCheckpoint,
    kChain,
    kSetHash,
    kAnyEvent,
    kIntegrityCheck,
    kTriggers,
    kVersionGaps,
    kVersionOrder,
    kStreamHeads,
    kSavepoint,
    kReleaseSavepoint,
    kRollbackToSavepoint,
    kCount,
  };
  // A prepared statement in use. Resetting it when the use ends matters: a SELECT left un-reset after its
  // first row keeps the connection's read snapshot open, and later reads on it would see stale data.
  class Use {
   public:
    explicit Use(SQLite::Statement& s) : s_(s) {}
    ~Use() { s_.tryReset(); }
    Use(const Use&) = delete;
    Use& operator=(const Use&) = delete;
    SQLite::Statement* operator->() const { return &s_; }
    SQLite::Statement& operator*() const { return s_; }

   private:
    SQLite::Statement& s_;
  };

  // The statement for `sql`, prepared on first use, with its bindings cleared.
  Use statement(Sql sql);

  // The cursor reads, the hot loops of replay, step through the C API: each SQLite::Column holds a copy of
  // its statement's shared_ptr, two atomic operations per column per row that a raw scan does not pay.
  class RawStatement {
   public:
    RawStatement(SQLite::Database& db, const std::string& sql);
    ~RawStatement();
    RawStatement(const RawStatement&) = delete;
    RawStatement& operator=(const RawStatement&) = delete;
    sqlite3_stmt* get() { return stmt_; }

   private:
    sqlite3_stmt* stmt_ = nullptr;
  };
  RawStatement& raw(Sql sql);

  SQLite::Database& db_;
  std::array<std::unique_ptr<SQLite::Statement>, static_cast<std::size_t>(Sql::kCount)> statements_;
  std::array<std::unique_ptr<RawStatement>, static_cast<std::size_t>(Sql::kCount)> raw_statements_;
};

}  // namespace evlite::detail
