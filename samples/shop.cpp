// The e-commerce sample: evlite embedded as a real service would embed it.
//
//   shop [--db shop.db] [--orders 200] [--threads 4] [--decline-every 7] [--cancel-every 10]
//
// Receives stock, places orders from several customer threads (cancelling some), lets the reactions and
// projections run until every order has settled, and prints the read models, per-stage counts, orders per
// second and the time from OrderPlaced to OrderShipped. A second run on the same file continues from what
// is stored: stock is topped up, new orders get new ids, the read models keep their history.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "evlite/aggregates/repository.h"
#include "evlite/aggregates/shop/inventory.h"
#include "evlite/aggregates/shop/order.h"
#include "evlite/projections/reaction.h"
#include "evlite/projections/runner.h"
#include "evlite/projections/shop/reactions.h"
#include "evlite/projections/shop/read_models.h"

namespace {

using namespace evlite;
using namespace std::chrono_literals;

constexpr int kProducts = 6;
constexpr std::int64_t kRestockTo = 120;

struct Settings {
  std::string db = "shop.db";
  int orders = 200;
  int threads = 4;
  std::int64_t decline_every = 7;
  int cancel_every = 10;
};

std::string product(int i) { return fmt::format("sku-{}", i + 1); }

// Tops every product up to kRestockTo units on hand.
void receive_stock(EventStore& store) {
  aggregates::Repository<shop::Inventory> stock(store);
  for (int i = 0; i < kProducts; ++i) {
    stock.execute(product(i), [&](const shop::Inventory& inv) -> std::vector<shop::InventoryEvent> {
      if (inv.on_hand() >= kRestockTo) return {};
      return inv.receive(product(i), kRestockTo - inv.on_hand());
    });
  }
}

// Customers place orders in parallel; every cancel_every-th order is cancelled by its customer at once
// (it may already be on its way, then the cancellation is refused like in any shop). Order numbers start
// at `first_number`; a number another shop on this file took meanwhile is skipped. Each order's contents
// come from its own number, so the same numbers give the same orders whatever the threads do.
std::vector<std::string> place_orders(EventStore& store, const Settings& s, std::int64_t first_number) {
  // Retries generously: the reactions work on the same order streams, and a cancel may race them.
  aggregates::Repository<shop::Order> orders(store, {.max_attempts = 50});
  std::mutex mutex;
  std::vector<std::string> ids;            // Guarded by mutex
  std::exception_ptr first_error;          // Guarded by mutex
  std::atomic<std::int64_t> next = first_number;
  std::atomic<int> claimed = 0;
  // Places one order under the next free number; returns that number.
  auto place_one = [&] {
    for (;;) {
      std::int64_t number = next++;
      std::string id = std::to_string(number);
      std::mt19937 random(static_cast<unsigned>(number) * 7919u + 17u);
      shop::PlaceOrder command{.order_id = id,
                               .customer = fmt::format("customer-{}", random() % 40),
                               .shipping_address = {"12 Harbour Road", "Leith", "EH6 6LX", number % 3 ? "GB" : "FR"}};
      for (unsigned line = 0, lines = 1 + random() % 3; line < lines; ++line) {
        command.lines.push_back({product(static_cast<int>(random() % kProducts)),
                                 static_cast<std::int64_t>(1 + random() % 3), 499 + 250 * line});
      }
      bool taken = false;
      orders.execute(id, [&](const shop::Order& o) -> std::vector<shop::OrderEvent> {
        taken = o.state() != shop::OrderState::None;
        return taken ? std::vector<shop::OrderEvent>{} : o.place(command);
      });
      if (!taken) return number;
    }
  };
  auto customer = [&] {
    while (claimed++ < s.orders) {
      std::int64_t number = place_one();
      std::string id = std::to_string(number);
      {
        std::lock_guard lock(mutex);
        ids.push_back(id);
      }
      if (s.cancel_every > 0 && number % s.cancel_every == 0) {
        try {
          orders.execute(id, [](const shop::Order& o) { return o.cancel("customer changed their mind"); });
        } catch (const aggregates::CommandRejected&) {
        }
      }
    }
  };
  // An exception must not end a thread (that would terminate the process): the first is rethrown here.
  std::vector<std::thread> threads;
  for (int t = 0; t < s.threads; ++t) {
    threads.emplace_back([&] {
      try {
        customer();
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
        claimed = s.orders;  // the others stop too
      }
    });
  }
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
  std::sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); });
  return ids;
}

