#include "output.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "evlite/engine/ndjson.h"

namespace evlite::cli {

Output::~Output() { flush(); }

std::string cell(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return value.dump();
}

void Output::event(const RecordedEvent& e) {
  if (json_) {
    fmt::print("{}\n", to_ndjson(e));
    return;
  }
  if (!events_header_) {
    fmt::print("{:>9}  {:<24} {:>7}  {:<22} {:<27}  {}\n", "POSITION", "STREAM", "VERSION", "TYPE", "RECORDED_AT",
               "DATA");
    events_header_ = true;
  }
  fmt::print("{:>9}  {:<24} {:>7}  {:<22} {:<27}  {}\n", e.position.value, e.stream_id, e.version.value, e.type,
             to_iso8601(e.recorded_at), e.data);
}

void Output::record(const Record& record) {
  if (json_) {
    fmt::print("{}\n", record.dump());
    return;
  }
  if (columns_.empty()) {
    for (const auto& [key, value] : record.items()) columns_.push_back(key);
  }
  std::vector<std::string> row;
  for (const std::string& column : columns_) row.push_back(record.contains(column) ? cell(record[column]) : "");
  rows_.push_back(std::move(row));
}

void Output::flush() {
  if (!columns_.empty()) {
    std::vector<std::size_t> widths;
    for (const std::string& column : columns_) widths.push_back(column.size());
    for (const auto& row : rows_) {
      for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    auto print_row = [&](const std::vector<std::string>& row, bool header) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        std::string text = header ? row[i] : row[i];
        if (header) std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
        line += fmt::format("{:<{}}", text, i + 1 == row.size() ? 0 : widths[i] + 2);
      }
      fmt::print("{}\n", line);
    };
    print_row(columns_, true);
    for (const auto& row : rows_) print_row(row, false);
    columns_.clear();
    rows_.clear();
  }
  std::fflush(stdout);
}

void Output::message(std::string_view text, const Record& record) {
  if (json_) {
    fmt::print("{}\n", record.dump());
  } else {
    fmt::print("{}\n", text);
  }
}

}  // namespace evlite::cli
