#include "workloads.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "evlite/aggregates/repository.h"
#include "evlite/aggregates/shop/inventory.h"
#include "evlite/aggregates/shop/order.h"
#include "evlite/engine/event_store.h"
#include "evlite/projections/runner.h"
#include "evlite/projections/shop/read_models.h"

namespace evlite::bench {
namespace {

double since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// A shop's history: orders placed, reserved, paid, ready and shipped, with the inventory allocations and
// dispatches beside them, bulk-loaded in large transactions. Each event carries `metadata`, as a command's
// context stamps it. Adds the data and metadata bytes written to `bytes`.
void write_shop_history(EventStore& store, std::int64_t events, const std::string& metadata, RebuildFigures& bytes) {
  using namespace evlite::shop;
  std::vector<StreamAppend> batch;
  std::int64_t written = 0;
  auto add = [&](const std::string& stream, auto event, const auto& registry) {
    NewEvent encoded = registry.encode(event);
    encoded.metadata = metadata;
    bytes.data_bytes += static_cast<double>(encoded.data.size());
    bytes.metadata_bytes += static_cast<double>(encoded.metadata.size());
    batch.push_back({stream, ExpectedVersion::any(), {std::move(encoded)}});
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

// Where every timed append starts, as on the raw side (baseline.h): each of `streams` streams holds one
// event, and a FULL store's WAL is settled (kSettleBatch events per append, each batch to a stream of its
// own).
void set_up(EventStore& store, const std::filesystem::path& file, int streams, Synchronous sync,
            const Payload& payload) {
  NewEvent event = order_placed(payload);
  std::vector<StreamAppend> seed;
  for (int s = 0; s < streams; ++s) seed.push_back({order_stream(s), ExpectedVersion::no_stream(), {event}});
  store.append_many(seed);
  if (sync != Synchronous::Full) return;
  std::vector<NewEvent> batch(static_cast<std::size_t>(kSettleBatch), event);
  std::int64_t n = 0;
  settle_wal(file, [&] { store.append(fmt::format("settle-{}", n++), ExpectedVersion::no_stream(), batch); });
}

}  // namespace

void reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5" << std::flush;
  if (!clear) throw std::runtime_error("cannot reset the peak RSS (/proc/self/clear_refs)");
}

double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
  }
  throw std::runtime_error("no VmHWM in /proc/self/status");
}

Payload shop_payload() {
  return {R"({"customer":"customer-0042","lines":[{"product":"sku-1001","quantity":2,"unit_price":1999},)"
          R"({"product":"sku-2002","quantity":1,"unit_price":4999}],"shipping_address":{"street":"12 Harbour Road",)"
          R"("city":"Leith","postcode":"EH6 6LX","country":"GB"},"currency":"EUR"})",
          R"({"correlation_id":"0190a6f2-5b1e-7c3d-8e4f-123456789abc","causation_id":"0190a6f2-5b1e-7c3d-8e4f-123456789abc","user":"u-7"})"};
}

NewEvent order_placed(const Payload& payload) {
  return {.type = "OrderPlaced", .data = payload.data, .metadata = payload.metadata};
}

double append(const std::filesystem::path& file, std::int64_t events, std::int64_t per_call, Synchronous sync,
              const Payload& payload, int streams) {
  // Whole calls only, as raw_append writes exactly `events` rows.
  if (events % per_call != 0) throw std::invalid_argument(fmt::format("{} events are not whole calls of {}", events, per_call));
  std::optional<EventStore> store(EventStore::open(file, {.synchronous = sync}));
  std::vector<NewEvent> batch(static_cast<std::size_t>(per_call), order_placed(payload));
  std::vector<std::int64_t> versions(static_cast<std::size_t>(streams), 1);
  std::vector<std::string> names;
  for (int i = 0; i < streams; ++i) names.push_back(order_stream(i));
  set_up(*store, file, streams, sync, payload);
  auto start = std::chrono::steady_clock::now();
  for (std::int64_t done = 0, round = 0; done < events; done += per_call, ++round) {
    auto s = static_cast<std::size_t>(round % streams);
    versions[s] = store->append(names[s], ExpectedVersion::exact(versions[s]), batch).version.value;
  }
  store.reset();
  return since(start);
}

