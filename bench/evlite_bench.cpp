// evlite-bench: each workload against raw SQLite doing the same work, in the same run (baseline.h).
//
//   evlite-bench [--full] [--json] [--only WORKLOAD]
//
// Quick mode (make bench) finishes in a few minutes on 2 cores; --full runs the large sizes, including
// the 10-million-event scale test. Each figure is the median of 3 repetitions, each on fresh files.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <random>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "evlite/engine/event_store.h"
#include "workloads.h"

namespace evlite::bench {
namespace {

struct Result {
  std::string workload{};
  std::int64_t events = 0;
  double seconds = 0;
  double events_per_s = 0;
  double baseline_events_per_s = 0;
  double ratio = 0;  // evlite ÷ baseline; for latency workloads baseline p50 ÷ evlite p50
  double peak_rss_mb = 0;
  std::string target{};
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Peak resident memory since the last reset (Linux: VmHWM, reset by writing 5 to clear_refs).
void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }
double peak_rss_mb() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

class Bench {
 public:
  Bench(bool full, std::filesystem::path dir) : full_(full), dir_(std::move(dir)) {}

  // A fresh store file holding the schema, for either side.
  std::filesystem::path fresh(const std::string& name) {
    auto file = dir_ / (name + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
    EventStore::open(file);  // the schema, through the store's own migrations
    return file;
  }

  // Median of 3 of each side; `ours` and `theirs` return seconds for `events` events.
  Result throughput(const std::string& name, std::int64_t events, const std::string& target,
                    const std::function<double(const std::filesystem::path&)>& ours,
                    const std::function<double(const std::filesystem::path&)>& theirs) {
    std::vector<double> a, b;
    double rss = 0;
    for (int rep = 0; rep < 3; ++rep) {
      reset_peak_rss();
      a.push_back(ours(fresh(name)));
      rss = std::max(rss, peak_rss_mb());
      b.push_back(theirs(fresh(name + "-raw")));
    }
    Result r{name, events, median(a), static_cast<double>(events) / median(a), static_cast<double>(events) / median(b)};
    r.ratio = r.events_per_s / r.baseline_events_per_s;
    r.peak_rss_mb = rss;
    r.target = target;
    return r;
  }

  std::vector<Result> run(const std::string& only) {
    const Payload payload = shop_payload();
    std::vector<Result> results;
    auto wanted = [&](const char* name) { return only.empty() || only == name; };
    auto n = [&](std::int64_t quick, std::int64_t big) { return full_ ? big : quick; };

    if (wanted("append_batch_1000")) {
      std::int64_t events = n(200'000, 1'000'000);
      results.push_back(throughput("append_batch_1000", events, ">= 0.8x raw 1,000-row transactions",
          [&](auto& f) { return append(f, events, 1000, Synchronous::Normal, payload); },
          [&](auto& f) { return raw_append(f, {.events = events, .per_transaction = 1000}, payload); }));
    }
    if (wanted("append_single_full") || wanted("append_concurrent_full")) {
      std::int64_t events = n(2'000, 5'000);
      results.push_back(throughput("append_single_full", events, ">= 0.9x raw one-row transactions",
          [&](auto& f) { return append(f, events, 1, Synchronous::Full, payload); },
          [&](auto& f) { return raw_append(f, {.events = events, .per_transaction = 1, .full_sync = true}, payload); }));
    }
    if (wanted("append_single_normal")) {
      std::int64_t events = n(20'000, 100'000);
      results.push_back(throughput("append_single_normal", events, ">= 0.8x raw one-row transactions reading the version",
          [&](auto& f) { return append(f, events, 1, Synchronous::Normal, payload); },
          [&](auto& f) { return raw_append(f, {.events = events, .per_transaction = 1}, payload); }));
    }
    if (wanted("append_concurrent_full")) {
      std::int64_t per_thread = n(600, 1'000);
      double group = 0;
      Result r = throughput("append_concurrent_full", 16 * per_thread,
          ">= 5x append_single_full and >= 0.7x raw FULL transactions of 16 rows, one per stream",
          [&](auto& f) { return append_concurrent(f, 16, per_thread, payload, &group); },
          [&](auto& f) { return raw_append(f, {.events = 16 * per_thread, .per_transaction = 16,
                                      .spread = RawAppend::Spread::StreamPerRow, .full_sync = true}, payload); });
      auto single = std::find_if(results.begin(), results.end(), [](auto& x) { return x.workload == "append_single_full"; });
      r.extra["vs_append_single_full"] = single == results.end() ? 0 : r.events_per_s / single->events_per_s;
      r.extra["average_group"] = group;
      r.extra["wake_16_threads_us"] = wake_and_return_us(16);
      results.push_back(r);
    }
    if (wanted("read_all") || wanted("read_all_decode")) {
      std::int64_t events = n(200'000, 1'000'000);
      for (bool decode : {false, true}) {
        std::string name = decode ? "read_all_decode" : "read_all";
        if (!wanted(name.c_str()) && !only.empty()) continue;
        std::vector<double> a, b;
        double rss = 0;
        for (int rep = 0; rep < 3; ++rep) {
          auto file = fresh(name);
          append(file, events, 1000, Synchronous::Normal, payload);
          reset_peak_rss();
          a.push_back(read_all(file, decode));
          rss = std::max(rss, peak_rss_mb());
          b.push_back(raw_scan(file, decode));
        }
        Result r{name, events, median(a), static_cast<double>(events) / median(a), static_cast<double>(events) / median(b)};
        r.ratio = r.events_per_s / r.baseline_events_per_s;
        r.peak_rss_mb = rss;
        r.target = decode ? ">= 0.8x a raw scan plus the same parse" : ">= 0.85x a raw scan copying the same columns";
        results.push_back(r);
      }
    }
    if (wanted("read_stream")) {
      std::vector<double> p50, p99, raw50, raw99;
      for (int rep = 0; rep < 3; ++rep) {
        auto file = fresh("read_stream");
        append(file, 200'000, 1000, Synchronous::Normal, payload);  // 1000 streams: 200 of 1,000 events
        std::vector<std::string> streams;
        for (int i = 0; i < 200; ++i) streams.push_back(fmt::format("order-{}", i));
        auto ours = read_streams(file, streams);
        auto theirs = raw_read_streams(file, streams);
        p50.push_back(percentile(ours, 0.5));
        p99.push_back(percentile(ours, 0.99));
        raw50.push_back(percentile(theirs, 0.5));
        raw99.push_back(percentile(theirs, 0.99));
      }
      Result r{"read_stream", 1000, median(p50) / 1000.0, 1000.0 / (median(p50) / 1000.0), 1000.0 / (median(raw50) / 1000.0)};
      r.ratio = r.events_per_s / r.baseline_events_per_s;
      r.target = "p50 <= 1.2x raw";
      r.extra["p50_ms"] = median(p50);
      r.extra["p99_ms"] = median(p99);
      r.extra["baseline_p50_ms"] = median(raw50);
      r.extra["baseline_p99_ms"] = median(raw99);
      results.push_back(r);
    }
    if (wanted("aggregate_load")) {
      std::vector<double> shorts, longs, snaps;
      for (int rep = 0; rep < 3; ++rep) {
        shorts.push_back(order_load_ms(fresh("load10"), 10, false));
        longs.push_back(order_load_ms(fresh("load10k"), 10'000, false));
        snaps.push_back(order_load_ms(fresh("load10ks"), 10'000, true));
      }
      Result r{"aggregate_load", 10'000, median(snaps) / 1000.0, 10'000 / (median(snaps) / 1000.0), 0};
      r.ratio = median(snaps) / median(shorts);
      r.target = "10,000 events + snapshot <= 2x 10 events (ratio = their time ÷ the 10-event time)";
      r.extra["order_10_ms"] = median(shorts);
      r.extra["order_10000_ms"] = median(longs);
      r.extra["order_10000_snapshot_ms"] = median(snaps);
      results.push_back(r);
    }
    if (wanted("projection_rebuild")) {
      std::vector<RebuildFigures> figures;
      double rss = 0;
      for (int rep = 0; rep < 3; ++rep) {
        reset_peak_rss();
        figures.push_back(projection_rebuild(fresh("rebuild"), n(100'000, 1'000'000)));
        rss = std::max(rss, peak_rss_mb());
      }
      std::sort(figures.begin(), figures.end(), [](auto& x, auto& y) { return x.seconds < y.seconds; });
      const RebuildFigures& m = figures[1];
      Result r{"projection_rebuild", m.events, m.seconds, static_cast<double>(m.events) / m.seconds, 200'000};
      r.ratio = r.events_per_s / r.baseline_events_per_s;
      r.peak_rss_mb = rss;
      r.target = ">= 200,000 events/s (baseline column: the target), longest append <= 100 ms";
      double longest = 0;
      for (auto& f : figures) longest = std::max(longest, f.longest_append_ms);
      r.extra["longest_append_ms"] = longest;
      r.extra["appends_during_rebuild"] = m.appends;
      results.push_back(r);
    }
    if (full_ && wanted("scale")) results.push_back(scale(payload));
    return results;
  }

 private:
  // 10M events appended in batches of 1,000; then a full replay in a child process, for its peak memory.
  Result scale(const Payload& payload) {
    const std::int64_t events = 10'000'000;
    std::vector<double> ours, theirs, replay_rss;
    double bytes = 0, raw_bytes = 0;
    for (int rep = 0; rep < 3; ++rep) {
      auto file = fresh("scale");
      ours.push_back(append(file, events, 1000, Synchronous::Normal, payload));
      EventStore::open(file);  // checkpoints the WAL on close of the writer … then measure the file
      bytes = static_cast<double>(std::filesystem::file_size(file));
      replay_rss.push_back(replay_peak_mb(file));
      std::filesystem::remove(file);
      auto raw = fresh("scale-raw");
      theirs.push_back(raw_append(raw, {.events = events, .per_transaction = 1000}, payload));
      raw_bytes = static_cast<double>(std::filesystem::file_size(raw));
      std::filesystem::remove(raw);
    }
    Result r{"scale", events, median(ours), events / median(ours), events / median(theirs)};
    r.ratio = r.events_per_s / r.baseline_events_per_s;
    r.peak_rss_mb = median(replay_rss);
    r.target = ">= 0.8x raw at 10M; replay peak < 64 MB; bytes/event <= 1.1x raw";
    r.extra["bytes_per_event"] = bytes / events;
    r.extra["baseline_bytes_per_event"] = raw_bytes / events;
    r.extra["replay_peak_rss_mb"] = median(replay_rss);
    return r;
  }

  // Replays every event of `file` in a fresh process (this program, --replay-peak) and returns its peak
  // RSS: a forked child would count the parent's resident pages as its own.
  static double replay_peak_mb(const std::filesystem::path& file) {
    std::string command = fmt::format("/proc/{}/exe --replay-peak '{}'", getpid(), file.string());
    FILE* out = popen(command.c_str(), "r");
    if (out == nullptr) throw std::runtime_error("cannot run the replay process");
    double peak = 0;
    if (std::fscanf(out, "%lf", &peak) != 1) peak = -1;
    pclose(out);
    return peak;
  }

  bool full_;
  std::filesystem::path dir_;
};

}  // namespace
}  // namespace evlite::bench

int main(int argc, char** argv) {
  using namespace evlite::bench;
  bool full = false, json = false;
  std::string only, replay;
  CLI::App app{"evlite-bench: evlite against raw SQLite doing the same work, in the same run"};
  app.add_option("--replay-peak", replay, "(internal) replay FILE and print this process's peak RSS in MB");
  app.add_flag("--full", full, "the large sizes, and the 10M-event scale test");
  app.add_flag("--json", json, "one JSON object per workload");
  app.add_option("--only", only, "run one workload");
  CLI11_PARSE(app, argc, argv);
  if (!replay.empty()) {
    read_all(replay, false);
    fmt::print("{:.1f}\n", peak_rss_mb());
    return 0;
  }
  auto dir = std::filesystem::temp_directory_path() / fmt::format("evlite-bench-{}", getpid());
  std::filesystem::create_directories(dir);
  auto results = Bench(full, dir).run(only);
  std::filesystem::remove_all(dir);
  if (!json) {
    fmt::print("{:<24} {:>10} {:>9} {:>12} {:>13} {:>7} {:>8}  {}\n", "workload", "events", "seconds", "events/s",
               "baseline/s", "ratio", "peak MB", "target");
  }
  for (const auto& r : results) {
    if (json) {
      nlohmann::ordered_json j{{"workload", r.workload}, {"events", r.events}, {"seconds", r.seconds},
                               {"events_per_s", r.events_per_s}, {"baseline_events_per_s", r.baseline_events_per_s},
                               {"ratio", r.ratio}, {"peak_rss_mb", r.peak_rss_mb}};
      for (auto& [k, v] : r.extra.items()) j[k] = v;
      fmt::print("{}\n", j.dump());
      continue;
    }
    fmt::print("{:<24} {:>10} {:>9.3f} {:>12.0f} {:>13.0f} {:>7.2f} {:>8.1f}  {}\n", r.workload, r.events, r.seconds,
               r.events_per_s, r.baseline_events_per_s, r.ratio, r.peak_rss_mb, r.target);
    for (auto& [k, v] : r.extra.items()) fmt::print("{:>26}{} = {}\n", "", k, v.dump());
  }
}
