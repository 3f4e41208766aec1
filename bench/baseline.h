// The physical limit: the same rows written with the plain sqlite3 C API, on the same schema, pragmas and
// id scheme, with nothing of evlite's checks. Every workload's ratio is measured against this.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace evlite::bench {

struct Payload {
  std::string data;
  std::string metadata;
};

// Appends `events` rows in transactions of `per_transaction` rows to streams round robin over `streams`,
// reading each stream's version first (as an Exact expectation needs). `full_sync` picks synchronous=FULL.
// The file must already hold the evlite schema. Returns seconds taken.
double raw_append(const std::filesystem::path& file, std::int64_t events, std::int64_t per_transaction,
                  int streams, bool full_sync, const Payload& payload);

}  // namespace evlite::bench
