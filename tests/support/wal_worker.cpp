// A process whose WAL writes the parent checks after it is gone (tests/engine/wal_vfs_test.cpp).
//
//   evlite_wal_worker DB spill   Through a connection with a 10-page cache, one transaction fills a table
//                                "scratch" with 200 rows of 2 KB and then rewrites every row, so that SQLite
//                                spills pages into the WAL, overwrites some of them there and rewrites their
//                                checksums at commit. Prints the VFS's overwrites and barrier flushes
//                                (wal_vfs.h), then ends with _Exit: no close, as if killed.
//   evlite_wal_worker DB fill    With files limited to 512 KiB past the new store's largest (RLIMIT_FSIZE),
//                                appends 2-KB events one at a time to stream "filler" until one fails. Prints "acknowledged N" and the
//                                error, then closes the store normally.
// Exits 0 when it did that, 1 with a message on stderr otherwise.
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "evlite/engine/errors.h"
#include "evlite/engine/event_store.h"
#include "evlite/engine/sqlite_access.h"
#include "wal_vfs.h"

namespace {

using namespace evlite;

void spill(const char* path) {
  EventStore store = EventStore::open(path, {.synchronous = Synchronous::Normal});
  auto db = open_connection(store);
  db->exec("PRAGMA cache_size = 10");
  db->exec("CREATE TABLE scratch (n INTEGER PRIMARY KEY, v INTEGER NOT NULL, pad BLOB NOT NULL)");
  auto before = detail::wal_write_counts();
  write_transaction(store, *db, [&] {
    db->exec(
        "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 200) "
        "INSERT INTO scratch SELECT n, 0, randomblob(2000) FROM k");
    db->exec("UPDATE scratch SET v = n * 7, pad = randomblob(2000)");
  });
  auto after = detail::wal_write_counts();
  fmt::print("{} {}\n", after.overwrites - before.overwrites, after.barrier_flushes - before.barrier_flushes);
  std::fflush(stdout);
  std::_Exit(0);
}

void fill(const char* path) {
  std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG instead of ending the process
  EventStore store = EventStore::open(path, {.synchronous = Synchronous::Normal});
  std::error_code none;
  auto wal = std::filesystem::file_size(std::string(path) + "-wal", none);
  auto size = std::max(std::filesystem::file_size(path), wal == static_cast<std::uintmax_t>(-1) ? 0 : wal);
  rlimit limit{.rlim_cur = size + 512 * 1024, .rlim_max = RLIM_INFINITY};
  if (setrlimit(RLIMIT_FSIZE, &limit) != 0) throw std::runtime_error("setrlimit(RLIMIT_FSIZE) failed");
  for (int i = 0;; ++i) {
    try {
      auto data = fmt::format(R"({{"i":{},"pad":"{:0>2000}"}})", i, i);
      store.append("filler", ExpectedVersion::exact(i), {{.type = "Filler", .data = data}});
    } catch (const StorageError& e) {
      fmt::print("acknowledged {}\n{}\n", i, e.what());
      return;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string mode = argc == 3 ? argv[2] : "";
    if (mode == "spill") {
      spill(argv[1]);
    } else if (mode == "fill") {
      fill(argv[1]);
    } else {
      std::fprintf(stderr, "usage: evlite_wal_worker DB spill|fill\n");
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wal_worker: %s\n", e.what());
    return 1;
  }
}
