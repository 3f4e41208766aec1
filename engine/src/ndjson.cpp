// The NDJSON codec: events to lines with their stored JSON embedded, and lines back to events exactly.
// Parsing goes through SQLite's JSON functions because they hand back a sub-value's text as it was written
// (2.50 stays 2.50, escapes stay escapes), which a document parser would re-serialise.
#include "evlite/engine/ndjson.h"

#include <charconv>
#include <map>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include "errors_internal.h"
#include "json_text.h"

namespace evlite {

std::string to_ndjson(const RecordedEvent& e) {
  std::string out;
  out.reserve(128 + e.stream_id.size() + e.type.size() + e.data.size() + e.metadata.size());
  out += fmt::format(R"({{"position":{},"stream":)", e.position.value);
  detail::append_json_string(out, e.stream_id);
  out += fmt::format(R"(,"version":{},"id":)", e.version.value);
  detail::append_json_string(out, e.id);
  out += R"(,"type":)";
  detail::append_json_string(out, e.type);
  out += fmt::format(R"(,"schema_version":{},"data":)", e.schema_version);
  out += e.data;
  out += R"(,"metadata":)";
  out += e.metadata;
  out += R"(,"recorded_at":")";
  out += to_iso8601(e.recorded_at);
  out += "\"}";
  return out;
}

Timestamp from_iso8601(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS.ffffffZ, exactly as to_iso8601 writes it.
  auto number = [&](std::size_t at, std::size_t digits) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data() + at, text.data() + at + digits, value);
    if (error != std::errc{} || end != text.data() + at + digits) return -1;
    return value;
  };
  auto refuse = [&]() -> Timestamp {
    throw InvalidArgument(fmt::format("timestamp {} is not of the form 2026-11-23T06:42:08.123456Z",
                                      detail::printable(text)));
  };
  bool shape = text.size() == 27 && text[4] == '-' && text[7] == '-' && text[10] == 'T' && text[13] == ':' &&
               text[16] == ':' && text[19] == '.' && text[26] == 'Z';
  if (!shape) return refuse();  // before reading any field: a shorter text has no bytes to read there
  int year = number(0, 4), month = number(5, 2), day = number(8, 2), hour = number(11, 2), minute = number(14, 2),
      second = number(17, 2), micros = number(20, 6);
  std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                   std::chrono::day(static_cast<unsigned>(day))};
  if (year < 0 || micros < 0 || !date.ok() || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second > 59) {
    return refuse();
  }
  return Timestamp(std::chrono::sys_days(date).time_since_epoch() + std::chrono::hours(hour) +
                   std::chrono::minutes(minute) + std::chrono::seconds(second) + std::chrono::microseconds(micros));
}

namespace {

struct Field {
  std::string type;  // json_type: null, true, false, integer, real, text, array, object
  std::string text;  // the value as SQL text (strings unescaped)
  std::int64_t integer = 0;
};

}  // namespace

struct NdjsonReader::Impl {
  SQLite::Database db{":memory:", SQLite::OPEN_READWRITE};
  // CASE, not AND: SQLite may evaluate json_type() on malformed text, which raises an error.
  SQLite::Statement valid{db, "SELECT CASE WHEN json_valid(?1) THEN json_type(?1) = 'object' ELSE 0 END"};
  SQLite::Statement keys{db, "SELECT key, type, value FROM json_each(?1)"};
  // One parse of the line (SQLite caches it across the row's JSON calls): the texts, and whether the
  // metadata names its correlation and causation as strings.
  SQLite::Statement raw{db, "SELECT ?1 -> '$.data', ?1 -> '$.metadata', "
                            "json_type(?1, '$.metadata.correlation_id') = 'text' AND "
                            "json_type(?1, '$.metadata.causation_id') = 'text'"};

