// A process of the contention test: THREADS threads each make COUNT attempts to append to one of three hot
// streams with an Exact expectation, and report each outcome on stdout:
//   ok <event id>       the append succeeded
//   conflict            WrongExpectedVersion, as the other writers moved the stream first
//   error <message>     anything else (the test fails on any: SQLITE_BUSY must never reach a caller)
//
//   evlite_contention_worker DB WORKER THREADS COUNT
#include <cstdio>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "evlite/engine/event_store.h"

int main(int argc, char** argv) {
  using namespace evlite;
  if (argc != 5) return 2;
  int worker = std::stoi(argv[2]), threads = std::stoi(argv[3]), count = std::stoi(argv[4]);
  EventStore store = EventStore::open(argv[1], {.synchronous = Synchronous::Normal});
  std::mutex out;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937 random(static_cast<unsigned>(worker * 100 + t));
      for (int i = 0; i < count; ++i) {
        std::string stream = fmt::format("hot-{}", random() % 3);
        std::string id = fmt::format("00000000-0000-4000-8000-{:04x}{:02x}{:06x}", worker, t, i);
        std::string line;
        try {
          StreamVersion v = store.stream_version(stream);
          store.append(stream, ExpectedVersion::exact(v.value), {{.type = "Contended", .id = id}});
          line = "ok " + id;
        } catch (const WrongExpectedVersion&) {
          line = "conflict";
        } catch (const std::exception& e) {
          line = std::string("error ") + e.what();
        }
        std::lock_guard lock(out);
        std::printf("%s\n", line.c_str());
      }
    });
  }
  for (auto& t : pool) t.join();
  std::fflush(stdout);
}
