// The README's embedding example: open a store, append an order's events, read them back.
#include <cstdio>

#include <evlite/engine/event_store.h>

int main(int argc, char** argv) {
  auto store = evlite::EventStore::open(argc > 1 ? argv[1] : "minimal.db");

  // Append atomically, expecting the stream to be new; a retry with the same ids would be a no-op.
  auto version = store.stream_version("order-42");
  store.append("order-42", evlite::ExpectedVersion::exact(version.value),
               {{.type = "OrderPlaced", .data = R"({"customer":"c-7","total":2500})"},
                {.type = "PaymentCaptured", .data = R"({"amount":2500})"}});

  // Read the stream back; the cursor pages through it in bounded memory.
  auto cursor = store.read_stream("order-42");
  while (cursor.next()) {
    const evlite::RecordedEvent& e = cursor.event();
    std::printf("%s v%lld @%lld %s %s\n", e.stream_id.c_str(), static_cast<long long>(e.version.value),
                static_cast<long long>(e.position.value), e.type.c_str(), e.data.c_str());
  }
  try {
    store.append("order-42", evlite::ExpectedVersion::no_stream(), {{.type = "OrderPlaced"}});
  } catch (const evlite::WrongExpectedVersion& e) {
    std::printf("refused as expected: %s\n", e.what());
  }
}
