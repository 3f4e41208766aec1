// evlite::EventStore: the append-only event log on one SQLite file (DESIGN.md §2–3).
//
//   auto store = evlite::EventStore::open("shop.db");
//   store.append("order-42", evlite::ExpectedVersion::no_stream(),
//                {{.type = "OrderPlaced", .data = R"({"customer":"c-7"})"}});
//   auto cursor = store.read_stream("order-42");
//   while (cursor.next()) std::puts(cursor.event().type.c_str());
//
// Every method that fails throws a subclass of evlite::Error (errors.h) and leaves the store as it was.
//
// Thread safety: an EventStore is safe for concurrent use from any number of threads without external
// synchronization, and several processes may open and append to the same file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <istream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "evlite/engine/cursor.h"
#include "evlite/engine/errors.h"
#include "evlite/engine/event.h"
#include "evlite/engine/expected_version.h"
#include "evlite/engine/filter.h"
#include "evlite/engine/options.h"
#include "evlite/engine/snapshot.h"
#include "evlite/engine/subscription.h"

namespace evlite {

namespace detail {
struct ImplAccess;
}

inline constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

// What an append did: the stream's version after it and the positions of its events (contiguous for one
// call). For an idempotent retry, the values of the original write.
struct AppendResult {
  StreamVersion version{};
  Position first_position{};
  Position last_position{};
  friend bool operator==(const AppendResult&, const AppendResult&) = default;
};

// One stream's share of an append_many.
struct StreamAppend {
  std::string stream{};
  ExpectedVersion expected = ExpectedVersion::any();
  std::vector<NewEvent> events{};
};

enum class Direction { Forward, Backward };

struct StreamRead {
  Direction direction = Direction::Forward;
  // First version delivered (inclusive). Default: the stream's first event (forward) or last (backward).
  std::optional<StreamVersion> from{};
  std::int64_t max_count = kNoLimit;
};

struct AllRead {
  Position from{1};  // first position delivered (inclusive)
  std::int64_t max_count = kNoLimit;
  Filter filter{};
};

struct StreamInfo {
  std::string stream_id{};
  std::string category{};
  StreamVersion version{};
  Timestamp created_at{};
  Timestamp updated_at{};
  friend bool operator==(const StreamInfo&, const StreamInfo&) = default;
};

struct StreamList {
  std::string category{};      // empty: every category
  std::string after{};         // page after this stream id (ids are listed in byte order)
  std::int64_t max_count = 1000;
};

class EventStore {
 public:
  // Opens the store at `path`, creating it when the file is absent or empty, and applies pending schema
  // migrations (each in its own transaction).
  // Throws SchemaError (naming the file, which is left unchanged) when the file is not SQLite, is an SQLite
  // file that is not an evlite store, or has a schema newer than this code; StorageError on I/O failure;
  // InvalidArgument for an empty path.
  static EventStore open(const std::filesystem::path& path, const Options& options = {});

  EventStore(EventStore&&) noexcept;
  EventStore& operator=(EventStore&&) noexcept;
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;
  ~EventStore();

  // Appends `events` to `stream` atomically if `expected` holds; events get versions current+1, +2 …
  // An exact retry of an earlier append (same ids, in that stream, in order, same types and data) returns
  // the original result and writes nothing, whatever `expected` says.
  // Throws WrongExpectedVersion (stream, expected, actual), DuplicateEventId (an id stored elsewhere, or
  // only some of the ids stored), InvalidArgument (bad stream id, type, JSON, UUID, no events),
  // StorageError. On any throw nothing was written.
  AppendResult append(std::string_view stream, ExpectedVersion expected, const std::vector<NewEvent>& events);

  // Appends to several streams in one transaction: all or nothing. Each part keeps its own expectation
  // and idempotency; results are in the order of `appends`. Throws as append() does.
  std::vector<AppendResult> append_many(const std::vector<StreamAppend>& appends);

  // Events of one stream. An absent stream yields an empty cursor. Throws InvalidArgument for a bad
  // stream id or a negative max_count.
  EventCursor read_stream(std::string_view stream, const StreamRead& read = {}) const;

