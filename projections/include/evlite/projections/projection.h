// A projection: a read model kept in step with the log, in tables of its own in the store's file
// (DESIGN.md §5).
//
// The runner (runner.h) feeds apply() the events matching filter(), in position order, in batches; the
// read-model writes of a batch and the projection's checkpoint commit in one SQLite transaction, so after
// a crash at any instant the read model reflects exactly the events up to its checkpoint.
//
// Tables are named by their logical name in SQL, in braces: "INSERT INTO {inventory} …". The runner
// resolves the braces to the tables of the generation being written ("inventory_g3"), which lets it build
// a new generation in shadow tables during a rebuild while queries keep reading the current one through a
// view of the logical name ("inventory"). Name indexes after their table ("{inventory}_by_city") so each
// generation has its own.
//
// This is the one public header that exposes SQLiteCpp (STYLE.md): apply() writes through the runner's
// open connection and transaction. A projection never appends to the store.
//
// A projection implements apply(), one event at a time in the batch's transaction; or, to go faster,
// derives from FoldingProjection (below) and folds a batch in memory before writing each changed row once.
//
// Thread safety: the runner calls a projection from one thread at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include "evlite/engine/event.h"
#include "evlite/engine/filter.h"

namespace evlite::projections {

// The runner's connection inside the open batch transaction, for one generation of the tables.
// REQUIRES: used only during the create_schema() or apply() call it was passed to.
class WriteContext {
 public:
  WriteContext(SQLite::Database& db, std::map<std::string, std::string, std::less<>> tables);

  // `sql` with every {logical} table name replaced by this generation's physical name.
  std::string resolve(std::string_view sql) const;

  // The prepared statement for `sql` (resolved), cached for the life of the context's generation, reset
  // and with its bindings cleared. `sql` must be a string literal: its address is the cache key.
  SQLite::Statement& statement(const char* sql);

  // Runs the cached statement for `sql` once, with `args` bound to ?1, ?2, … in order (an empty
  // std::optional binds NULL).
  template <typename... Args>
  void run(const char* sql, const Args&... args) {
    SQLite::Statement& s = statement(sql);
    int index = 0;
    (bind_one(s, ++index, args), ...);
    s.exec();
  }

  // Runs `sql` (resolved) once, e.g. DDL in create_schema().
  void exec(std::string_view sql);

  SQLite::Database& db() { return db_; }

 private:
  template <typename T>
  static void bind_one(SQLite::Statement& s, int index, const T& value) {
    s.bind(index, value);
  }
  template <typename T>
  static void bind_one(SQLite::Statement& s, int index, const std::optional<T>& value) {
    if (value) {
      s.bind(index, *value);
    } else {
      s.bind(index);
    }
  }

  SQLite::Database& db_;
  std::map<std::string, std::string, std::less<>> tables_;
  std::map<const char*, std::unique_ptr<SQLite::Statement>> statements_;
};

class Projection {
 public:
  virtual ~Projection() = default;

  // Unique among projections; names its checkpoint and bookkeeping row.
  virtual std::string name() const = 0;

  // The read model's version. A runner that finds another stored version rebuilds the read model from
  // position 0 (in shadow tables, without downtime). Bump it whenever the tables or their meaning change.
  virtual std::int32_t version() const = 0;

  // The logical names of the tables it owns; queries read them through views of these names.
  virtual std::vector<std::string> tables() const = 0;

  // The events it wants; the others are skipped without a call.
  virtual Filter filter() const = 0;

  // Creates its tables (and indexes) for a new generation.
  virtual void create_schema(WriteContext& context) const = 0;

  // Applies one event. Throwing faults the projection at this event: its batch is rolled back and its
  // checkpoint stays before the event.
  virtual void apply(const RecordedEvent& event, WriteContext& context) = 0;
};

// A projection that folds a batch of events into pending row changes in memory, then writes each changed
// row once (the way Marten's aggregating projections group a batch by document). The runner calls fold()
// for every event of a batch before it opens the batch's write transaction, so decoding and folding never
// hold the store's write lock; then flush() inside that transaction, and discard() once it is over. The
// read model must come out as if each event had been applied alone: a batch of one is exactly that
// (apply() below).
//
// Events are interpreted, and refused, in fold(): a fold() that throws faults the projection at that
// event. flush() only writes; if it throws anyway (a constraint the fold could not foresee, a full disk),
// the projection faults at the first event of the batch.
//
// An instance holds a batch's pending changes: add it to one runner only.
class FoldingProjection : public Projection {
 public:
  // Adds one event to the pending changes. Reads no tables: it runs outside any transaction.
  virtual void fold(const RecordedEvent& event) = 0;

  // Writes the pending changes in the runner's transaction. It may be called again with the same changes
  // if the transaction is retried, so it keeps them.
  virtual void flush(WriteContext& context) = 0;

  // Forgets the pending changes: their batch committed, failed, or another runner applied it first.
  virtual void discard() = 0;

  void apply(const RecordedEvent& event, WriteContext& context) final {
    discard();
    fold(event);
    flush(context);
    discard();
  }
};

}  // namespace evlite::projections
