#include "output.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <system_error>

#include <fmt/format.h>

#include "evlite/engine/ndjson.h"

namespace evlite::cli {

namespace {

// JSON text of `value`; bytes that are not UTF-8 (a tampered stream id) become U+FFFD instead of throwing.
std::string text_of(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace

std::string cell(const nlohmann::ordered_json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return text_of(value);
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
    fmt::print("{}\n", text_of(record));
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
    bool header = widths_.empty();
    if (header) {
      for (const std::string& column : columns_) widths_.push_back(column.size());
    }
    for (const auto& row : rows_) {
      for (std::size_t i = 0; i < row.size(); ++i) widths_[i] = std::max(widths_[i], row[i].size());
    }
    auto print_row = [&](const std::vector<std::string>& row) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += fmt::format("{:<{}}", row[i], i + 1 == row.size() ? 0 : widths_[i] + 2);
      }
      fmt::print("{}\n", line);
    };
    if (header) {
      std::vector<std::string> names = columns_;
      for (std::string& name : names) {
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
      }
      print_row(names);
    }
    for (const auto& row : rows_) print_row(row);
    rows_.clear();
  }
  std::fflush(stdout);
}

void Output::finish() {
  flush();
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    int error = errno != 0 ? errno : EIO;
    throw std::system_error(error, std::generic_category(), "writing the output failed");
  }
}

void Output::message(std::string_view text, const Record& record) {
  if (json_) {
    fmt::print("{}\n", text_of(record));
  } else {
    fmt::print("{}\n", text);
  }
}

}  // namespace evlite::cli
