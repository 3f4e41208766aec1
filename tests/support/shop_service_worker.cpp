// A process to kill: the shop's service, its reactions and projections on worker threads, until killed.
// Spawned rather than forked, so that it starts with SQLite state of its own (SQLite advises against
// carrying open connections across fork()).
//
//   evlite_shop_service_worker DB REACTION_BATCH_SIZE
#include <unistd.h>

#include <cstdio>
#include <string>

#include "evlite/projections/reaction.h"
#include "evlite/projections/runner.h"
#include "evlite/projections/shop/reactions.h"
#include "evlite/projections/shop/read_models.h"

int main(int argc, char** argv) {
  using namespace evlite;
  if (argc != 3) {
    std::fprintf(stderr, "usage: evlite_shop_service_worker DB REACTION_BATCH_SIZE\n");
    return 2;
  }
  try {
    EventStore service = EventStore::open(argv[1]);
    projections::ReactionRunner reactions(service, {.batch_size = std::stoi(argv[2])});
    for (auto& r : shop::shop_reactions(service, {.decline_every = 6})) reactions.add(r);
    projections::ProjectionRunner projections(service, {.batch_size = 3});
    for (auto& p : shop::shop_projections()) projections.add(p);
    reactions.start();
    projections.start();
    for (;;) pause();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "shop_service_worker: %s\n", e.what());
    return 1;
  }
}
