// A process to kill: appends batches forever and acknowledges each on stdout once append() has returned.
//
//   evlite_crash_worker DB full|normal FIRST_BATCH
//
// Batch b has batch_size(b) events with ids batch_event_id(b, i) and data batch_data(b, i), in stream
// "crash-<b % 7>" (crash_batches.h), so the parent can check every acknowledged byte.
#include <cstdio>

#include "evlite/engine/event_store.h"
#include "support/crash_batches.h"

int main(int argc, char** argv) {
  using namespace evlite;
  if (argc != 4) {
    std::fprintf(stderr, "usage: evlite_crash_worker DB full|normal FIRST_BATCH\n");
    return 2;
  }
  try {
    auto sync = std::string(argv[2]) == "full" ? Synchronous::Full : Synchronous::Normal;
    EventStore store = EventStore::open(argv[1], {.synchronous = sync});
    for (std::int64_t batch = std::stoll(argv[3]);; ++batch) {
      store.append(testing::batch_stream(batch), ExpectedVersion::any(), testing::batch_events(batch));
      std::printf("%lld\n", static_cast<long long>(batch));
      std::fflush(stdout);  // the acknowledgement: sent only after append() returned
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash_worker: %s\n", e.what());
    return 1;
  }
}