// The highest stored order number, so that a second run goes on after it.
std::int64_t last_order_number(const EventStore& store) {
  std::int64_t last = 0;
  StreamList page{.category = std::string(shop::Order::kCategory)};
  for (std::vector<StreamInfo> streams; !(streams = store.list_streams(page)).empty();) {
    for (const StreamInfo& stream : streams) {
      std::string_view number = std::string_view(stream.stream_id);
      number.remove_prefix(std::min(number.size(), shop::Order::kCategory.size() + 1));  // "order-"
      auto digit = [](char c) { return c >= '0' && c <= '9'; };
      if (!number.empty() && number.size() < 18 && std::all_of(number.begin(), number.end(), digit)) {
        last = std::max<std::int64_t>(last, std::stoll(std::string(number)));
      }
    }
    page.after = streams.back().stream_id;
  }
  return last;
}

// Waits until every consumer of `runner` has reached `head`. A faulted one will not: its fault is thrown
// (its wait_for returns at once, so waiting on would only spin).
template <class Runner>
void wait_for_all(const Runner& runner, Position head) {
  for (const auto& consumer : runner.status()) {
    while (!runner.wait_for(consumer.name, head, 1s)) {
      for (const auto& now : runner.status()) {
        if (now.name == consumer.name && now.state == projections::ProjectionState::Faulted) {
          throw ProjectionFaulted(now.name, now.error_position, now.error);
        }
      }
    }
  }
}

// Settled: every reaction and projection has reached the head, and the head stopped moving.
void wait_until_settled(const EventStore& store, const projections::ReactionRunner& reactions,
                        const projections::ProjectionRunner& projections) {
  for (;;) {
    Position head = store.head_position();
    wait_for_all(reactions, head);
    wait_for_all(projections, head);
    if (store.head_position() == head) return;
  }
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[static_cast<std::size_t>(p * static_cast<double>(values.size() - 1))];
}

