#include "uuid.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <random>

#include <fmt/format.h>

#include "errors_internal.h"

namespace evlite::detail {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string to_text(const std::array<std::uint8_t, 16>& bytes) {
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xf];
  }
  return out;
}

struct V7Clock {
  std::mt19937_64 random{std::random_device{}()};
  std::uint64_t last_ms = 0;
  std::uint16_t counter = 0;  // 12 bits used

  // Method 1 of RFC 9562 §6.2: a counter seeded randomly each millisecond (top bit clear, leaving room
  // to count up); on overflow the timestamp borrows the next millisecond.
  std::pair<std::uint64_t, std::uint16_t> next() {
    auto now = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
    if (now > last_ms) {
      last_ms = now;
      counter = static_cast<std::uint16_t>(random() & 0x7ff);
    } else if (++counter > 0xfff) {
      ++last_ms;
      counter = 0;
    }
    return {last_ms, counter};
  }
};

}  // namespace

std::string new_uuid_v7() {
  thread_local V7Clock clock;
  auto [ms, counter] = clock.next();
  std::uint64_t tail = clock.random();
  std::array<std::uint8_t, 16> b{};
  for (int i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (40 - 8 * i));
  b[6] = static_cast<std::uint8_t>(0x70 | (counter >> 8));
  b[7] = static_cast<std::uint8_t>(counter);
  for (int i = 8; i < 16; ++i) b[i] = static_cast<std::uint8_t>(tail >> (8 * (i - 8)));
  b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3f));  // RFC 9562 variant
  return to_text(b);
}

std::string canonical_uuid(std::string_view text) {
  bool ok = text.size() == 36;
  std::string out(text);
  for (std::size_t i = 0; ok && i < out.size(); ++i) {
    char& c = out[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      ok = c == '-';
    } else if (c >= 'A' && c <= 'F') {
      c = static_cast<char>(c - 'A' + 'a');
    } else {
      ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    }
  }
  if (!ok) {
    throw InvalidArgument(fmt::format("event id {} is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", printable(text)));
  }
  return out;
}

}  // namespace evlite::detail
