#include "baseline.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "evlite/engine/options.h"
#include "uuid.h"

namespace evlite::bench {
namespace {

class Raw {
 public:
  // NOMUTEX, as the store opens its connections: each connection is used by one thread at a time.
  explicit Raw(const std::filesystem::path& file) {
    if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
      throw std::runtime_error("baseline: cannot open");
    }
  }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;
  ~Raw() {
    for (auto* s : statements_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  void exec(const char* sql) { check(sqlite3_exec(db_, sql, nullptr, nullptr, nullptr), sql); }
  // A PASSIVE checkpoint that must copy the whole WAL into `file`; throws, naming it, when it did not (a
  // reader in the way, or an error).
  void checkpoint_whole_wal(const std::filesystem::path& file) {
    // A connection that has not read the file yet has not opened its WAL either: the checkpoint would do
    // nothing and report -1 frames.
    exec("SELECT count(*) FROM sqlite_schema");
    int frames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
    if (rc != SQLITE_OK || frames < 0 || frames != copied) {
      throw std::runtime_error(fmt::format("baseline: the checkpoint of {} copied {} of {} WAL frames: {}",
                                           file.string(), copied, frames, sqlite3_errmsg(db_)));
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    check(sqlite3_prepare_v2(db_, sql, -1, &s, nullptr), sql);
    statements_.push_back(s);
    return s;
  }
  void check(int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
      throw std::runtime_error(fmt::format("baseline {}: {}", what, sqlite3_errmsg(db_)));
    }
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
};

constexpr const char* kScan =
    "SELECT position, stream_id, version, event_id, type, schema_version, data, metadata, recorded_at FROM events";

// The copies a RecordedEvent makes of a row.
struct Row {
  std::int64_t position, version, schema_version, recorded_at;
  std::string stream, id, type, data, metadata;
};

void copy_row(sqlite3_stmt* s, Row& row) {
  auto text = [&](int column, std::string& out) {
    out.assign(reinterpret_cast<const char*>(sqlite3_column_text(s, column)),
               static_cast<std::size_t>(sqlite3_column_bytes(s, column)));
  };
  row.position = sqlite3_column_int64(s, 0);
  text(1, row.stream);
  row.version = sqlite3_column_int64(s, 2);
  text(3, row.id);
  text(4, row.type);
  row.schema_version = sqlite3_column_int64(s, 5);
  text(6, row.data);
  text(7, row.metadata);
  row.recorded_at = sqlite3_column_int64(s, 8);
}

}  // namespace

std::string order_stream(std::int64_t n) { return fmt::format("order-{}", n); }

void settle_wal(const std::filesystem::path& file, const std::function<void()>& write_batch) {
  std::filesystem::path wal = file.string() + "-wal";
  auto size = [&] { return std::filesystem::exists(wal) ? std::filesystem::file_size(wal) : 0; };
  // 40 MB of WAL at the store's default threshold: about 60 batches. A WAL that is never copied back
  // (automatic checkpoints off) never stops growing; one truncated when it restarts shrinks.
  constexpr int kMaxBatches = 200;
  for (int batch = 0; batch < kMaxBatches; ++batch) {
    std::uintmax_t before = size();
    write_batch();
    if (before > 0 && size() <= before) {
      // The batch that found the WAL restarted is still in it: copy it back now, from a connection of
      // our own, so that the timed close does not copy it. The WAL keeps its size; the next commit
      // restarts it again.
      Raw(file).checkpoint_whole_wal(file);
      return;
    }
  }
  throw std::runtime_error(fmt::format("the WAL of {} still grows after {} batches", file.string(), kMaxBatches));
}

double raw_append(const std::filesystem::path& file, const RawAppend& append, const Payload& payload) {
  std::optional<Raw> opened(std::in_place, file);
  Raw& raw = *opened;
  raw.exec(append.full_sync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
  raw.exec(fmt::format("PRAGMA cache_size = {}", -(Options{}.write_cache_bytes / 1024)).c_str());  // the store's
  raw.exec("PRAGMA wal_autocheckpoint = 10000");
  sqlite3_stmt* version = raw.prepare("SELECT version FROM streams WHERE stream_id = ?1");
  sqlite3_stmt* insert = raw.prepare(
      "INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata, recorded_at, hash) "
      "VALUES (?1, ?2, ?3, 'OrderPlaced', 1, ?4, ?5, ?6, ?7)");
  sqlite3_stmt* head = raw.prepare(
      "INSERT INTO streams (stream_id, category, version, created_at, updated_at) VALUES (?1, 'order', ?2, ?3, ?3) "
      "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at");
  // One stream's share of a transaction: its version, `rows` inserts, its new head.
  auto write_rows = [&](const std::string& stream, std::int64_t rows, std::int64_t now) {
    sqlite3_bind_text(version, 1, stream.c_str(), -1, SQLITE_STATIC);
    std::int64_t v = sqlite3_step(version) == SQLITE_ROW ? sqlite3_column_int64(version, 0) : 0;
    sqlite3_reset(version);
    for (std::int64_t i = 0; i < rows; ++i) {
      std::string id = detail::new_uuid_v7();
      sqlite3_bind_text(insert, 1, stream.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(insert, 2, ++v);
      sqlite3_bind_text(insert, 3, id.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 4, payload.data.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 5, payload.metadata.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(insert, 6, now);
      // The row evlite stores holds a 32-byte hash; raw stores 32 bytes too, without computing them.
      sqlite3_bind_blob(insert, 7, id.data(), 32, SQLITE_STATIC);
      raw.check(sqlite3_step(insert), "insert");
      sqlite3_reset(insert);
    }
    sqlite3_bind_text(head, 1, stream.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(head, 2, v);
    sqlite3_bind_int64(head, 3, now);
    raw.check(sqlite3_step(head), "upsert stream");
    sqlite3_reset(head);
  };
  auto stream_name = [&](std::int64_t n) { return order_stream(n % append.streams); };
  auto now = [] {
    return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  raw.exec("BEGIN IMMEDIATE");
  for (int s = 0; s < append.streams; ++s) write_rows(stream_name(s), 1, now());
  raw.exec("COMMIT");
  if (append.full_sync) {
    std::int64_t batch = 0;
    settle_wal(file, [&] {
      raw.exec("BEGIN IMMEDIATE");
      write_rows(fmt::format("settle-{}", batch++), kSettleBatch, now());
      raw.exec("COMMIT");
    });
  }
  auto start = std::chrono::steady_clock::now();
  for (std::int64_t done = 0, round = 0; done < append.events; ++round) {
    std::int64_t time = now();
    raw.exec("BEGIN IMMEDIATE");
    if (append.spread == RawAppend::Spread::OneStream) {
      std::int64_t rows = std::min(append.per_transaction, append.events - done);
      write_rows(stream_name(round), rows, time);
      done += rows;
    } else {
      for (std::int64_t i = 0; i < append.per_transaction && done < append.events; ++i, ++done) {
        write_rows(stream_name(i), 1, time);
      }
    }
    raw.exec("COMMIT");
  }
  opened.reset();  // closing copies the WAL into the file, as closing the store does: both end in one state
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double raw_scan(const std::filesystem::path& file, bool decode) {
  Raw raw(file);
  raw.exec("PRAGMA cache_size = -8192");
  sqlite3_stmt* scan = raw.prepare((std::string(kScan) + " ORDER BY position").c_str());
  Row row;
  std::size_t checksum = 0;
  auto start = std::chrono::steady_clock::now();
  while (sqlite3_step(scan) == SQLITE_ROW) {
    copy_row(scan, row);
    if (decode) checksum += nlohmann::json::parse(row.data).size();
    checksum += row.data.size();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (checksum == 0) throw std::runtime_error("baseline scan read nothing");
  return seconds;
}

std::vector<double> raw_read_streams(const std::filesystem::path& file, const std::vector<std::string>& streams) {
  Raw raw(file);
  raw.exec("PRAGMA cache_size = -8192");
  sqlite3_stmt* read = raw.prepare((std::string(kScan) + " WHERE stream_id = ?1 ORDER BY version").c_str());
  auto read_one = [&](const std::string& stream) {
    // A fresh vector, freed after the clock stops, as the store's read_stream(...).drain() gives one.
    std::vector<Row> rows;
    auto start = std::chrono::steady_clock::now();
    sqlite3_bind_text(read, 1, stream.c_str(), -1, SQLITE_STATIC);
    while (sqlite3_step(read) == SQLITE_ROW) copy_row(read, rows.emplace_back());
    sqlite3_reset(read);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (rows.size() != kStreamEvents) throw std::runtime_error(fmt::format("baseline read {} events of {}", rows.size(), stream));
    return ms;
  };
  read_one(streams.front());  // warm-up, as on the store's side
  std::vector<double> ms;
  for (const auto& stream : streams) ms.push_back(read_one(stream));
  return ms;
}

}  // namespace evlite::bench
