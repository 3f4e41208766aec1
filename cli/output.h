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
  ~Output();

  bool json() const { return json_; }

  // One event: its NDJSON line, or a row of the events table. Streams: nothing is buffered.
  void event(const RecordedEvent& event);

  // One record: a JSON object line with these keys in this order, or a row of an aligned table whose
  // header is the keys. Table rows are buffered until flush() so that columns line up.
  using Record = nlohmann::ordered_json;
  void record(const Record& record);
  void flush();

  // A sentence for people; in --json mode `record` is printed instead.
  void message(std::string_view text, const Record& record);

 private:
  bool json_;
  bool events_header_ = false;
  std::vector<std::string> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// Human text for a JSON value in a table cell: strings bare, the rest as JSON.
std::string cell(const nlohmann::ordered_json& value);

}  // namespace evlite::cli
