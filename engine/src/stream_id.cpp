#include "stream_id.h"

#include <fmt/format.h>

#include "errors_internal.h"
#include "evlite/engine/filter.h"

namespace evlite {

std::string_view category_of(std::string_view stream_id) {
  return stream_id.substr(0, stream_id.find('-'));
}

namespace detail {

std::size_t decode_utf8(std::string_view text, std::size_t i, char32_t& code_point) {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  code_point = length == 1 ? lead : lead & (0x7f >> length);
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3f);
  }
  constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  bool overlong = code_point < kSmallest[length];
  bool surrogate = code_point >= 0xd800 && code_point <= 0xdfff;
  return overlong || surrogate || code_point > 0x10ffff ? 0 : length;
}

namespace {

void validate_name(std::string_view what, std::string_view name, std::size_t max_bytes) {
  if (name.empty()) throw InvalidArgument(fmt::format("{} must not be empty", what));
  if (name.size() > max_bytes) {
    throw InvalidArgument(fmt::format("{} {} is {} bytes; the limit is {}", what, printable(name), name.size(), max_bytes));
  }
  if (!is_printable_utf8(name)) {
    throw InvalidArgument(
        fmt::format("{} {} must be valid UTF-8 without control characters", what, printable(name)));
  }
}

}  // namespace

bool is_printable_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    char32_t c = 0;
    std::size_t length = decode_utf8(text, i, c);
    if (length == 0 || c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
    i += length;
  }
  return true;
}

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {  // ASCII, the common case, without decoding
      ++i;
      continue;
    }
    char32_t c = 0;
    std::size_t length = decode_utf8(text, i, c);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

void validate_stream_id(std::string_view stream) {
  validate_name("stream id", stream, kMaxStreamIdBytes);
  if (stream.front() == '$') {
    throw InvalidArgument(fmt::format("stream id {} is reserved: ids beginning with '$' belong to evlite", printable(stream)));
  }
}

void validate_event_type(std::string_view type) { validate_name("event type", type, kMaxEventTypeBytes); }

}  // namespace detail
}  // namespace evlite
