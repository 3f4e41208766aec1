#include "json_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "errors_internal.h"
#include "stream_id.h"

namespace evlite::detail {
namespace {

using nlohmann::json;

// JSON text never holds a raw control byte but tab, LF and CR (whitespace); inside strings they must be
// escaped. Refusing them matters: SQLite's json() reads text only up to a NUL byte, so it would store less
// than was hashed.
bool has_json_bytes_only(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r';
  });
}

// What one pass over JSON text finds without parsing it (event data is the bulk of every append, so one
// pass instead of three): the first problem with its bytes, and whether it has whitespace between tokens.
struct TextScan {
  const char* problem = nullptr;  // "not valid UTF-8" or "not valid JSON (a raw control character)"
  bool minified = true;
};

// What scan_text must look at in a byte: nothing (kPlain) for most bytes of any text.
enum ByteClass : unsigned char { kPlain, kQuote, kBackslash, kSpace, kControl, kHigh };
constexpr std::array<ByteClass, 256> kByteClasses = [] {
  std::array<ByteClass, 256> classes{};
  for (int byte = 0; byte < 0x20; ++byte) classes[byte] = kControl;
  for (int byte : {' ', '\t', '\n', '\r'}) classes[byte] = kSpace;
  classes['"'] = kQuote;
  classes['\\'] = kBackslash;
  for (int byte = 0x80; byte < 0x100; ++byte) classes[byte] = kHigh;
  return classes;
}();

TextScan scan_text(std::string_view text) {
  TextScan scan;
  bool in_string = false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  auto class_at = [&](std::size_t i) { return kByteClasses[bytes[i]]; };
  for (std::size_t i = 0; i < text.size();) {
    switch (class_at(i)) {
      case kPlain:  // a run of them in a loop of its own: 0.15 µs for the bench's 262-byte data, against 0.41
        do ++i;
        while (i < text.size() && class_at(i) == kPlain);
        break;
      case kQuote:
        in_string = !in_string;
        ++i;
        break;
      case kBackslash:
        ++i;
        // In a string it escapes the next byte: an escaped quote or backslash neither ends the string nor
        // escapes. Any other byte after it is looked at as usual.
        if (in_string && i < text.size() && (class_at(i) == kQuote || class_at(i) == kBackslash)) ++i;
        break;
      case kSpace:
        if (!in_string) scan.minified = false;
        ++i;
        break;
      case kControl:
        return {.problem = "not valid JSON (a raw control character)", .minified = false};
      case kHigh: {  // inside a string, or json() refuses it: either way nothing for the JSON state
        char32_t code_point = 0;
        std::size_t length = decode_utf8(text, i, code_point);
        if (length == 0) return {.problem = "not valid UTF-8", .minified = false};
        i += length;
        break;
      }
    }
  }
  return scan;
}

// simdjson's document of `text` when is_surely_json(text); it lives until this thread parses again.
std::optional<simdjson::dom::element> surely_json_document(std::string_view text) {
  // A minified JSON text starts with its value. Checked here, not left to simdjson: from 3.6 it skips a
  // leading byte-order mark, which json() refuses.
  constexpr std::string_view kValueStarts = "{[\"-0123456789tfn";
  if (text.empty() || text.size() > kMaxFastText || kValueStarts.find(text.front()) == std::string_view::npos) {
    return std::nullopt;
  }
  // One parser per thread (appends prepare in their own threads, outside any lock), its buffers reused and
  // grown to the largest text it has seen; growing keeps the depth limit. Should memory run out, json()
  // decides, as for any text not vouched for here.
  thread_local simdjson::dom::parser parser(kMaxFastText);
  if (parser.max_depth() != kMaxFastDepth && parser.allocate(1024, kMaxFastDepth) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  // Copied into the parser's own buffer, which has the padding simdjson reads past a text's end.
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size(), true).get(root) != simdjson::SUCCESS) return std::nullopt;
  return root;
}

// Validates a metadata text and notes the two id keys at its top level, without building a document.
class MetadataScan : public nlohmann::json_sax<json> {
 public:
  bool is_object = false;
  bool empty = true;
  std::optional<std::string> correlation_id;
  std::optional<std::string> causation_id;
  std::string error;

