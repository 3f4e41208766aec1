// Internal: copies the WAL into the database file on a thread of its own (DESIGN.md §3, durability).
//
// SQLite's automatic checkpoint runs inside the commit that crosses the threshold, so one unlucky append
// (or projection batch) pays for copying thousands of pages while every other writer of the process waits
// on the write lock: over 300 ms during a projection rebuild. Here commits only count WAL frames; when
// the WAL passes the threshold, a PASSIVE checkpoint runs on its own connection. PASSIVE takes no write
// lock, so appends go on while it copies. Should writers outpace it (the WAL at kBehindFactor times the
// threshold), the committing writer checkpoints itself, as SQLite would have, so the WAL stays bounded.
//
// Under synchronous=FULL the committing writer always copies, as in SQLite: there a copy beside the
// commits slows every commit's flush more than copying in line costs (measured in checkpointer.cpp).
//
// Thread safety: safe from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include <SQLiteCpp/Database.h>
#include <sqlite3.h>

#include "evlite/engine/options.h"

namespace evlite::detail {

class Checkpointer {
 public:
  Checkpointer(std::filesystem::path path, Options options);
  ~Checkpointer();  // stops the thread, after the checkpoint it may be running
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Makes `db`'s commits report to this checkpointer, instead of checkpointing themselves.
  // REQUIRES: `db` does not outlive the checkpointer (else use Attached).
  void attach(SQLite::Database& db);

  // Attaches `db` for the guard's lifetime only; after it, `db` checkpoints itself (SQLite's automatic
  // checkpoint at the same threshold).
  class Attached {
   public:
    Attached(Checkpointer& checkpointer, SQLite::Database& db)
        : db_(db), pages_(checkpointer.options_.wal_autocheckpoint_pages) {
      checkpointer.attach(db);
    }
    ~Attached();
    Attached(const Attached&) = delete;
    Attached& operator=(const Attached&) = delete;

   private:
    SQLite::Database& db_;
    int pages_;
  };

 private:
  static constexpr std::int64_t kBehindFactor = 4;

  // A commit on `committing` left `frames` frames in the WAL.
  void committed(sqlite3* committing, int frames);
  void run();

  const std::filesystem::path path_;
  const Options options_;
  std::mutex copying_;  // one checkpoint at a time in this process
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;       // Guarded by mutex_
  bool stopping_ = false;        // Guarded by mutex_
  std::thread thread_;           // started by the first request; Guarded by mutex_
};

}  // namespace evlite::detail
