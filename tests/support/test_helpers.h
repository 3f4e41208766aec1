// Helpers shared by the engine tests, beside the fixtures of support/temp_store.h: catching a typed error
// to check its fields, caller-chosen event ids, describing positions for readable failure messages,
// reading JSON text with SQLite's JSON functions, running the append worker as a child process, and waiting
// for state that has no wait of its own.
#pragma once

#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "evlite/engine/event_store.h"
#include "support/temp_store.h"

extern char** environ;

namespace evlite::testing {

// Checks `condition` until it holds or `timeout` has passed; returns whether it held. For asynchronous
// state that offers no wait of its own (a projection's status), instead of sleeping for a guessed time.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// Runs `action` and returns the E it threw, or nullopt when it returned normally. Any other exception
// propagates, so that doctest reports it with its message.
template <typename E, typename Action>
std::optional<E> thrown(Action&& action) {
  try {
    std::forward<Action>(action)();
  } catch (const E& error) {
    return error;
  }
  return std::nullopt;
}

// "00000000-0000-4000-8000-<n as 12 hex digits>": a valid UUID (version 4), distinct for each n.
inline std::string test_uuid(unsigned n) {
  std::ostringstream out;
  out << "00000000-0000-4000-8000-" << std::hex << std::setw(12) << std::setfill('0') << n;
  return out.str();
}

// make_event with a caller-chosen id.
inline NewEvent event_with_id(std::string id, std::string type = "Tested", std::string data = R"({"n":1})") {
  NewEvent event = make_event(std::move(type), std::move(data));
  event.id = std::move(id);
  return event;
}

// "1 2 5": the positions of `events` in order, so that a failed CHECK prints what was read.
inline std::string positions_of(const std::vector<RecordedEvent>& events) {
  std::string out;
  for (const RecordedEvent& event : events) {
    if (!out.empty()) out += ' ';
    out += std::to_string(event.position.value);
  }
  return out;
}

// "" when `events` hold positions first, first+1 … last, each exactly once and in that order; otherwise
// the first difference. For long runs, where printing every position would drown the message.
inline std::string position_mismatch(const std::vector<RecordedEvent>& events, std::int64_t first, std::int64_t last) {
  const auto expected_count = static_cast<std::size_t>(last - first + 1);
  for (std::size_t i = 0; i < events.size() && i < expected_count; ++i) {
    const std::int64_t expected = first + static_cast<std::int64_t>(i);
    if (events[i].position.value != expected) {
      return "event " + std::to_string(i) + " has position " + std::to_string(events[i].position.value) +
             ", expected " + std::to_string(expected);
    }
  }
  if (events.size() != expected_count) {
    return std::to_string(events.size()) + " events, expected " + std::to_string(expected_count);
  }
  return "";
}

// SQLite's json_extract(json, path) as text; "<absent>" when it is SQL NULL (no such path, or JSON null).
// Throws SQLite::Exception if `json` is not JSON.
inline std::string json_at(const std::string& json, const std::string& path) {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  SQLite::Statement query(db, "SELECT json_extract(?, ?)");
  query.bind(1, json);
  query.bind(2, path);
  if (!query.executeStep() || query.getColumn(0).isNull()) return "<absent>";
  return query.getColumn(0).getString();
}

// SQLite's json_type(json): "object", "array", "integer", "text" … Throws SQLite::Exception if `json` is not JSON.
inline std::string json_type_of(const std::string& json) {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  SQLite::Statement query(db, "SELECT json_type(?)");
  query.bind(1, json);
  query.executeStep();
  return query.getColumn(0).getString();
}

// Starts the append worker (support/append_worker.cpp) on the store at `db`: it appends `count` events,
// alternating between "proc-<worker_id>" and "shared-procs". Returns the child's process id.
inline pid_t spawn_append_worker(const std::filesystem::path& db, int worker_id, int count) {
  std::vector<std::string> args = {append_worker_path().string(), db.string(), std::to_string(worker_id),
                                   std::to_string(count)};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, args[0].c_str(), nullptr, nullptr, argv.data(), environ);
  if (error != 0) throw std::system_error(error, std::generic_category(), "posix_spawn " + args[0]);
  return pid;
}

// Waits for the child `pid` to end. Returns its exit status, or 128 + the signal that killed it.
inline int wait_for_exit(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) == -1) {
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace evlite::testing
