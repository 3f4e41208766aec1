// The evlite side of each benchmark workload. Each returns what it measured; the baseline side is in
// baseline.h, and evlite_bench.cpp runs both, three times each, on fresh files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "baseline.h"
#include "evlite/aggregates/repository.h"
#include "evlite/engine/event.h"
#include "evlite/engine/options.h"

namespace evlite::bench {

// ~250 bytes of order data and ~130 bytes of metadata, as a shop's OrderPlaced would carry.
Payload shop_payload();
// The event every append workload writes: an OrderPlaced carrying `payload`.
NewEvent order_placed(const Payload& payload);

// Peak resident memory since the last reset (Linux: VmHWM, reset to the current RSS by writing 5 to
// /proc/self/clear_refs). The reset throws where the kernel cannot do it, rather than report an earlier peak.
void reset_peak_rss();
double peak_rss_mb();

// Appends `events` events, `per_call` per append, round robin over `streams` streams with Exact
// expectations. Seconds, up to and including the store's close (which checkpoints what is left). The
// streams exist before the clock starts, and under FULL the store is settled first (settle_wal: some
// 60,000 events in streams of their own), as on the raw side (RawAppend).
double append(const std::filesystem::path& file, std::int64_t events, std::int64_t per_call, Synchronous sync,
              const Payload& payload, int streams = kStreams);

// `threads` threads appending one event per call (Exact on a stream of their own), FULL durability, on a
// store set up as append's is; seconds up to and including the close.
double append_concurrent(const std::filesystem::path& file, int threads, std::int64_t per_thread,
                         const Payload& payload, double* average_group);

// No store: the machine's cost of what a group commit of `threads` appenders cannot avoid, one thread waking
// `threads` sleeping ones (a condition variable, as group commit does) until each has reported back.
// Median microseconds of 2,000 rounds.
double wake_and_return_us(int threads);

// Reads every event through read_all; with `decode`, parses each data text too.
double read_all(const std::filesystem::path& file, bool decode);

// Milliseconds to read each of `streams` through read_stream, after one untimed read; each must hold
// kStreamEvents events.
std::vector<double> read_streams(const std::filesystem::path& file, const std::vector<std::string>& streams);

// Median milliseconds to load an order of `events` events written by a repository with `options` (the
// default snapshots every 100 events; snapshot_every = 0 has none), and the peak RSS of the loads.
struct LoadFigures {
  double ms = 0;
  double peak_rss_mb = 0;
};
LoadFigures order_load(const std::filesystem::path& file, int events, aggregates::RepositoryOptions options);

struct RebuildFigures {
  std::int64_t events = 0;
  double seconds = 0;
  double longest_append_ms = 0;  // of the appends that began while the rebuild ran
  std::int64_t appends = 0;
  double data_bytes = 0;      // mean per event of the history
  double metadata_bytes = 0;  // likewise
  double peak_rss_mb = 0;     // during the rebuild, not the history's bulk load
};
// Rebuilds the three shop read models over a shop history of about `events` events while another thread
// appends one event at a time and times each append. Throws if a projection faults or the rebuild takes
// more than 10 minutes.
RebuildFigures projection_rebuild(const std::filesystem::path& file, std::int64_t events, const std::string& metadata);

}  // namespace evlite::bench