  bool null() override { return value(); }
  bool boolean(bool) override { return value(); }
  bool number_integer(number_integer_t) override { return value(); }
  bool number_unsigned(number_unsigned_t) override { return value(); }
  bool number_float(number_float_t, const string_t&) override { return value(); }
  bool binary(binary_t&) override { return value(); }
  bool string(string_t& s) override {
    if (depth_ == 1 && target_ != nullptr) *target_ = s;
    target_ = nullptr;
    return true;
  }
  bool start_object(std::size_t) override {
    if (depth_ == 0) is_object = true;
    return value() && (++depth_, true);
  }
  bool end_object() override { return --depth_, true; }
  bool start_array(std::size_t) override { return value() && (++depth_, true); }
  bool end_array() override { return --depth_, true; }
  bool key(string_t& k) override {
    if (depth_ != 1) return true;
    empty = false;
    target_ = k == "correlation_id" ? &correlation_id : k == "causation_id" ? &causation_id : nullptr;
    if (target_ != nullptr && target_->has_value()) return fail(fmt::format("key \"{}\" appears twice", k));
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return fail(e.what());
  }

  // Scans a document simdjson parsed, as sax_parse would scan its text: only the top level matters, so a
  // nested value is fed as a null (a non-string where an id may be expected). False on the first problem.
  bool scan_top_level(simdjson::dom::element root) {
    simdjson::dom::object object;
    if (root.get_object().get(object) != simdjson::SUCCESS) return null();  // valid JSON, not an object
    if (!start_object(object.size())) return false;
    for (simdjson::dom::key_value_pair field : object) {
      string_t key_text(field.key);
      if (!key(key_text)) return false;
      std::string_view text;
      if (field.value.get_string().get(text) == simdjson::SUCCESS) {
        string_t value_text(text);
        string(value_text);
      } else if (!null()) {
        return false;
      }
    }
    return end_object();
  }

 private:
  // A non-string value where an id was expected.
  bool value() {
    if (depth_ == 1 && target_ != nullptr) return fail("correlation_id and causation_id must be strings");
    target_ = nullptr;
    return true;
  }
  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }
  int depth_ = 0;
  std::optional<std::string>* target_ = nullptr;
};

// The id an event's metadata must carry under `key`: the field when set, else what the metadata has, else
// the event's own id.
std::string chosen_id(std::string_view key, const std::string& field, const std::optional<std::string>& in_metadata,
                      std::string_view event_id) {
  if (!field.empty() && !is_printable_utf8(field)) {
    throw InvalidArgument(fmt::format("{} {} must be valid UTF-8 without control characters", key, printable(field)));
  }
  if (!field.empty()) return field;
  return in_metadata ? *in_metadata : std::string(event_id);
}

}  // namespace

bool is_strict_json(std::string_view text) { return json::accept(text); }

void check_data(std::string_view text) {
  if (!is_strict_json(text)) throw InvalidArgument("data is not valid JSON");
}

bool check_data_encoding(std::string_view text) {
  TextScan scan = scan_text(text);
  if (scan.problem != nullptr) throw InvalidArgument(fmt::format("data is {}", scan.problem));
  return scan.minified;
}

namespace {

// The metadata to store: `text` with the ids the event must carry, found by `scan`.
std::string with_ids(const NewEvent& event, std::string_view event_id, std::string_view text,
                     const MetadataScan& scan);

// `text` with each \u escape of an ASCII character decoded, the other escapes left as they are: enough to
// compare with the id keys, which are ASCII letters and '_', whatever the spelling ("correlation\u005fid").
std::string ascii_unescaped(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      unsigned code = 0;
      const char* hex = text.data() + i + 2;
      if (text[i + 1] == 'u' && i + 6 <= text.size() && std::from_chars(hex, hex + 4, code, 16).ptr == hex + 4 &&
          code < 0x80) {
        out += static_cast<char>(code);
        i += 5;
        continue;
      }
      out += text[i++];  // an escape that cannot spell a key letter, kept: its backslash and the next byte
    }
    out += text[i];
  }
  return out;
}

