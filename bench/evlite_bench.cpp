// evlite-bench: evlite against raw SQLite on the same rows, in the same run (see baseline.h).
//   evlite-bench [--json] [--full]
// Each figure is the median of 3 repetitions, each on a fresh file.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "baseline.h"
#include "evlite/aggregates/repository.h"
#include "evlite/aggregates/shop/inventory.h"
#include "evlite/aggregates/shop/order.h"
#include "evlite/engine/event_store.h"
#include "evlite/projections/runner.h"
#include "evlite/projections/shop/read_models.h"

namespace evlite::bench {
namespace {

struct Workload {
  std::string name;
  std::int64_t events;
  std::int64_t per_call;
  bool full_sync;
};

// ~250 bytes of order data and ~130 bytes of metadata, as a shop's OrderPlaced would carry.
Payload shop_payload() {
  return {R"({"customer":"customer-0042","lines":[{"product":"sku-1001","quantity":2,"unit_price":1999},)"
          R"({"product":"sku-2002","quantity":1,"unit_price":4999}],"shipping_address":{"street":"12 Harbour Road",)"
          R"("city":"Leith","postcode":"EH6 6LX","country":"GB"},"currency":"EUR"})",
          R"({"correlation_id":"0190a6f2-5b1e-7c3d-8e4f-123456789abc","causation_id":"0190a6f2-5b1e-7c3d-8e4f-123456789abc","user":"u-7"})"};
}

std::filesystem::path fresh_file(const std::filesystem::path& dir, const std::string& name) {
  auto file = dir / (name + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
  return file;
}

Options options_for(const Workload& w) {
  return Options{.synchronous = w.full_sync ? Synchronous::Full : Synchronous::Normal};
}

double evlite_append(const std::filesystem::path& file, const Workload& w, const Payload& payload) {
  auto store = EventStore::open(file, options_for(w));
  std::vector<NewEvent> batch(static_cast<std::size_t>(w.per_call),
                              NewEvent{.type = "OrderPlaced", .data = payload.data, .metadata = payload.metadata});
  std::vector<std::int64_t> versions(1000, 0);
  auto start = std::chrono::steady_clock::now();
  for (std::int64_t done = 0, round = 0; done < w.events; done += w.per_call, ++round) {
    auto stream = static_cast<std::size_t>(round % 1000);
    auto result = store.append(fmt::format("order-{}", stream), ExpectedVersion::exact(versions[stream]), batch);
    versions[stream] = result.version.value;
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median milliseconds to load an order of `events` events, with or without a snapshot at its last version.
double order_load_ms(const std::filesystem::path& file, int events, bool snapshot) {
  using namespace evlite::shop;
  EventStore store = EventStore::open(file, {.synchronous = Synchronous::Normal});
  aggregates::Repository<Order> orders(store, {.snapshot_every = snapshot ? 1'000'000 : 0});
  std::string id = fmt::format("{}-{}", events, snapshot);
  auto order = orders.execute(id, [&](const Order& o) {
    return o.place({.order_id = id, .customer = "c-1", .lines = {{"sku-1", 1, 100}},
                    .shipping_address = {"1 Road", "Town", "12345", "GB"}});
  });
  std::vector<OrderEvent> notes;
  for (int i = 1; i < events; ++i) notes.push_back(OrderNoteAdded{"note"});
  for (std::size_t done = 0; done < notes.size(); done += 1000) {
    std::vector<OrderEvent> batch(notes.begin() + static_cast<long>(done),
                                  notes.begin() + static_cast<long>(std::min(notes.size(), done + 1000)));
    order = orders.save(id, order, batch);
  }
  if (snapshot) {
    store.save_snapshot({.stream_id = orders.stream_of(id), .version = order.version, .type = "order",
                         .schema_version = Order::kSnapshotSchemaVersion, .state = nlohmann::json(order.state).dump()});
  }
  std::vector<double> times;
  for (int rep = 0; rep < 21; ++rep) {
    auto start = std::chrono::steady_clock::now();
    auto loaded = orders.load(id);
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    if (loaded.version != order.version) throw std::runtime_error("aggregate_load: loaded the wrong version");
  }
  return median(times);
}

// Writes a shop's history of about `events` events: orders placed, reserved, paid, ready and shipped, with
// the inventory allocations and dispatches beside them. Bulk-loaded in large transactions.
void write_shop_history(EventStore& store, std::int64_t events) {
  using namespace evlite::shop;
  std::vector<StreamAppend> batch;
  std::int64_t written = 0;
  auto add = [&](const std::string& stream, auto event, const auto& registry) {
    batch.push_back({stream, ExpectedVersion::any(), {registry.encode(event)}});
    ++written;
  };
  for (int product = 0; product < 100; ++product) {
    std::string sku = fmt::format("sku-{}", product);
    add("inventory-" + sku, StockReceived{sku, 1'000'000'000}, inventory_events());
  }
  for (std::int64_t order = 0; written < events; ++order) {
    std::string id = std::to_string(order);
    std::string stream = "order-" + id;
    std::string sku = fmt::format("sku-{}", order % 100);
    add(stream, OrderPlaced{id, "customer-" + std::to_string(order % 5000), {{sku, 2, 1999}},
                            {"12 Harbour Road", "Leith", "EH6 6LX", "GB"}, "EUR"},
        order_events());
    add("inventory-" + sku, StockAllocated{sku, id, 2}, inventory_events());
    add(stream, StockReserved{"r-" + id}, order_events());
    add(stream, PaymentCaptured{"p-" + id, 3998}, order_events());
    add(stream, OrderPaid{3998}, order_events());
    add(stream, OrderReadyForShipment{"east"}, order_events());
    add(stream, OrderShipped{"DHL", "JD" + id}, order_events());
    add("inventory-" + sku, StockDispatched{sku, id, 2}, inventory_events());
    if (batch.size() >= 5000) {
      store.append_many(batch);
      batch.clear();
    }
  }
  if (!batch.empty()) store.append_many(batch);
}

struct RebuildFigures {
  std::int64_t events;
  double seconds;
  double longest_append_ms;
  std::int64_t appends;
};

// Rebuilds the three shop read models over a history of `events`, while another thread appends one event
// at a time and times each append.
RebuildFigures projection_rebuild(const std::filesystem::path& file, std::int64_t events) {
  EventStore store = EventStore::open(file, {.synchronous = Synchronous::Normal});
  write_shop_history(store, events);
  std::int64_t total = store.head_position().value;
  projections::ProjectionRunner runner(store);
  for (auto& p : shop::shop_projections()) runner.add(p);
  runner.run_until_caught_up();  // the read models as they stand before the rebuild

  std::atomic<bool> done = false;
  double longest = 0;
  std::int64_t appends = 0;
  std::thread appender([&] {
    while (!done) {
      auto start = std::chrono::steady_clock::now();
      store.append("note-1", ExpectedVersion::any(), {{.type = "Noted"}});
      longest = std::max(longest, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
      ++appends;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // pacing a load generator, not waiting for work
    }
  });
  auto start = std::chrono::steady_clock::now();
  runner.start();
  std::map<std::string, std::int64_t> before;
  for (auto& s : runner.status()) before[s.name] = s.generation;
  for (auto& [name, generation] : before) runner.rebuild(name);
  for (auto& [name, generation] : before) {
    while (runner.status(name).generation == generation || !runner.wait_for(name, Position{total}, std::chrono::milliseconds(50))) {
      runner.wait_for(name, Position{std::numeric_limits<std::int64_t>::max()}, std::chrono::milliseconds(20));
    }
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  done = true;
  appender.join();
  return {total, seconds, longest, appends};
}

}  // namespace
}  // namespace evlite::bench

int main(int argc, char** argv) {
  using namespace evlite::bench;
  bool json = false;
  bool full = false;
  for (int i = 1; i < argc; ++i) {
    json |= std::strcmp(argv[i], "--json") == 0;
    full |= std::strcmp(argv[i], "--full") == 0;
  }
  auto dir = std::filesystem::temp_directory_path() / "evlite-bench";
  std::filesystem::create_directories(dir);
  Payload payload = shop_payload();
  std::vector<Workload> workloads = {
      {"append_single_full", full ? 5'000 : 1'000, 1, true},
      {"append_single_normal", full ? 100'000 : 20'000, 1, false},
      {"append_batch_1000", full ? 1'000'000 : 200'000, 1'000, false},
  };
  if (!json) fmt::print("{:<22} {:>9} {:>12} {:>14} {:>7}\n", "workload", "events", "events/s", "raw events/s", "ratio");
  for (const Workload& w : workloads) {
    std::vector<double> ours, raw;
    for (int rep = 0; rep < 3; ++rep) {
      ours.push_back(evlite_append(fresh_file(dir, w.name), w, payload));
      auto base = fresh_file(dir, w.name + "-raw");
      evlite::EventStore::open(base);  // the same schema, through the same migrations
      raw.push_back(raw_append(base, w.events, w.per_call, 1000, w.full_sync, payload));
    }
    double rate = static_cast<double>(w.events) / median(ours);
    double raw_rate = static_cast<double>(w.events) / median(raw);
    if (json) {
      fmt::print(R"({{"workload":"{}","events":{},"seconds":{:.3f},"events_per_s":{:.0f},"baseline_events_per_s":{:.0f},"ratio":{:.3f}}})"
                 "\n",
                 w.name, w.events, median(ours), rate, raw_rate, rate / raw_rate);
    } else {
      fmt::print("{:<22} {:>9} {:>12.0f} {:>14.0f} {:>7.2f}\n", w.name, w.events, rate, raw_rate, rate / raw_rate);
    }
  }
  RebuildFigures rebuild = projection_rebuild(fresh_file(dir, "rebuild"), full ? 1'000'000 : 100'000);
  double rebuild_rate = static_cast<double>(rebuild.events) / rebuild.seconds;
  if (json) {
    fmt::print(R"({{"workload":"projection_rebuild","events":{},"seconds":{:.3f},"events_per_s":{:.0f},)"
               R"("longest_append_ms":{:.2f},"appends_during_rebuild":{}}})"
               "\n",
               rebuild.events, rebuild.seconds, rebuild_rate, rebuild.longest_append_ms, rebuild.appends);
  } else {
    fmt::print("projection_rebuild: {} events in {:.2f} s = {:.0f} events/s; longest append during it {:.2f} ms "
               "({} appends)\n",
               rebuild.events, rebuild.seconds, rebuild_rate, rebuild.longest_append_ms, rebuild.appends);
  }
  double short_ms = order_load_ms(fresh_file(dir, "load"), 10, false);
  double long_ms = order_load_ms(fresh_file(dir, "load"), 10'000, false);
  double snap_ms = order_load_ms(fresh_file(dir, "load"), 10'000, true);
  if (json) {
    fmt::print(R"({{"workload":"aggregate_load","order_10_ms":{:.3f},"order_10000_ms":{:.3f},)"
               R"("order_10000_snapshot_ms":{:.3f},"ratio":{:.2f}}})"
               "\n",
               short_ms, long_ms, snap_ms, snap_ms / short_ms);
  } else {
    fmt::print("aggregate_load: 10 events {:.3f} ms, 10,000 events {:.3f} ms, 10,000 with snapshot {:.3f} ms "
               "({:.2f}x the 10-event load)\n",
               short_ms, long_ms, snap_ms, snap_ms / short_ms);
  }
  std::filesystem::remove_all(dir);
}