void print_report(EventStore& store, const std::vector<std::string>& ids, double seconds) {
  projections::ReadModels models(store);
  fmt::print("\ninventory\n  {:<8} {:>8} {:>9} {:>10}\n", "PRODUCT", "ON_HAND", "RESERVED", "AVAILABLE");
  for (const auto& r : shop::query_inventory(models)) {
    fmt::print("  {:<8} {:>8} {:>9} {:>10}\n", r.product, r.on_hand, r.reserved, r.available);
  }
  std::set<std::string> mine(ids.begin(), ids.end());
  std::map<std::string, shop::OrderSummaryRow> summary;
  for (auto& row : shop::query_orders(models)) summary[row.order] = row;
  fmt::print("\nshipping (this run)\n  {:<16} {:<8} {:<10} {:<11} {}\n", "SHIPMENT", "ORDER", "STATE", "CARRIER", "TRACKING");
  std::size_t shown = 0;
  for (const auto& r : shop::query_shipping(models)) {
    if (!mine.contains(r.order) || ++shown > 15) continue;
    fmt::print("  {:<16} {:<8} {:<10} {:<11} {}\n", r.shipment, r.order, r.state, r.carrier, r.tracking);
  }
  if (shown > 15) fmt::print("  … and {} more\n", shown - 15);

  fmt::print("\norder summary (this run)\n  {:<8} {:<12} {:<15} {:>5} {:>8}\n", "ORDER", "CUSTOMER", "STATE", "ITEMS", "TOTAL");
  std::map<std::string, int> per_state;
  std::size_t listed = 0;
  for (const auto& id : ids) {
    const auto& row = summary[id];
    ++per_state[row.state];
    if (++listed <= 15) {
      fmt::print("  {:<8} {:<12} {:<15} {:>5} {:>8.2f}\n", row.order, row.customer, row.state, row.items,
                 static_cast<double>(row.total) / 100.0);
    }
  }
  if (listed > 15) fmt::print("  … and {} more\n", listed - 15);

  // Per-stage counts and latency, read back from the orders' own streams.
  std::map<std::string, int> stages;
  std::vector<double> placed_to_shipped_ms;
  for (const auto& id : ids) {
    Timestamp placed{};
    auto cursor = store.read_stream("order-" + id);
    while (cursor.next()) {
      const RecordedEvent& e = cursor.event();
      ++stages[e.type];
      if (e.type == shop::OrderPlaced::kType) placed = e.recorded_at;
      if (e.type == shop::OrderShipped::kType) {
        placed_to_shipped_ms.push_back(std::chrono::duration<double, std::milli>(e.recorded_at - placed).count());
      }
    }
  }
  fmt::print("\nper stage (events in this run's orders)\n");
  for (auto type : {shop::OrderPlaced::kType, shop::StockReserved::kType, shop::OutOfStock::kType,
                    shop::PaymentCaptured::kType, shop::PaymentFailed::kType, shop::OrderPaid::kType,
                    shop::OrderReadyForShipment::kType, shop::OrderShipped::kType, shop::OrderCancelled::kType}) {
    fmt::print("  {:<22} {:>6}\n", type, stages[std::string(type)]);
  }
  fmt::print("\nsettled states: ");
  for (auto& [state, n] : per_state) fmt::print("{} {}  ", state, n);
  fmt::print("\n{} orders settled in {:.2f} s = {:.0f} orders/s; OrderPlaced → OrderShipped median {:.1f} ms, "
             "p99 {:.1f} ms\n",
             ids.size(), seconds, static_cast<double>(ids.size()) / seconds, percentile(placed_to_shipped_ms, 0.5),
             percentile(placed_to_shipped_ms, 0.99));
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  CLI::App app{"The evlite e-commerce sample: an embedded shop service on one SQLite file."};
  app.add_option("--db", s.db, "store file (default shop.db)");
  app.add_option("--orders", s.orders, "orders to place (default 200)")->check(CLI::PositiveNumber);
  app.add_option("--threads", s.threads, "customer threads (default 4)")->check(CLI::PositiveNumber);
  app.add_option("--decline-every", s.decline_every, "the gateway declines about 1 in N cards; 0: none (default 7)");
  app.add_option("--cancel-every", s.cancel_every, "every Nth customer cancels at once; 0: none (default 10)");
  CLI11_PARSE(app, argc, argv);
  try {
    EventStore store = EventStore::open(s.db);
    fmt::print("evlite shop on {} (schema {}, {} events already stored)\n", s.db, store.schema_version(),
               store.head_position().value);
    receive_stock(store);

    projections::ReactionRunner reactions(store);
    for (auto& r : shop::shop_reactions(store, {.decline_every = s.decline_every})) reactions.add(r);
    projections::ProjectionRunner projections(store);
    for (auto& p : shop::shop_projections()) projections.add(p);
    reactions.start();
    projections.start();

    auto start = std::chrono::steady_clock::now();
    std::vector<std::string> ids = place_orders(store, s, last_order_number(store) + 1);
    wait_until_settled(store, reactions, projections);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    print_report(store, ids, seconds);
    fmt::print("\nLook around with the CLI (build/cli/evlite): evlite --db {} view inventory | view shipping | "
               "view orders | stats | verify\n", s.db);
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "shop: {}\n", e.what());
    return 1;
  }
}
