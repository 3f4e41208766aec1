// The physical limit: the same work done with the plain sqlite3 C API, on the same schema (the store's own
// migrations), pragmas, id scheme (UUIDv7) and rows, with none of evlite's checks. Every workload's ratio is
// measured against one of these, in the same run.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace evlite::bench {

struct Payload {
  std::string data;
  std::string metadata;
};

// Appends `events` rows in transactions of `per_transaction` rows to streams round robin over `streams`,
// reading each stream's version first (as an Exact expectation needs) and updating its head. Returns
// seconds. The file must hold the evlite schema.
double raw_append(const std::filesystem::path& file, std::int64_t events, std::int64_t per_transaction, int streams,
                  bool full_sync, const Payload& payload);

// Scans every event in position order copying the columns a RecordedEvent holds; with `decode`, also
// parses each data text with nlohmann/json. Returns seconds.
double raw_scan(const std::filesystem::path& file, bool decode);

// Milliseconds to read one stream's events (all columns copied), for each of `streams`, in order.
std::vector<double> raw_read_streams(const std::filesystem::path& file, const std::vector<std::string>& streams);

}  // namespace evlite::bench