bool mentions_id_key(std::string_view text) {
  auto mentions = [](std::string_view t) {
    return t.find("correlation_id") != std::string_view::npos || t.find("causation_id") != std::string_view::npos;
  };
  return mentions(text) || (text.find('\\') != std::string_view::npos && mentions(ascii_unescaped(text)));
}

// The metadata `text` when it cannot hold the id keys: shaped as an object, valid UTF-8, and then what the
// scan would have found. Its syntax is left to the insert's json(); the caller checked for control bytes.
std::optional<MetadataScan> scan_without_keys(std::string_view text) {
  if (mentions_id_key(text)) return std::nullopt;
  std::size_t open = text.find_first_not_of(" \t\r\n");
  std::size_t close = text.find_last_not_of(" \t\r\n");
  if (open == std::string_view::npos || text[open] != '{' || text[close] != '}' || !is_valid_utf8(text)) {
    return std::nullopt;  // the full scan names what is wrong
  }
  MetadataScan scan;
  scan.is_object = true;
  scan.empty = text.find_first_not_of(" \t\r\n", open + 1) == close;
  return scan;
}

}  // namespace

StoredMetadata stored_metadata(const NewEvent& event, std::string_view event_id) {
  std::string_view text = event.metadata;
  if (!has_json_bytes_only(text)) throw InvalidArgument("metadata must be a JSON object without raw control characters");
  if (auto quick = scan_without_keys(text)) return {with_ids(event, event_id, text, *quick)};
  // Commands stamp their ids into metadata, so this is common: simdjson scans it in a fraction of the time
  // nlohmann's parser takes (0.22 against 0.9 µs for the bench's, the check of the stored text included),
  // which scans what simdjson cannot vouch for.
  MetadataScan scan;
  auto document = surely_json_document(text);
  bool scanned = document ? scan.scan_top_level(*document) : json::sax_parse(text, &scan);
  if (!scanned || !scan.is_object) {
    throw InvalidArgument(fmt::format("metadata must be a JSON object{}{}", scan.error.empty() ? "" : ": ", scan.error));
  }
  StoredMetadata stored{with_ids(event, event_id, text, scan)};
  stored.surely_json = document.has_value() && stored.text == text;  // the ids were there: nothing to parse again
  return stored;
}

