#include <fmt/format.h>

#include "errors_internal.h"

namespace evlite {

WrongExpectedVersion::WrongExpectedVersion(std::string stream, ExpectedVersion expected, StreamVersion actual)
    : Error(fmt::format("wrong expected version for stream {}: expected {}, actual {}", detail::printable(stream),
                        expected.to_string(), actual.value)),
      stream_(std::move(stream)),
      expected_(expected),
      actual_(actual) {}

DuplicateEventId::DuplicateEventId(std::string event_id, std::string stream, std::string detail)
    : Error(fmt::format("duplicate event id {} in append to stream {}: {}", event_id, detail::printable(stream), detail)),
      event_id_(std::move(event_id)),
      stream_(std::move(stream)),
      detail_(std::move(detail)) {}

SchemaError::SchemaError(std::string path, std::string detail)
    : Error(fmt::format("{}: {}", path, detail)), path_(std::move(path)) {}

StorageError::StorageError(int code, std::string detail)
    : Error(fmt::format("{} (SQLite code {})", detail, code)), code_(code) {}

ProjectionFaulted::ProjectionFaulted(std::string name, Position position, std::string detail)
    : Error(fmt::format("{} faulted at position {}: {}", name, position.value, detail)),
      name_(std::move(name)),
      position_(position) {}

namespace detail {

std::string printable(std::string_view text) {
  constexpr std::size_t kShown = 64;
  std::string out = "\"";
  for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
    auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte >= 0x7f || byte == '"' || byte == '\\') {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += static_cast<char>(byte);
    }
  }
  out += '"';
  if (text.size() > kShown) out += fmt::format(" (… {} bytes)", text.size());
  return out;
}

}  // namespace detail
}  // namespace evlite
