// A process to kill: appends batches forever and acknowledges each on stdout once append() has returned.
//
//   evlite_crash_worker DB full|normal FIRST_BATCH [THREADS]
//
// Batch b has batch_size(b) events with ids batch_event_id(b, i) and data batch_data(b, i), in stream
// "crash-<b % 7>" (crash_batches.h), so the parent can check every acknowledged byte. With THREADS > 1,
// thread t appends batches FIRST_BATCH + t, + t + THREADS, …, so that kills land inside group commits.
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "evlite/engine/event_store.h"
#include "support/crash_batches.h"

int main(int argc, char** argv) {
  using namespace evlite;
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: evlite_crash_worker DB full|normal FIRST_BATCH [THREADS]\n");
    return 2;
  }
  try {
    auto sync = std::string(argv[2]) == "full" ? Synchronous::Full : Synchronous::Normal;
    const std::int64_t first = std::stoll(argv[3]);
    const int threads = argc == 5 ? std::stoi(argv[4]) : 1;
    EventStore store = EventStore::open(argv[1], {.synchronous = sync});
    std::mutex out;
    auto append_forever = [&](int t) {
      try {
        for (std::int64_t batch = first + t;; batch += threads) {
          store.append(testing::batch_stream(batch), ExpectedVersion::any(), testing::batch_events(batch));
          std::lock_guard lock(out);
          std::printf("%lld\n", static_cast<long long>(batch));
          std::fflush(stdout);  // the acknowledgement: sent only after append() returned
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "crash_worker: %s\n", e.what());
        std::_Exit(1);
      }
    };
    std::vector<std::thread> workers;
    for (int t = 1; t < threads; ++t) workers.emplace_back(append_forever, t);
    append_forever(0);  // never returns: the parent kills the process
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash_worker: %s\n", e.what());
    return 1;
  }
}
