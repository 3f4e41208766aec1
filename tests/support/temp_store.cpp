#include "support/temp_store.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <random>
#include <stdexcept>

namespace evlite::testing {

TempDir::TempDir() {
  std::random_device random;
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = std::filesystem::temp_directory_path() / ("evlite-test-" + std::to_string(random()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("TempDir: could not create a fresh directory");
}

TempDir::~TempDir() {
  std::error_code ignored;  // a leftover temp dir must not turn a passing test into a crash
  std::filesystem::remove_all(path_, ignored);
}

void EventSink::operator()(const RecordedEvent& event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(event);
  }
  arrived_.notify_all();
}

bool EventSink::wait_for_count(std::size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return arrived_.wait_for(lock, timeout, [&] { return events_.size() >= count; });
}

std::vector<RecordedEvent> EventSink::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

NewEvent make_event(std::string type, std::string data) {
  return NewEvent{.type = std::move(type), .data = std::move(data)};
}

std::vector<RecordedEvent> all_of(EventCursor cursor) { return cursor.drain(); }

std::string file_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::filesystem::path append_worker_path() { return EVLITE_APPEND_WORKER_PATH; }

}  // namespace evlite::testing