  // Events of the whole log in position order, filtered. Throws InvalidArgument for a negative max_count.
  EventCursor read_all(const AllRead& read = {}) const;

  // The stream's current version; StreamVersion{0} for an absent stream.
  StreamVersion stream_version(std::string_view stream) const;

  // The position of the last committed event; Position{0} for an empty store.
  Position head_position() const;

  // A page of streams in stream-id order, optionally of one category.
  std::vector<StreamInfo> list_streams(const StreamList& list = {}) const;

  // Counts for `stats`: total events and streams, and events per category and per type.
  struct Stats {
    std::int64_t events = 0;
    std::int64_t streams = 0;
    Position head{};
    std::vector<std::pair<std::string, std::int64_t>> events_per_category{};
    std::vector<std::pair<std::string, std::int64_t>> events_per_type{};
  };
  Stats stats() const;

  // Stores `snapshot` as its stream's newest, unless a snapshot of a later version is already stored (then
  // nothing changes). Throws InvalidArgument for a bad stream id, a version outside 1..stream_version, or
  // state that is not JSON; StorageError.
  void save_snapshot(const Snapshot& snapshot);

  // The newest snapshot of `stream`, or nullopt.
  std::optional<Snapshot> load_snapshot(std::string_view stream) const;

  // Delivers every event matching `filter` with a position greater than `after`, first from the log,
  // then live, on a thread of its own, until the returned handle is stopped or destroyed.
  Subscription subscribe(Position after, Filter filter, EventHandler handler) const;

  // Reads NDJSON lines (ndjson.h) from `in` and writes them in one transaction: all or nothing.
  //   ImportMode::Exact   into an empty store, keeping positions, versions, ids, timestamps and bytes;
  //                       refused (InvalidArgument) when the store holds any event.
  //   ImportMode::Append  re-appends each event at its stream's end with its id: events already stored are
  //                       recognised and skipped (the idempotent append), the others get new positions.
  // `progress`, if set, is called every 10,000 lines with the count so far. Throws InvalidArgument naming
  // the line for malformed or inconsistent input (nothing is written), DuplicateEventId, StorageError.
  enum class ImportMode { Exact, Append };
  struct ImportResult {
    std::int64_t lines = 0;
    std::int64_t written = 0;  // events actually stored (Append skips those already there)
  };
  ImportResult import_ndjson(std::istream& in, ImportMode mode,
                             const std::function<void(std::int64_t lines)>& progress = {});

  // Checks the store's integrity: contiguous stream versions, versions in position order, the streams
  // table consistent with the events, the append-only triggers present, and PRAGMA integrity_check.
  // `progress`, if set, is told the name of each check as it starts. Throws StorageError if it cannot read.
  struct VerifyReport {
    std::int64_t events = 0;
    std::int64_t streams = 0;
    std::vector<std::string> findings{};  // one line per problem; empty when all checks hold
    bool ok() const { return findings.empty(); }
  };
  VerifyReport verify(const std::function<void(std::string_view check)>& progress = {}) const;

  // The schema version of the store file at `path` without opening it for writing: 0 when the file is
  // absent or empty. Throws SchemaError as open() does for a file that is not an evlite store.
  static int schema_version_of(const std::filesystem::path& path);
  // The schema version this code brings a store to.
  static int latest_schema_version();

  // Group commit at work in this handle: appends committed, the transactions they took (appends divided by
  // transactions is the average group), and appends in flight right now (being committed or waiting).
  struct WriteStats {
    std::int64_t transactions = 0;
    std::int64_t appends = 0;
    std::int64_t queued = 0;
  };
  WriteStats write_stats() const;

  // Blocks until the head position is beyond `position` or `timeout` passes; returns whether it is.
  // Commits in this process wake it at once, commits by others within Options::poll_interval.
  bool wait_for_commit(Position position, std::chrono::milliseconds timeout) const;

  // The file this store was opened on.
  const std::filesystem::path& path() const;

  // The options it was opened with.
  const Options& options() const;

  // The schema version of the file (the number of the last migration applied).
  int schema_version() const;

  struct Impl;

 private:
  friend struct detail::ImplAccess;
  explicit EventStore(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace evlite
