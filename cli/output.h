// The CLI's only writer of results: aligned human tables by default, one JSON object per line with --json.
// Data goes to stdout; progress and diagnostics go to stderr (progress.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "evlite/engine/event.h"

namespace evlite::cli {

class Output {
 public:
  explicit Output(bool json) : json_(json) {}

  bool json() const { return json_; }

  // One event: its NDJSON line, or a row of the events table. Streams: nothing is buffered.
  void event(const RecordedEvent& event);

  // One record: a JSON object line with these keys in this order, or a row of an aligned table whose
  // header is the keys. Table rows are buffered until flush() so that columns line up; a table flushed a
  // page at a time has one header, and columns that only widen.
  using Record = nlohmann::ordered_json;
  void record(const Record& record);
  void flush();
  // After a command succeeded: flushes, and throws std::system_error if anything written to stdout was
  // lost (a full disk, a closed pipe), so that the command does not exit 0 with its output cut short.
  // Not called after an error: a half-gathered table is not printed.
  void finish();

  // A sentence for people; in --json mode `record` is printed instead.
  void message(std::string_view text, const Record& record);

 private:
  bool json_;
  bool events_header_ = false;
  std::vector<std::string> columns_;
  std::vector<std::size_t> widths_;  // of the table so far; empty until its header is printed
  std::vector<std::vector<std::string>> rows_;
};

// Human text for a JSON value in a table cell: strings bare, the rest as JSON.
std::string cell(const nlohmann::ordered_json& value);

}  // namespace evlite::cli
