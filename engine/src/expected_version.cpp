#include "evlite/engine/expected_version.h"

#include <charconv>

#include <fmt/format.h>

#include "errors_internal.h"

namespace evlite {

ExpectedVersion ExpectedVersion::exact(std::int64_t n) {
  if (n < 0) throw InvalidArgument(fmt::format("expected version must be >= 0, got {}", n));
  return {Kind::Exact, n};
}

ExpectedVersion ExpectedVersion::parse(std::string_view text) {
  if (text == "any") return any();
  if (text == "no-stream") return no_stream();
  if (text == "exists") return stream_exists();
  std::int64_t n = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || n < 0) {
    throw InvalidArgument(fmt::format(
        "expected version {} is not one of any, no-stream, exists or a version from 0 to 9223372036854775807",
        detail::printable(text)));
  }
  return exact(n);
}

bool ExpectedVersion::accepts(StreamVersion actual) const {
  switch (kind_) {
    case Kind::Any: return true;
    case Kind::NoStream: return actual.value == 0;
    case Kind::StreamExists: return actual.value > 0;
    case Kind::Exact: return actual.value == value_;
  }
  return false;
}

std::string ExpectedVersion::to_string() const {
  switch (kind_) {
    case Kind::Any: return "any";
    case Kind::NoStream: return "no-stream";
    case Kind::StreamExists: return "exists";
    case Kind::Exact: return std::to_string(value_);
  }
  return "?";
}

}  // namespace evlite
