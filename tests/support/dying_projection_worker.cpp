// A process that dies by its own SIGKILL: a projection runner that reaches a given position, as a crash at
// that instant. Spawned rather than forked, so that it starts with SQLite state of its own (SQLite advises
// against carrying open connections across fork()).
//
//   evlite_dying_projection_worker DB DIE_AT BATCH_SIZE catch-up|rebuild
//
// Runs a DyingProjection named "counting" (version 1) until caught up, or rebuilds it. Exits 0 if it did
// not die, 1 on an error.
#include <cstdio>
#include <memory>
#include <string>

#include "counting_projection.h"
#include "evlite/projections/runner.h"

int main(int argc, char** argv) {
  using namespace evlite;
  std::string mode = argc == 5 ? argv[4] : "";
  if (mode != "catch-up" && mode != "rebuild") {
    std::fprintf(stderr, "usage: evlite_dying_projection_worker DB DIE_AT BATCH_SIZE catch-up|rebuild\n");
    return 2;
  }
  try {
    EventStore store = EventStore::open(argv[1]);
    projections::ProjectionRunner runner(store, {.batch_size = std::stoi(argv[3])});
    runner.add(std::make_shared<testing::DyingProjection>(std::stoll(argv[2])));
    if (mode == "rebuild") {
      runner.rebuild("counting");
    } else {
      runner.run_until_caught_up();
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dying_projection_worker: %s\n", e.what());
    return 1;
  }
}
