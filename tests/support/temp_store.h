// Test fixtures: a temporary directory, a fresh file-backed store in it, and waiting with a deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "evlite/engine/event_store.h"

namespace evlite::testing {

// A fresh directory under the system temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// A fresh store file in its own TempDir. Use with TEST_CASE_FIXTURE(TempStore, "…").
struct TempStore {
  TempDir dir;
  std::filesystem::path db_path = dir.path() / "store.db";
  EventStore store = EventStore::open(db_path);
};

// Events delivered to a subscription handler, collected for a test thread to wait on.
class EventSink {
 public:
  void operator()(const RecordedEvent& event);
  // Waits until at least `count` events arrived, at most `timeout`. Returns whether they did.
  bool wait_for_count(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  std::vector<RecordedEvent> events() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<RecordedEvent> events_;
};

// A NewEvent with a small JSON body, for tests that do not care about the payload.
NewEvent make_event(std::string type = "Tested", std::string data = R"({"n":1})");

// The whole content of a file ("" if it is absent), for byte-for-byte comparisons.
std::string file_bytes(const std::filesystem::path& file);

// Reads a cursor to the end.
std::vector<RecordedEvent> all_of(EventCursor cursor);

// The path of the append worker program, for multi-process tests.
std::filesystem::path append_worker_path();

}  // namespace evlite::testing