double append_concurrent(const std::filesystem::path& file, int threads, std::int64_t per_thread,
                         const Payload& payload, double* average_group) {
  std::optional<EventStore> opened(EventStore::open(file, {.synchronous = Synchronous::Full}));
  EventStore& store = *opened;
  set_up(store, file, kStreams, Synchronous::Full, payload);
  auto before = store.write_stats();
  std::vector<std::thread> workers;
  auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      NewEvent event = order_placed(payload);
      std::string stream = order_stream(t);
      for (std::int64_t i = 1; i <= per_thread; ++i) store.append(stream, ExpectedVersion::exact(i), {event});
    });
  }
  for (auto& w : workers) w.join();
  auto stats = store.write_stats();
  opened.reset();
  double seconds = since(start);
  *average_group = static_cast<double>(stats.appends - before.appends) /
                   static_cast<double>(std::max<std::int64_t>(1, stats.transactions - before.transactions));
  return seconds;
}

double wake_and_return_us(int threads) {
  std::mutex mutex;
  std::condition_variable wake, back;
  std::int64_t round = 0;  // Guarded by mutex: the round the sleepers are woken for; -1 to stop
  int returned = 0;        // Guarded by mutex
  std::vector<std::thread> sleepers;
  for (int t = 0; t < threads; ++t) {
    sleepers.emplace_back([&] {
      std::unique_lock lock(mutex);
      for (std::int64_t seen = 0;;) {
        wake.wait(lock, [&] { return round != seen; });
        if (round < 0) return;
        seen = round;
        if (++returned == threads) back.notify_one();
      }
    });
  }
  std::vector<double> us;
  for (int r = 0; r < 2000; ++r) {
    auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex);
    returned = 0;
    ++round;
    lock.unlock();
    wake.notify_all();
    lock.lock();
    back.wait(lock, [&] { return returned == threads; });
    us.push_back(since(start) * 1e6);
  }
  {
    std::lock_guard lock(mutex);
    round = -1;
  }
  wake.notify_all();
  for (auto& s : sleepers) s.join();
  return median(us);
}

double read_all(const std::filesystem::path& file, bool decode) {
  auto store = EventStore::open(file);
  std::size_t checksum = 0;
  auto start = std::chrono::steady_clock::now();
  auto cursor = store.read_all();
  while (cursor.next()) {
    if (decode) checksum += nlohmann::json::parse(cursor.event().data).size();
    checksum += cursor.event().data.size();
  }
  double seconds = since(start);
  if (checksum == 0) throw std::runtime_error("read_all read nothing");
  return seconds;
}

std::vector<double> read_streams(const std::filesystem::path& file, const std::vector<std::string>& streams) {
  auto store = EventStore::open(file);
  auto read_one = [&](const std::string& stream) {
    auto start = std::chrono::steady_clock::now();
    auto events = store.read_stream(stream).drain();
    double ms = since(start) * 1000.0;
    if (events.size() != kStreamEvents) throw std::runtime_error(fmt::format("read {} events of {}", events.size(), stream));
    return ms;
  };
  read_one(streams.front());  // the first read opens a reader connection and prepares its statement
  std::vector<double> ms;
  for (const auto& stream : streams) ms.push_back(read_one(stream));
  return ms;
}