namespace {

// Where a member lies in an object's text: its key (quotes included) and its value.
struct Member {
  std::size_t key_begin = 0, key_end = 0, value_begin = 0, value_end = 0;
};

// Calls found(key, member) for each member at the top level of `text`, a JSON object, its key with ASCII
// escapes decoded. Finds only where tokens end, trusting the syntax (checked by a parser before, or by
// SQLite for a stored text), so that no value need be in any parser's range; never reads past the text,
// whatever it holds. False when the walk did not end at the object's closing brace.
template <class Found>
bool walk_top_level(std::string_view text, Found&& found) {
  const std::size_t size = text.size();
  std::size_t i = text.find('{');
  if (i == std::string_view::npos) return false;
  ++i;
  auto skip_space = [&] {
    while (i < size && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  };
  auto past_string = [&](std::size_t j) {  // the index after the string that opens at `j`
    for (++j; j < size && text[j] != '"';) j += text[j] == '\\' ? 2 : 1;
    return std::min(j + 1, size);
  };
  auto past_value = [&](std::size_t j) {  // the index after the value that starts at `j`
    if (j < size && text[j] == '"') return past_string(j);
    if (j < size && (text[j] == '{' || text[j] == '[')) {
      int depth = 0;
      do {
        if (text[j] == '"') {
          j = past_string(j);
          continue;
        }
        if (text[j] == '{' || text[j] == '[') ++depth;
        if (text[j] == '}' || text[j] == ']') --depth;
        ++j;
      } while (depth > 0 && j < size);
      return j;
    }
    constexpr std::string_view kAfterScalar = ",}] \t\n\r";  // a number, true, false or null ends here
    while (j < size && kAfterScalar.find(text[j]) == std::string_view::npos) ++j;
    return j;
  };
  for (skip_space(); i < size && text[i] == '"';) {
    Member member{.key_begin = i, .key_end = past_string(i)};
    if (member.key_end - member.key_begin < 2) return false;
    std::string key = ascii_unescaped(text.substr(member.key_begin + 1, member.key_end - member.key_begin - 2));
    i = member.key_end;
    skip_space();
    if (i >= size || text[i] != ':') return false;
    ++i;
    skip_space();
    member.value_begin = i;
    member.value_end = i = past_value(i);
    found(key, member);
    skip_space();
    if (i < size && text[i] == ',') ++i;
    skip_space();
  }
  return i < size && text[i] == '}';
}

// The members of the id keys at the top level of `text`, metadata that the scan accepted.
std::array<std::optional<Member>, 2> id_members(std::string_view text) {
  std::array<std::optional<Member>, 2> found;  // correlation_id, causation_id
  walk_top_level(text, [&](const std::string& key, const Member& member) {
    if (key == "correlation_id") found[0] = member;
    if (key == "causation_id") found[1] = member;
  });
  return found;
}

std::string with_ids(const NewEvent& event, std::string_view event_id, std::string_view text,
                     const MetadataScan& scan) {
  const std::array<std::string_view, 2> keys = {"correlation_id", "causation_id"};
  const std::array<std::string, 2> ids = {
      chosen_id(keys[0], event.correlation_id, scan.correlation_id, event_id),
      chosen_id(keys[1], event.causation_id, scan.causation_id, event_id)};
  const std::array<const std::optional<std::string>*, 2> given = {&scan.correlation_id, &scan.causation_id};
  // The caller's text is kept byte for byte (numbers and strings as written): an id key it has keeps its
  // place, its value replaced only where a field overrides it, and its key respelled only where escapes
  // spelled it (so that json_extract finds it); an id key it lacks goes in front.
  if (*given[0] == ids[0] && *given[1] == ids[1] && text.find('\\') == std::string_view::npos) {
    return std::string(text);  // commands that stamp both ids: nothing to change, and no escape to respell
  }
  std::string out(text);
  if (given[0]->has_value() || given[1]->has_value()) {
    auto members = id_members(text);
    // The later member first, so that the earlier one's offsets still hold.
    std::array<std::size_t, 2> order = {0, 1};
    if (members[0] && members[1] && members[0]->key_begin < members[1]->key_begin) order = {1, 0};
    for (std::size_t k : order) {
      if (!members[k]) continue;
      const Member& m = *members[k];
      if (**given[k] != ids[k]) {
        std::string value;
        append_json_string(value, ids[k]);
        out.replace(m.value_begin, m.value_end - m.value_begin, value);
      }
      std::string quoted_key;
      append_json_string(quoted_key, keys[k]);
      if (text.substr(m.key_begin, m.key_end - m.key_begin) != quoted_key) {
        out.replace(m.key_begin, m.key_end - m.key_begin, quoted_key);
      }
    }
  }
  std::string front;
  for (std::size_t k = 0; k < 2; ++k) {
    if (given[k]->has_value()) continue;
    if (!front.empty()) front += ',';
    append_json_string(front, keys[k]);
    front += ':';
    append_json_string(front, ids[k]);
  }
  if (front.empty()) return out;
  if (!scan.empty) front += ',';
  out.insert(out.find('{') + 1, front);
  return out;
}

}  // namespace

std::string metadata_string(std::string_view metadata, std::string_view key) {
  std::optional<Member> at;
  bool object = walk_top_level(metadata, [&](const std::string& k, const Member& member) {
    if (k == key && !at) at = member;
  });
  if (!object) throw InvalidArgument("metadata is not a JSON object");
  if (!at) throw InvalidArgument(fmt::format("metadata has no \"{}\"", key));
  json value = json::parse(metadata.substr(at->value_begin, at->value_end - at->value_begin), nullptr, false);
  if (!value.is_string()) throw InvalidArgument(fmt::format("metadata's \"{}\" is not a string", key));
  return value.get<std::string>();
}

bool is_minified_json(std::string_view text) {
  TextScan scan = scan_text(text);
  return scan.problem == nullptr && scan.minified;
}

bool is_surely_json(std::string_view text) { return surely_json_document(text).has_value(); }

void append_json_string(std::string& out, std::string_view text) {
  bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != '"' && c != '\\';
  });
  if (plain) {
    out += '"';
    out += text;
    out += '"';
  } else {
    out += json(std::string(text)).dump();
  }
}

}  // namespace evlite::detail
