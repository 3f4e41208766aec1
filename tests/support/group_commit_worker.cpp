// evlite_group_commit_worker DB
//
// A process that can start no more threads, for tests/engine/group_commit_test.cpp. Creates the store, commits
// a group of four appends (streams "crowd-N", held back by another connection's lock until all are queued),
// then limits its address space (RLIMIT_AS) so that no thread stack fits, checks that a thread is refused,
// and appends once to stream "alone": the group the committer thread would lead, had it been started.
// Prints "threads refused; appended; committer groups N" and exits 0; on failure prints a message on
// stderr and exits 1.
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <SQLiteCpp/SQLiteCpp.h>

#include "evlite/engine/event_store.h"
#include "store_impl.h"

namespace {

using namespace evlite;

NewEvent event() { return {.type = "Appended", .data = R"({"n":1})"}; }

void crowd(EventStore& store, const char* path) {
  SQLite::Database foreign(path, SQLite::OPEN_READWRITE);
  foreign.exec("BEGIN IMMEDIATE");
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back(
        [&store, i] { store.append("crowd-" + std::to_string(i), ExpectedVersion::no_stream(), {event()}); });
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (store.write_stats().queued < 4) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the crowd never queued");
    std::this_thread::yield();
  }
  foreign.exec("COMMIT");
  for (auto& t : threads) t.join();
}

// The address space in use, in bytes (VmSize).
rlim_t address_space() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmSize:")) return static_cast<rlim_t>(std::stoull(line.substr(7))) * 1024;
  }
  throw std::runtime_error("no VmSize in /proc/self/status");
}

// Leaves room for the allocations of an append, but not for a thread's stack (half of it).
void refuse_threads() {
  pthread_attr_t attr;
  std::size_t stack = 0;
  if (pthread_getattr_default_np(&attr) != 0 || pthread_attr_getstacksize(&attr, &stack) != 0) {
    throw std::runtime_error("cannot read the default thread stack size");
  }
  pthread_attr_destroy(&attr);
  rlimit limit{.rlim_cur = address_space() + stack / 2, .rlim_max = RLIM_INFINITY};
  if (setrlimit(RLIMIT_AS, &limit) != 0) throw std::runtime_error("setrlimit(RLIMIT_AS) failed");
  try {
    std::thread([] {}).join();
  } catch (const std::system_error&) {
    return;
  }
  throw std::runtime_error("a thread started despite the address space limit");
}

}  // namespace

int main(int argc, char** argv) {
  // glibc keeps the stacks of joined threads for new ones, which then need no memory: without that cache
  // (a tunable read at start, hence the exec) every thread started after the limit needs a new stack.
  const char* tunable = "glibc.pthread.stack_cache_size=0";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables == nullptr || std::strcmp(tunables, tunable) != 0) {
    setenv("GLIBC_TUNABLES", tunable, 1);
    execv("/proc/self/exe", argv);
    std::perror("group_commit_worker: exec");
    return 1;
  }
  try {
    if (argc != 2) throw std::invalid_argument("usage: evlite_group_commit_worker DB");
    EventStore store = EventStore::open(argv[1]);
    crowd(store, argv[1]);
    refuse_threads();
    std::printf("threads refused; ");
    store.append("alone", ExpectedVersion::no_stream(), {event()});
    std::printf("appended; committer groups %lld\n",
                static_cast<long long>(detail::ImplAccess::of(store).appends.stats().committer_groups));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "group_commit_worker: %s\n", e.what());
    return 1;
  }
}