LoadFigures order_load(const std::filesystem::path& file, int events, aggregates::RepositoryOptions options) {
  using namespace evlite::shop;
  EventStore store = EventStore::open(file, {.synchronous = Synchronous::Normal});
  aggregates::Repository<Order> orders(store, options);
  std::string id = std::to_string(events);
  auto order = orders.execute(id, [&](const Order& o) {
    return o.place({.order_id = id, .customer = "c-1", .lines = {{"sku-1", 1, 100}},
                    .shipping_address = {"1 Road", "Town", "12345", "GB"}});
  });
  std::vector<OrderEvent> notes(1000, OrderNoteAdded{"note"});
  for (int done = 1; done < events; done += 1000) {
    order = orders.save(id, order, std::vector<OrderEvent>(notes.begin(), notes.begin() + std::min(1000, events - done)));
  }
  orders.flush_snapshots();
  std::vector<double> times;
  reset_peak_rss();
  for (int rep = 0; rep < 21; ++rep) {
    auto start = std::chrono::steady_clock::now();
    auto loaded = orders.load(id);
    times.push_back(since(start) * 1000.0);
    if (loaded.version != order.version) throw std::runtime_error("aggregate_load: loaded the wrong version");
  }
  return {median(times), peak_rss_mb()};
}

RebuildFigures projection_rebuild(const std::filesystem::path& file, std::int64_t events, const std::string& metadata) {
  RebuildFigures figures;
  EventStore store = EventStore::open(file, {.synchronous = Synchronous::Normal});
  write_shop_history(store, events, metadata, figures);
  std::int64_t total = store.head_position().value;
  figures.events = total;
  figures.data_bytes /= static_cast<double>(total);
  figures.metadata_bytes /= static_cast<double>(total);
  projections::ProjectionRunner runner(store);
  for (auto& p : shop::shop_projections()) runner.add(p);
  runner.run_until_caught_up();  // the read models as they stand before the rebuild

  using Clock = std::chrono::steady_clock;
  std::atomic<bool> done = false;
  std::vector<std::pair<Clock::time_point, double>> appends;  // start, milliseconds; the appender's until joined
  reset_peak_rss();
  std::thread appender([&] {
    while (!done) {
      auto start = Clock::now();
      store.append("note-1", ExpectedVersion::any(), {{.type = "Noted"}});
      appends.emplace_back(start, since(start) * 1000.0);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // pacing a load generator
    }
  });
  struct Joiner {  // on every way out, the appender stops and is joined (a joinable thread would terminate)
    std::atomic<bool>& done;
    std::thread& thread;
    ~Joiner() {
      if (!thread.joinable()) return;
      done = true;
      thread.join();
    }
  } joiner{done, appender};
  auto start = Clock::now();
  auto deadline = start + std::chrono::minutes(10);
  runner.start();
  std::map<std::string, std::int64_t> before;
  for (auto& s : runner.status()) before[s.name] = s.generation;
  for (auto& [name, generation] : before) runner.rebuild(name);
  for (auto& [name, generation] : before) {
    while (runner.status(name).generation == generation || !runner.wait_for(name, Position{total}, std::chrono::milliseconds(50))) {
      auto status = runner.status(name);
      if (status.state == projections::ProjectionState::Faulted) {
        throw std::runtime_error(fmt::format("projection {} faulted during the rebuild: {}", name, status.error));
      }
      if (Clock::now() > deadline) {
        throw std::runtime_error(fmt::format("projection {} did not finish rebuilding in 10 minutes", name));
      }
      // Not swapped in yet: block a while (returns at once on a fault) rather than spin on status().
      runner.wait_for(name, Position{std::numeric_limits<std::int64_t>::max()}, std::chrono::milliseconds(20));
    }
  }
  auto end = Clock::now();
  figures.seconds = std::chrono::duration<double>(end - start).count();
  figures.peak_rss_mb = peak_rss_mb();
  done = true;
  appender.join();
  for (auto& [began, ms] : appends) {
    if (began < start || began > end) continue;
    figures.longest_append_ms = std::max(figures.longest_append_ms, ms);
    ++figures.appends;
  }
  return figures;
}

}  // namespace evlite::bench
