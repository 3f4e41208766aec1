// evlite_append_worker DB_PATH WORKER_ID COUNT
//
// Appends to a store the way another process would, for the multi-process tests: COUNT times one event of
// type "WorkerAppended" with data {"worker":WORKER_ID,"i":i}, alternating between its private stream
// "proc-<WORKER_ID>" (even i, each with exact(the version it last wrote)) and "shared-procs" (odd i, any()).
// Prints nothing and exits 0 on success; on failure prints "append_worker: <message>" on stderr and exits 1.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "evlite/engine/event_store.h"

namespace {

// A non-negative decimal that fits an int, or std::invalid_argument naming the argument.
int parse_count(const std::string& text, const char* name) {
  std::size_t used = 0;
  long long value = -1;
  try {
    value = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.empty() || used != text.size() || value < 0 || value > 1'000'000'000) {
    throw std::invalid_argument(std::string(name) + " must be a non-negative number, got \"" + text + "\"");
  }
  return static_cast<int>(value);
}

void run(int argc, char** argv) {
  if (argc != 4) throw std::invalid_argument("usage: evlite_append_worker DB_PATH WORKER_ID COUNT");
  const int worker = parse_count(argv[2], "WORKER_ID");
  const int count = parse_count(argv[3], "COUNT");

  const evlite::Options options{.synchronous = evlite::Synchronous::Normal};
  evlite::EventStore store = evlite::EventStore::open(argv[1], options);
  const std::string own_stream = "proc-" + std::to_string(worker);
  std::int64_t own_version = 0;
  for (int i = 0; i < count; ++i) {
    evlite::NewEvent event;
    event.type = "WorkerAppended";
    event.data = "{\"worker\":" + std::to_string(worker) + ",\"i\":" + std::to_string(i) + "}";
    if (i % 2 == 0) {
      own_version = store.append(own_stream, evlite::ExpectedVersion::exact(own_version), {event}).version.value;
    } else {
      store.append("shared-procs", evlite::ExpectedVersion::any(), {event});
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    run(argc, argv);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "append_worker: %s\n", e.what());
    return 1;
  }
}
