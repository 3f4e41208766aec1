#include <cstdio>

#include <evlite/engine/event_store.h>

int main(int argc, char** argv) {
  auto store = evlite::EventStore::open(argc > 1 ? argv[1] : "minimal.db");

  // Append atomically if the stream is still where we last saw it.
  auto version = store.stream_version("order-42");
  store.append("order-42", evlite::ExpectedVersion::exact(version.value),
               {{.type = "OrderPlaced", .data = R"({"customer":"c-7","total":2500})"},
                {.type = "PaymentCaptured", .data = R"({"amount":2500})"}});

  // Read the stream back; the cursor pages through it in bounded memory.
  auto cursor = store.read_stream("order-42");
  while (cursor.next()) {
    const evlite::RecordedEvent& e = cursor.event();
    std::printf("%s v%lld: %s %s\n", e.stream_id.c_str(), static_cast<long long>(e.version.value),
                e.type.c_str(), e.data.c_str());
  }

  // Follow the log: catch-up from position 0, then every new commit, in position order.
  auto subscription = store.subscribe(evlite::Position{0}, {.categories = {"order"}}, [](const auto& e) {
    std::printf("subscription saw position %lld: %s\n", static_cast<long long>(e.position.value), e.type.c_str());
  });
  return subscription.wait_for(store.head_position(), std::chrono::seconds(10)) ? 0 : 1;
}
