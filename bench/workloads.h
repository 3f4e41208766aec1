// The evlite side of each benchmark workload. Each returns what it measured; the baseline side is in
// baseline.h, and evlite_bench.cpp runs both, three times each, on fresh files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "baseline.h"
#include "evlite/engine/options.h"

namespace evlite::bench {

// ~250 bytes of order data and ~130 bytes of metadata, as a shop's OrderPlaced would carry.
Payload shop_payload();

// Appends `events` events, `per_call` per append, round robin over 1000 streams with Exact expectations.
double append(const std::filesystem::path& file, std::int64_t events, std::int64_t per_call, Synchronous sync,
              const Payload& payload);

// `threads` threads appending one event per call (Exact on a stream of their own), FULL durability.
double append_concurrent(const std::filesystem::path& file, int threads, std::int64_t per_thread,
                         const Payload& payload, double* average_group);

// No store: the machine's cost of what a group commit of `threads` appenders cannot avoid, one thread waking
// `threads` sleeping ones (a condition variable, as group commit does) until each has reported back.
// Median microseconds of 2,000 rounds.
double wake_and_return_us(int threads);

// Reads every event through read_all; with `decode`, parses each data text too.
double read_all(const std::filesystem::path& file, bool decode);

// Milliseconds to read each of `streams` through read_stream.
std::vector<double> read_streams(const std::filesystem::path& file, const std::vector<std::string>& streams);

// Median milliseconds to load an order of `events` events, with or without a fresh snapshot.
double order_load_ms(const std::filesystem::path& file, int events, bool snapshot);

struct RebuildFigures {
  std::int64_t events = 0;
  double seconds = 0;
  double longest_append_ms = 0;
  std::int64_t appends = 0;
};
// Rebuilds the three shop read models over a shop history of about `events` events while another thread
// appends one event at a time and times each append.
RebuildFigures projection_rebuild(const std::filesystem::path& file, std::int64_t events);

}  // namespace evlite::bench
