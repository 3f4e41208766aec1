// A projection for tests: counts events per stream, so any event applied twice or missed shows up
// exactly. It can be told to throw at one position, and its version can be bumped.
#pragma once

#include <signal.h>

#include <atomic>
#include <map>

#include <SQLiteCpp/Statement.h>

#include "evlite/projections/projection.h"
#include "evlite/projections/read_models.h"

namespace evlite::testing {

class CountingProjection : public projections::Projection {
 public:
  explicit CountingProjection(std::string name = "counting", std::int32_t version = 1)
      : name_(std::move(name)), version_(version) {}

  std::atomic<std::int64_t> fail_at{0};  // throw when applying this position (0: never)
  std::atomic<std::int64_t> applied{0};  // apply() calls that committed or not

  std::string name() const override { return name_; }
  std::int32_t version() const override { return version_; }
  std::vector<std::string> tables() const override { return {name_}; }
  Filter filter() const override { return {}; }
  void create_schema(projections::WriteContext& context) const override {
    context.exec("CREATE TABLE {" + name_ + "} (stream TEXT PRIMARY KEY, n INTEGER NOT NULL, version INTEGER NOT NULL)");
  }
  void apply(const RecordedEvent& event, projections::WriteContext& context) override {
    if (event.position.value == fail_at) throw std::runtime_error("poisoned event");
    ++applied;
    context.run(sql_.c_str(), event.stream_id, version_);
  }

 private:
  std::string name_;
  std::int32_t version_;
  std::string sql_ = "INSERT INTO {" + name_ + "} (stream, n, version) VALUES (?1, 1, ?2) "
                     "ON CONFLICT (stream) DO UPDATE SET n = n + 1";
};

// A CountingProjection that SIGKILLs its own process when it reaches a position: a crash at that instant.
class DyingProjection : public CountingProjection {
 public:
  explicit DyingProjection(std::int64_t die_at) : die_at_(die_at) {}
  void apply(const RecordedEvent& event, projections::WriteContext& context) override {
    if (event.position.value == die_at_) raise(SIGKILL);
    CountingProjection::apply(event, context);
  }

 private:
  std::int64_t die_at_;
};

// The same read model, folded: counts per stream summed in memory, one upsert per stream and batch. It can
// be told to refuse an event in fold(), or to fail its next flush().
class FoldingCountingProjection : public projections::FoldingProjection {
 public:
  explicit FoldingCountingProjection(std::string name) : name_(std::move(name)) {}

  std::atomic<std::int64_t> fail_at{0};       // fold() throws at this position (0: never)
  std::atomic<bool> fail_next_flush{false};  // flush() throws once

  std::string name() const override { return name_; }
  std::int32_t version() const override { return 1; }
  std::vector<std::string> tables() const override { return {name_}; }
  Filter filter() const override { return {}; }
  void create_schema(projections::WriteContext& context) const override {
    context.exec("CREATE TABLE {" + name_ + "} (stream TEXT PRIMARY KEY, n INTEGER NOT NULL, version INTEGER NOT NULL)");
  }
  void fold(const RecordedEvent& event) override {
    if (event.position.value == fail_at) throw std::runtime_error("poisoned event");
    ++pending_[event.stream_id];
  }
  void flush(projections::WriteContext& context) override {
    if (fail_next_flush.exchange(false)) throw std::runtime_error("disk on fire");
    for (const auto& [stream, n] : pending_) context.run(sql_.c_str(), stream, n);
  }
  void discard() override { pending_.clear(); }

 private:
  std::string name_;
  std::map<std::string, std::int64_t> pending_;
  std::string sql_ = "INSERT INTO {" + name_ + "} (stream, n, version) VALUES (?1, ?2, 1) "
                     "ON CONFLICT (stream) DO UPDATE SET n = n + excluded.n";
};

// stream → count, as the read model has it (empty when never built).
inline std::map<std::string, std::int64_t> counts(projections::ReadModels& models, const std::string& table) {
  std::map<std::string, std::int64_t> out;
  if (!models.has(table)) return out;
  SQLite::Statement s(models.db(), "SELECT stream, n FROM \"" + table + "\"");
  while (s.executeStep()) out[s.getColumn(0).getString()] = s.getColumn(1).getInt64();
  return out;
}

// stream → version, as the store has it: what an exactly-once count must equal.
inline std::map<std::string, std::int64_t> stream_versions(const EventStore& store) {
  std::map<std::string, std::int64_t> out;
  for (const auto& info : store.list_streams({.max_count = 1'000'000})) out[info.stream_id] = info.version.value;
  return out;
}

// Appends `n` one-event appends round robin over `streams` streams.
inline void append_round_robin(EventStore& store, int n, int streams, const std::string& prefix = "thing") {
  for (int i = 0; i < n; ++i) {
    store.append(prefix + "-" + std::to_string(i % streams), ExpectedVersion::any(),
                 {{.type = "Happened", .data = R"({"i":)" + std::to_string(i) + "}"}});
  }
}

}  // namespace evlite::testing
