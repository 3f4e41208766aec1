// Appending: validate outside the lock, then per stream: idempotency, expectation, insert (DESIGN.md §3).
#include <unordered_set>

#include <fmt/format.h>
#include <sqlite3.h>

#include "append.h"
#include "errors_internal.h"
#include "json_text.h"
#include "store_impl.h"
#include "stream_id.h"
#include "uuid.h"

namespace evlite {
namespace detail {

namespace {

// Whether two events' stored metadata is decided by the same inputs (apart from their own ids).
bool same_metadata(const NewEvent& a, const NewEvent& b) {
  return a.metadata == b.metadata && a.correlation_id == b.correlation_id && a.causation_id == b.causation_id;
}

}  // namespace

// Everything that can be checked without the store: ids, names and JSON. Runs before the write lock.
PreparedAppend prepare(std::string_view stream, ExpectedVersion expected, const std::vector<NewEvent>& events) {
  validate_stream_id(stream);
  if (events.empty()) throw InvalidArgument(fmt::format("append to stream {} has no events", printable(stream)));
  PreparedAppend out{std::string(stream), std::string(category_of(stream)), expected, {}};
  out.events.reserve(events.size());  // no reallocation: `caller_ids` points into the events' ids
  std::unordered_set<std::string_view> caller_ids;
  const PreparedEvent* reusable = nullptr;  // an earlier event whose stored metadata fits any event id
  for (std::size_t i = 0; i < events.size(); ++i) {
    const NewEvent& event = events[i];
    PreparedEvent& prepared = out.events.emplace_back(event);
    prepared.caller_id = !event.id.empty();
    prepared.id = prepared.caller_id ? canonical_uuid(event.id) : new_uuid_v7();
    try {
      validate_event_type(event.type);
      // Texts found surely JSON here, outside the write lock, are stored as given; the insert's json() checks
      // the others (and canonical() those not minified).
      prepared.data_minified = check_data_encoding(event.data);
      prepared.checked.data = prepared.data_minified && is_surely_json(event.data);
      if (reusable != nullptr && same_metadata(*reusable->source, event)) {
        prepared.metadata = reusable->metadata;  // the events of one command mostly share their metadata
        prepared.metadata_minified = reusable->metadata_minified;
        prepared.checked.metadata = true;  // the earlier event's insert checks this very text, or the append fails
      } else {
        StoredMetadata stored = stored_metadata(event, prepared.id);
        prepared.metadata = std::move(stored.text);
        prepared.metadata_minified = is_minified_json(prepared.metadata);
        prepared.checked.metadata =
            prepared.metadata_minified && (stored.surely_json || is_surely_json(prepared.metadata));
        // Metadata that does not contain the event's id did not default an id to it, so it is the same for
        // every event with this metadata. (Containing it is only a sign: the caller may have put it there.)
        reusable = prepared.metadata.find(prepared.id) == std::string::npos ? &prepared : nullptr;
      }
    } catch (const InvalidArgument& e) {  // add which event it was; built only on this failure path
      throw InvalidArgument(fmt::format("event {} of the append to stream {}: {}", i, printable(out.stream), e.what()));
    }
    if (prepared.caller_id && !caller_ids.insert(prepared.id).second) {
      throw DuplicateEventId(prepared.id, out.stream, "the same id appears twice in this append");
    }
  }
  return out;
}

namespace {

// The result of an earlier, identical append when this one is an exact retry of it; nullopt when none of
// its ids is stored. Any other reuse of stored ids is a DuplicateEventId.
std::optional<AppendResult> earlier_identical_append(EventTables& tables, const PreparedAppend& append) {
  std::optional<AppendResult> earlier;
  std::size_t found = 0;
  for (std::size_t i = 0; i < append.events.size(); ++i) {
    const PreparedEvent& event = append.events[i];
    auto stored = event.caller_id ? tables.find_event(event.id, event.data()) : std::nullopt;
    if (!stored) continue;
    if (stored->stream_id != append.stream) {
      throw DuplicateEventId(event.id, append.stream, fmt::format("it is stored in stream {}", printable(stored->stream_id)));
    }
    bool in_run = !earlier || stored->version.value == earlier->version.value + 1;
    if (found != i || !in_run || stored->type != event.type() || !stored->same_data) {
      throw DuplicateEventId(event.id, append.stream,
                             "it is stored, but this append is not an exact retry of the earlier one "
                             "(same ids in the same order, same types and data)");
    }
    earlier = AppendResult{stored->version, earlier ? earlier->first_position : stored->position, stored->position};
    ++found;
  }
  if (found != 0 && found != append.events.size()) {
    throw DuplicateEventId(append.events[found].id, append.stream,
                           fmt::format("only {} of the {} ids of this append are stored", found, append.events.size()));
  }
  return earlier;
}

// Chains and inserts one event at `link`'s next position. The hash covers the stored texts: the caller's when
// they are already minified (the common case, and no extra work), else json()'s canonical form of them.
// SQLite's json() is what rejects data (or metadata) that is not JSON, so that error is the caller's.
void insert_linked(EventTables& tables, const PreparedAppend& append, std::size_t i, StreamVersion version,
                   Timestamp now, EventTables::ChainLink& link) {
  thread_local std::string data, metadata;  // reused: no allocation per event once grown
  const PreparedEvent& event = append.events[i];
  try {
    bool minified = event.data_minified && event.metadata_minified;
    if (!minified) tables.canonical(event.data(), event.metadata, data, metadata);
    EventFields fields{Position{link.position.value + 1}, append.stream, version, event.id, event.type(),
                       event.schema_version(), minified ? event.data() : data, minified ? event.metadata : metadata,
                       now};
    ChainHash hash = chain_hash(link.hash, fields);
    // canonical() checked both texts.
    JsonChecked checked{.data = !minified || event.checked.data, .metadata = !minified || event.checked.metadata};
    tables.insert_event(fields, hash, checked);
    link = {fields.position, hash};
  } catch (const SQLite::Exception& e) {
    if (std::string_view(e.what()).find("malformed JSON") == std::string_view::npos) throw;
    throw InvalidArgument(fmt::format("event {} ({}) of the append to stream {}: {} is not valid JSON", i,
                                      printable(event.type()), printable(append.stream),
                                      is_strict_json(event.data()) ? "metadata" : "data"));
  }
}

}  // namespace

AppendResult write(EventTables& tables, const PreparedAppend& append, Timestamp now, EventTables::ChainLink& link) {
  try {
    if (auto earlier = earlier_identical_append(tables, append)) return *earlier;
    StreamVersion current = tables.stream_version(append.stream);
    if (!append.expected.accepts(current)) throw WrongExpectedVersion(append.stream, append.expected, current);
    AppendResult result{current, {}, {}};
    EventTables::ChainLink next = link;
    for (std::size_t i = 0; i < append.events.size(); ++i) {
      ++result.version.value;
      insert_linked(tables, append, i, result.version, now, next);
      result.last_position = next.position;
      if (result.first_position.value == 0) result.first_position = result.last_position;
    }
    tables.upsert_stream(append.stream, append.category, result.version, now);
    link = next;
    return result;
  } catch (const SQLite::Exception& e) {
    // A text over SQLite's length limit is this append's own fault, not the store's: it fails alone, as bad
    // JSON does, and not the group it shares a transaction with.
    if (e.getErrorCode() != SQLITE_TOOBIG) throw;
    throw InvalidArgument(fmt::format("append to stream {}: an event's data or metadata is longer than SQLite's "
                                      "length limit ({})",
                                      printable(append.stream), e.what()));
  }
}

}  // namespace detail

AppendResult EventStore::append(std::string_view stream, ExpectedVersion expected,
                                const std::vector<NewEvent>& events) {
  std::string context = fmt::format("{}: append to stream {}", impl_->path_text, detail::printable(stream));
  return detail::translate_errors(context, [&] {
    std::vector<detail::PreparedAppend> parts;
    parts.push_back(detail::prepare(stream, expected, events));
    return impl_->appends.submit(parts, context).front();
  });
}

std::vector<AppendResult> EventStore::append_many(const std::vector<StreamAppend>& appends) {
  std::string context = fmt::format("{}: append_many", impl_->path_text);
  return detail::translate_errors(context, [&] {
    if (appends.empty()) throw InvalidArgument("append_many needs at least one stream append");
    std::vector<detail::PreparedAppend> parts;
    parts.reserve(appends.size());
    for (const StreamAppend& a : appends) parts.push_back(detail::prepare(a.stream, a.expected, a.events));
    return impl_->appends.submit(parts, context);
  });
}

}  // namespace evlite
