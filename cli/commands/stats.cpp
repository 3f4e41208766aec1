#include "command.h"
#include "evlite/projections/runner.h"
#include "evlite/projections/shop/read_models.h"

namespace evlite::cli {
namespace {

std::uintmax_t size_of(const std::filesystem::path& path) {
  std::error_code error;
  auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

}  // namespace

Command stats_command() {
  return {"stats", "event and stream counts, head position, file size, events per category and type, projection lag",
          "evlite --db shop.db stats", [](CLI::App&) -> Runner {
            return [](const Invocation& in) {
              EventStore store = in.open_to_read();
              EventStore::Stats s = store.stats();
              Output::Record per_category = Output::Record::object();
              for (auto& [category, n] : s.events_per_category) per_category[category] = n;
              Output::Record per_type = Output::Record::object();
              for (auto& [type, n] : s.events_per_type) per_type[type] = n;
              Output::Record lag = Output::Record::object();
              for (auto& p : projections::stored_status(store, shop::shop_projections())) lag[p.name] = p.lag;
              std::uintmax_t file = size_of(in.db);
              std::uintmax_t wal = size_of(in.db.string() + "-wal");
              if (in.json) {
                in.out.record({{"events", s.events}, {"streams", s.streams}, {"head", s.head.value},
                               {"file_bytes", file}, {"wal_bytes", wal}, {"events_per_category", per_category},
                               {"events_per_type", per_type}, {"projection_lag", lag}});
                return 0;
              }
              fmt::print("events      {}\nstreams     {}\nhead        {}\nfile bytes  {} (+ {} in the WAL)\n", s.events,
                         s.streams, s.head.value, file, wal);
              auto section = [](const char* title, const Output::Record& counts) {
                fmt::print("\n{}\n", title);
                for (const auto& [key, n] : counts.items()) fmt::print("  {:<28}{:>12}\n", key, n.dump());
              };
              section("events per category", per_category);
              section("events per type", per_type);
              section("projection lag (events behind the head)", lag);
              return 0;
            };
          }};
}

}  // namespace evlite::cli
