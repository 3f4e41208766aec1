// Import: NDJSON lines into the store in one transaction, exactly (into an empty store) or by idempotent
// re-append.
#include <fmt/format.h>
#include <sqlite3.h>

#include "append.h"
#include "evlite/engine/ndjson.h"
#include "json_text.h"
#include "store_impl.h"
#include "stream_id.h"
#include "uuid.h"

namespace evlite {
namespace {

constexpr std::int64_t kProgressEvery = 10'000;

// Checks one exported event against what the transaction has written so far, then inserts it as it was.
void insert_exact(detail::EventTables& tables, const RecordedEvent& e, detail::EventTables::ChainLink& link,
                  std::int64_t line) {
  auto fail = [&](std::string problem) { throw InvalidArgument(fmt::format("line {}: {}", line, problem)); };
  try {
    detail::validate_stream_id(e.stream_id);
    detail::validate_event_type(e.type);
    if (detail::canonical_uuid(e.id) != e.id) fail(fmt::format("event id {} is not in lower-case canonical form", e.id));
  } catch (const InvalidArgument& error) {
    fail(error.what());
  }
  if (e.position <= link.position) {
    fail(fmt::format("position {} does not follow position {}", e.position.value, link.position.value));
  }
  StreamVersion current = tables.stream_version(e.stream_id);
  if (e.version.value != current.value + 1) {
    fail(fmt::format("stream {} version {} does not follow its version {}", e.stream_id, e.version.value, current.value));
  }
  if (tables.find_event(e.id, e.data)) fail(fmt::format("event id {} appears twice", e.id));
  std::string data, metadata;
  tables.canonical(e.data, e.metadata, data, metadata);
  detail::EventFields fields{e.position, e.stream_id, e.version, e.id, e.type, e.schema_version, data, metadata,
                             e.recorded_at};
  link.hash = detail::chain_hash(link.hash, fields);
  link.position = e.position;
  tables.insert_event(fields, link.hash, {.data = true, .metadata = true});  // canonical() checked them
  tables.upsert_stream(e.stream_id, category_of(e.stream_id), e.version, e.recorded_at);
}

}  // namespace

EventStore::ImportResult EventStore::import_ndjson(std::istream& in, ImportMode mode,
                                                   const std::function<void(std::int64_t lines)>& progress) {
  std::string context = fmt::format("{}: import", impl_->path_text);
  return detail::translate_errors(context, [&] {
    ImportResult result;
    NdjsonReader reader;
    int attempt = 0;
    const std::istream::pos_type start = in.tellg();  // -1 for input that cannot be read twice (a pipe)
    detail::write_locked(*impl_, context, [&](detail::EventTables& tables) {
      result = {};
      if (attempt++ > 0) {  // a transaction retried after SQLITE_BUSY reads its input again
        in.clear();
        if (start == std::istream::pos_type(-1) || !in.seekg(start)) {
          throw StorageError(SQLITE_BUSY, fmt::format("{}: another process took the write lock during the import, "
                                                      "and the input cannot be read again; nothing was imported",
                                                      context));
        }
      }
      if (mode == ImportMode::Exact && !tables.is_empty()) {
        throw InvalidArgument(fmt::format("{}: the store is not empty; import into an empty store, or re-append "
                                          "idempotently with ImportMode::Append (--append)",
                                          impl_->path_text));
      }
      detail::EventTables::ChainLink link = tables.last_link();
      Timestamp now = detail::now();
      for (std::string line; std::getline(in, line);) {
        ++result.lines;
        if (line.empty()) continue;
        if (mode == ImportMode::Exact) {
          insert_exact(tables, reader.recorded_event(line, result.lines), link, result.lines);
          ++result.written;
        } else {
          RecordedEvent e = reader.recorded_event(line, result.lines);
          NewEvent event{.type = e.type, .data = e.data, .metadata = e.metadata, .id = e.id,
                         .schema_version = e.schema_version};
          StreamVersion before = tables.stream_version(e.stream_id);
          AppendResult written;
          try {
            written = detail::write(tables, detail::prepare(e.stream_id, ExpectedVersion::any(), {event}), now, link);
          } catch (const InvalidArgument& error) {  // the append's checks (stream id, type, id) name no line
            throw InvalidArgument(fmt::format("line {}: {}", result.lines, error.what()));
          } catch (const DuplicateEventId& error) {
            throw DuplicateEventId(error.event_id(), error.stream(),
                                   fmt::format("line {}: {}", result.lines, error.detail()));
          }
          if (written.version > before) ++result.written;
        }
        if (progress && result.lines % kProgressEvery == 0) progress(result.lines);
      }
      if (in.bad()) throw StorageError(0, fmt::format("{}: reading the input failed", context));
    });
    return result;
  });
}

}  // namespace evlite
