// The physical limit: the same work done with the plain sqlite3 C API, on the same schema (the store's own
// migrations), pragmas, id scheme (UUIDv7) and rows (a 32-byte hash included, not computed), with none of
// evlite's checks. SQLite checkpoints inline, as it does by default; evlite's background checkpointer is
// part of what is measured, and both sides' timings end with the close that checkpoints what is left. Every workload's ratio is
// measured against one of these, in the same run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace evlite::bench {

struct Payload {
  std::string data;
  std::string metadata;
};

// The streams a workload appends to, unless it says otherwise, and stream n of them, on either side.
inline constexpr int kStreams = 1000;
std::string order_stream(std::int64_t n);

// What raw_append writes: `events` rows in transactions of `per_transaction` rows, reading each stream's
// version first (as an Exact expectation needs) and updating its head. Before the clock, both sides create
// each of the `streams` streams with one event, in one transaction: every timed append then goes to a
// stream that exists, as most appends to a running store do (1,000 appends of 1,000 events, round robin
// over 1,000 streams, would otherwise each create its stream).
struct RawAppend {
  // How a transaction's rows fall into streams, as evlite would write them.
  enum class Spread {
    OneStream,     // one append of `per_transaction` events; streams round robin over `streams`
    StreamPerRow,  // a group commit of `per_transaction` one-event appends, to streams 0..per_transaction-1
  };
  std::int64_t events;
  std::int64_t per_transaction;
  int streams = kStreams;
  Spread spread = Spread::OneStream;
  bool full_sync = false;  // synchronous=FULL, else NORMAL
};

// Calls `write_batch` (which should commit kSettleBatch events to a stream of their own) until the WAL of
// `file` stops growing: the automatic checkpoint has copied it back, and commits now reuse it, as they do
// in a store that has run for a while. Before that, each durable commit also flushes the WAL's new size
// (its inode): a third of a one-row FULL commit's time on this machine's ext4. Durable (FULL) workloads
// settle both sides before their clocks start; NORMAL commits flush nothing, so growth costs them little.
inline constexpr std::int64_t kSettleBatch = 1000;
void settle_wal(const std::filesystem::path& file, const std::function<void()>& write_batch);

// Writes `append` into `file`, which must hold the evlite schema, after creating its streams and, when
// FULL, settling its WAL.
// Returns seconds, up to and including the close that copies the WAL into the file.
double raw_append(const std::filesystem::path& file, const RawAppend& append, const Payload& payload);

// Scans every event in position order copying the columns a RecordedEvent holds; with `decode`, also
// parses each data text with nlohmann/json. Returns seconds.
double raw_scan(const std::filesystem::path& file, bool decode);

// Events in each stream that read_stream reads.
inline constexpr std::size_t kStreamEvents = 1000;
// read_stream writes them 9 at a time after each stream's first (RawAppend).
static_assert((kStreamEvents - 1) % 9 == 0);

// Milliseconds to read one stream's events (all columns copied), for each of `streams`, in order. Each must
// hold kStreamEvents events.
std::vector<double> raw_read_streams(const std::filesystem::path& file, const std::vector<std::string>& streams);

}  // namespace evlite::bench
