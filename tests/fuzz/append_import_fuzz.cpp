// libFuzzer target for the store's input paths: an append built from the input's first lines (stream, type,
// data, metadata, expected version) and an NDJSON import (re-append) of the rest. Anything may be refused
// with an evlite::Error; nothing may crash, and the store must verify after every 500 inputs.
//
//   make test-long   (builds this with clang -fsanitize=fuzzer,address,undefined and runs it for a while)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "evlite/engine/event_store.h"

namespace {

evlite::EventStore& store() {
  static const auto dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("evlite-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  static evlite::EventStore s =
      evlite::EventStore::open(dir / "fuzz.db", {.synchronous = evlite::Synchronous::Normal});
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(bytes), size);
  std::vector<std::string> fields;
  std::size_t start = 0;
  for (int i = 0; i < 5; ++i) {
    std::size_t end = input.find('\n', start);
    fields.push_back(input.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? input.size() : end + 1;
  }
  std::string rest = input.substr(start);
  try {
    auto expected = evlite::ExpectedVersion::parse(fields[4].empty() ? "any" : fields[4]);
    store().append(fields[0], expected, {{.type = fields[1], .data = fields[2], .metadata = fields[3]}});
  } catch (const evlite::Error&) {
  }
  try {
    std::istringstream lines(rest);
    store().import_ndjson(lines, evlite::EventStore::ImportMode::Append);
  } catch (const evlite::Error&) {
  }
  static int runs = 0;
  if (++runs % 500 == 0) {
    auto report = store().verify();
    if (!report.ok()) {
      std::fprintf(stderr, "evlite fuzz: verify failed after %d inputs:\n", runs);
      for (const auto& finding : report.findings) std::fprintf(stderr, "  %s\n", finding.c_str());
      std::abort();
    }
  }
  return 0;
}
