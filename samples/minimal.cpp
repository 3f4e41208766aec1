#include <cstdio>

#include <evlite/engine/event_store.h>

int main(int argc, char** argv) try {
  auto store = evlite::EventStore::open(argc > 1 ? argv[1] : "minimal.db");

  // Append atomically if the stream is still where we last saw it; if another writer got there first,
  // say so (a real service would reread and decide again).
  auto version = store.stream_version("account-7");
  try {
    store.append("account-7", evlite::ExpectedVersion::exact(version.value),
                 {{.type = "Deposited", .data = R"({"amount":2500})"},
                  {.type = "Withdrawn", .data = R"({"amount":400})"}});
  } catch (const evlite::WrongExpectedVersion& e) {
    std::fprintf(stderr, "someone else wrote first: %s\n", e.what());
  }

  // Read the stream back; the cursor pages through it in bounded memory.
  auto cursor = store.read_stream("account-7");
  while (cursor.next()) {
    const evlite::RecordedEvent& e = cursor.event();
    std::printf("%s v%lld: %s %s\n", e.stream_id.c_str(), static_cast<long long>(e.version.value),
                e.type.c_str(), e.data.c_str());
  }

  // Follow the log: catch-up from position 0, then every new commit, in position order.
  auto subscription = store.subscribe(evlite::Position{0}, {.categories = {"account"}}, [](const auto& e) {
    std::printf("subscription saw position %lld: %s\n", static_cast<long long>(e.position.value), e.type.c_str());
  });
  return subscription.wait_for(store.head_position(), std::chrono::seconds(10)) ? 0 : 1;
} catch (const evlite::Error& e) {  // every error the store throws: a file that is not a store, a full disk …
  std::fprintf(stderr, "minimal: %s\n", e.what());
  return 1;
}