  // The top-level fields of `line`. Throws InvalidArgument naming the line for anything but a JSON object
  // without repeated keys or keys outside `allowed`.
  std::map<std::string, Field, std::less<>> fields(std::string_view line, std::int64_t number,
                                                   std::initializer_list<std::string_view> allowed) {
    std::map<std::string, Field, std::less<>> out;
    valid.reset();
    valid.bind(1, std::string(line));
    valid.executeStep();
    bool is_object = valid.getColumn(0).getInt() == 1;
    valid.reset();
    if (!is_object) fail(number, "not a JSON object");
    detail::translate_errors(fmt::format("line {}", number), [&] {
      keys.reset();
      keys.bind(1, std::string(line));
      while (keys.executeStep()) {
        std::string key = keys.getColumn(0).getString();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) fail(number, fmt::format("unknown key \"{}\"", key));
        Field field{keys.getColumn(1).getString(), keys.getColumn(2).getString(), keys.getColumn(2).getInt64()};
        if (!out.emplace(key, std::move(field)).second) fail(number, fmt::format("key \"{}\" appears twice", key));
      }
      keys.reset();
    });
    return out;
  }

  [[noreturn]] static void fail(std::int64_t number, std::string_view problem) {
    throw InvalidArgument(fmt::format("line {}: {}", number, problem));
  }

  static const Field& need(const std::map<std::string, Field, std::less<>>& f, std::string_view key, std::string_view type,
                           std::int64_t number) {
    auto found = f.find(key);
    if (found == f.end()) fail(number, fmt::format("key \"{}\" is missing", key));
    if (!type.empty() && found->second.type != type) {
      fail(number, fmt::format("key \"{}\" must be {}, not {}", key, type == "text" ? "a string" : type, found->second.type));
    }
    return found->second;
  }

  // SQLite's JSON parser is lenient about UTF-8; the store is not.
  static const std::string& strict(const std::string& text, std::string_view key, std::int64_t number) {
    try {
      detail::check_data(text);
    } catch (const InvalidArgument&) {
      fail(number, fmt::format("{} is not valid JSON", key));
    }
    return text;
  }

  // The exact JSON text of data and metadata, and whether the metadata has both chain ids.
  struct Texts {
    std::string data;
    std::string metadata;
    bool chain_ids = false;
  };
  Texts texts(std::string_view line) {
    raw.reset();
    raw.bind(1, std::string(line));
    raw.executeStep();
    Texts out{raw.getColumn(0).getString(), raw.getColumn(1).getString(), raw.getColumn(2).getInt() != 0};
    raw.reset();
    return out;
  }
};

NdjsonReader::NdjsonReader() : impl_(std::make_unique<Impl>()) {}
NdjsonReader::~NdjsonReader() = default;

RecordedEvent NdjsonReader::recorded_event(std::string_view line, std::int64_t number) {
  auto f = impl_->fields(line, number, {"position", "stream", "version", "id", "type", "schema_version", "data",
                                        "metadata", "recorded_at"});
  RecordedEvent e;
  e.position = Position{Impl::need(f, "position", "integer", number).integer};
  e.stream_id = Impl::need(f, "stream", "text", number).text;
  e.version = StreamVersion{Impl::need(f, "version", "integer", number).integer};
  if (e.position.value < 1) Impl::fail(number, "position must be 1 or more");
  if (e.version.value < 1) Impl::fail(number, "version must be 1 or more");
  e.id = Impl::need(f, "id", "text", number).text;
  e.type = Impl::need(f, "type", "text", number).text;
  std::int64_t schema = Impl::need(f, "schema_version", "integer", number).integer;
  if (schema < 1 || schema > std::numeric_limits<std::int32_t>::max()) Impl::fail(number, "schema_version is out of range");
  e.schema_version = static_cast<std::int32_t>(schema);
  Impl::need(f, "data", "", number);
  Impl::need(f, "metadata", "object", number);
  Impl::Texts texts = impl_->texts(line);
  e.data = std::move(texts.data);
  e.metadata = std::move(texts.metadata);
  impl_->strict(e.data, "data", number);
  impl_->strict(e.metadata, "metadata", number);
  // Every stored event's metadata names its correlation and causation (event.h), and every export has them.
  if (!texts.chain_ids) Impl::fail(number, "metadata needs a string \"correlation_id\" and \"causation_id\"");
  try {
    e.recorded_at = from_iso8601(Impl::need(f, "recorded_at", "text", number).text);
  } catch (const InvalidArgument& error) {
    Impl::fail(number, error.what());
  }
  return e;
}

NewEvent NdjsonReader::new_event(std::string_view line, std::int64_t number) {
  auto f = impl_->fields(line, number, {"type", "data", "metadata", "id", "schema_version"});
  NewEvent e;
  e.type = Impl::need(f, "type", "text", number).text;
  auto [data, metadata, chain_ids] = impl_->texts(line);  // a new event's ids are the append's to decide
  if (f.contains("data")) e.data = impl_->strict(data, "data", number);
  if (f.contains("metadata")) {
    Impl::need(f, "metadata", "object", number);
    e.metadata = impl_->strict(metadata, "metadata", number);
  }
  if (f.contains("id")) e.id = Impl::need(f, "id", "text", number).text;
  if (f.contains("schema_version")) {
    std::int64_t schema = Impl::need(f, "schema_version", "integer", number).integer;
    if (schema < 1 || schema > std::numeric_limits<std::int32_t>::max()) Impl::fail(number, "schema_version is out of range");
    e.schema_version = static_cast<std::int32_t>(schema);
  }
  return e;
}

}  // namespace evlite
